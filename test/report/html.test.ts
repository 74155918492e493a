import { describe, expect, test } from "vitest";
import { esc, renderHtml } from "../../src/report/html.ts";
import { chartLibraries, loadFixture } from "./_fixtures.ts";

const libraries = { chartJs: "/* chart */", matrix: "/* matrix */" };

describe("renderHtml", () => {
  test("is self-contained: the libraries are inlined, nothing is fetched", () => {
    const real = chartLibraries();
    const html = renderHtml(loadFixture("run_loss_task_mismatch"), real);
    expect(html).toContain(real.chartJs.slice(0, 200));
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toContain("sourceMappingURL");
    expect(html).toContain(`content="default-src 'none'`);
  });

  test("draws only the charts the report has data for", () => {
    const charts = (name: Parameters<typeof loadFixture>[0]) =>
      [...renderHtml(loadFixture(name), libraries).matchAll(/data-chart="([a-z-]+)"/g)].map((m) => m[1]);
    expect(charts("run_loss_task_mismatch")).toEqual([
      "curve",
      "curve",
      "per-class",
      "confusion",
      "verify",
      "verify",
    ]);
    expect(charts("audit_metric_mismatch")).toEqual(["curve", "curve"]);
    expect(charts("data_clean")).toEqual([]);
  });

  test("escapes every user string; the embedded JSON cannot close its script element", () => {
    const report = loadFixture("run_non_finite_hostile");
    const html = renderHtml(report, libraries);
    const markup = html.replace(/<script[\s\S]*?<\/script>/g, "");
    expect(markup).not.toContain("<img");
    expect(markup).not.toContain("<script>alert");
    expect(markup).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    const json = /<script type="application\/json" id="fitcheck-report">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(json).not.toMatch(/[<>]/);
    expect(JSON.parse(json)).toEqual(report);
  });

  test("a library containing </script is neutralised", () => {
    const html = renderHtml(loadFixture("data_clean"), { chartJs: 'var s = "</script><b>";', matrix: "" });
    expect(html).toContain('var s = "<\\/script><b>";');
  });

  test("esc covers the five HTML metacharacters and control characters", () => {
    expect(esc(`<a href="x" title='y'>&</a>\x1b`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;\\u001b",
    );
  });
});
