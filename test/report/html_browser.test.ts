// Opens generated HTML reports in headless Chromium and checks that every chart drew and that the
// page logged no error. Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderHtml } from "../../src/report/html.ts";
import { chartLibraries, FIXTURES, loadFixture } from "./_fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasChromium)("HTML report in Chromium", () => {
  let browser: BrowserContext;
  let dir: string;
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "fitcheck-html-" });
    // A fresh profile per run: launchPersistentContext is how playwright takes a user-data-dir.
    browser = await chromium.launchPersistentContext(`${dir}/profile`, {
      executablePath: CHROMIUM,
      viewport: { width: 1200, height: 900 },
      args: [
        "--no-sandbox",
        "--headless",
        "--enable-unsafe-webgpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    await Deno.mkdir("test-artifacts", { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  });

  for (const name of FIXTURES) {
    test(`${name}: every chart draws, no console errors`, async () => {
      const report = loadFixture(name);
      const file = `${dir}/${name}.html`;
      await Deno.writeTextFile(file, renderHtml(report, chartLibraries()));
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("dialog", (d) => {
        problems.push(`dialog opened: ${d.message()}`); // an escaping failure would run alert()
        void d.dismiss();
      });
      await page.goto(`file://${file}`);
      await page.waitForFunction(() =>
        document.documentElement.hasAttribute("data-charts-drawn") ||
        document.documentElement.hasAttribute("data-chart-error")
      );
      const result = await page.evaluate(() => {
        const canvases = [...document.querySelectorAll<HTMLCanvasElement>("canvas[data-chart]")];
        return {
          drawn: document.documentElement.getAttribute("data-charts-drawn"),
          error: document.documentElement.getAttribute("data-chart-error"),
          // Opaque pixels per canvas: Chart.js leaves the background transparent, so anything
          // drawn (axes, lines, bars, cells) is a pixel with alpha > 0.
          painted: canvases.map((c) => {
            const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return {
              chart: c.dataset.chart,
              metric: c.dataset.metric ?? "",
              share: n / (c.width * c.height),
            };
          }),
          findings: [...document.querySelectorAll("[data-code]")].map((e) => e.getAttribute("data-code")),
          // The confusion matrix in reading order: the first class's row above the second's.
          confusionFirstRowOnTop: (() => {
            const c = document.querySelector<HTMLCanvasElement>('canvas[data-chart="confusion"]');
            // deno-lint-ignore no-explicit-any
            const chart = c && (globalThis as any).Chart.getChart(c);
            return chart ? chart.scales.y.getPixelForValue(0) < chart.scales.y.getPixelForValue(1) : null;
          })(),
        };
      });
      await page.screenshot({ path: `test-artifacts/html-report-${name}.png`, fullPage: true });
      await page.close();

      expect(problems).toEqual([]);
      expect(result.error).toBeNull();
      expect(Number(result.drawn)).toBe(result.painted.length);
      for (const c of result.painted) {
        // An axis-only chart paints well under 1% of its area; a drawn series or heatmap far more.
        expect(c.share, `${c.chart} ${c.metric}`).toBeGreaterThan(0.01);
      }
      expect(result.findings).toEqual(report.findings.map((f) => f.code));
      const kinds = result.painted.map((c) => c.chart);
      if (report.history.length > 0) expect(kinds).toContain("curve");
      if (report.perClass) expect(kinds).toContain("per-class");
      if (report.confusion) expect(kinds).toContain("confusion");
      if (report.confusion && report.confusion.labels.length > 1) {
        expect(result.confusionFirstRowOnTop).toBe(true);
      }
      if (report.findings.some((f) => f.verification?.history)) expect(kinds).toContain("verify");
    });
  }
});
