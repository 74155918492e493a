// Evidence that reads: nested lists and objects become small tables, remedies the words of their fix,
// long lists a count; the terminal and HTML reports of real runs never show an object literal.
// gallery_findings.json holds the findings of real runs: `npx deno task diagnose run
// examples/scenarios/<name>.json --json`, one per gallery scenario, keeping `summary` and `findings`.
import { describe, expect, it } from "vitest";
import { notVerified } from "../../src/app/verify.ts";
import { audit } from "../../src/audit/mod.ts";
import { memoryFileSource } from "../../src/io.ts";
import { cellText, consistencyGroups, evidenceItems, remedyWords } from "../../src/report/format.ts";
import { renderHtml } from "../../src/report/html.ts";
import { renderReport } from "../../src/report/terminal.ts";
import type { Finding, Report } from "../../src/report/types.ts";
import { FIXTURES, loadFixture } from "./_fixtures.ts";

const LITERAL = /[{}]|\[object/;
const libraries = { chartJs: "", matrix: "" };

describe("evidenceItems", () => {
  it("a list of objects is a table with the union of their keys, long ones counted", () => {
    const columns = Array.from(
      { length: 11 },
      (_, i) => ({ column: `c${i}`, mean: i * 10.5, ...(i === 3 ? { std: 2 } : {}) }),
    );
    const [item] = evidenceItems({ columns }, { maxRows: 8 });
    expect(item).toEqual({
      kind: "table",
      key: "columns",
      columns: ["column", "mean", "std"],
      rows: [
        ["c0", "0", "–"],
        ["c1", "10.5", "–"],
        ["c2", "21", "–"],
        ["c3", "31.5", "2"],
        ["c4", "42", "–"],
        ["c5", "52.5", "–"],
        ["c6", "63", "–"],
        ["c7", "73.5", "–"],
      ],
      more: 3,
    });
  });

  it("an object of objects is a table with a row per key; a short flat object is one line", () => {
    const items = evidenceItems({
      train: { mean: 1, min: 0 },
      split: { train: { mean: 1, min: 0 }, validation: { mean: 5, min: 2 } },
    });
    expect(items[0]).toEqual({ kind: "value", key: "train", text: "mean 1, min 0" });
    expect(items[1]).toMatchObject({
      kind: "table",
      columns: ["", "mean", "min"],
      rows: [["train", "1", "0"], ["validation", "5", "2"]],
    });
  });

  it("a remedy reads as the words of its fix", () => {
    const [item] = evidenceItems({ remedy: { kind: "set-from-logits", fromLogits: false } });
    expect(item).toEqual({
      kind: "sentence",
      key: "remedy",
      text: "set loss.fromLogits to false and retrain",
    });
    expect(remedyWords({ kind: "set-output-activation", activation: "sigmoid", loss: "binary-crossentropy" }))
      .toBe("make the output activation sigmoid (with loss binary-crossentropy) and retrain");
    expect(remedyWords({ kind: "scale-learning-rate", factor: 0.1 })).toBe(
      "multiply the learning rate by 0.1 and retrain",
    );
    // A kind added later still reads without braces.
    expect(remedyWords({ kind: "clip-gradients", norm: 1 })).toBe("clip-gradients (norm 1) and retrain");
  });

  it("cells: long lists counted, named objects by name, nothing as a literal", () => {
    expect(cellText(Array.from({ length: 20 }, (_, i) => i), 5)).toBe(
      "0, 1, 2, 3, 4, … +15 more (20 in all)",
    );
    expect(cellText([{ id: "binary-accuracy@0.5", value: 0.7916 }])).toBe("binary-accuracy@0.5 = 0.7916");
    expect(cellText([{ a: 1 }, { b: 2 }])).toBe("2 entries (see --json)");
    expect(cellText({ a: { b: 1 }, c: [1, 2] })).toBe("a (1 fields), c 1, 2");
    expect(cellText(true)).toBe("yes");
    expect(cellText(null)).toBe("–");
  });

  it("the JSON keeps the full data: rendering does not change the report", () => {
    const report = loadFixture("run_loss_task_mismatch");
    const before = JSON.stringify(report);
    renderReport(report, { color: false, width: 80 });
    renderHtml(report, libraries);
    expect(JSON.stringify(report)).toBe(before);
  });
});

describe("consistency rows", () => {
  it("a logged number reproduced only by a wrong definition is not 'outside tolerance'", () => {
    const groups = consistencyGroups([
      { ok: true },
      { ok: false, status: "wrong-definition" },
      { ok: false, status: "unreproduced" },
      { ok: false },
    ]);
    expect([groups.ok.length, groups.wrongDefinition.length, groups.outside.length]).toEqual([1, 1, 2]);
  });
});

/** A report around real findings: the fixture's frame, these findings. */
function withFindings(summary: Report["summary"], findings: Finding[]): Report {
  return { ...loadFixture("run_loss_task_mismatch"), summary, findings };
}

/** The terminal text and the HTML findings section of a report. */
function rendered(report: Report): { text: string; html: string } {
  const text = renderReport(report, { color: false, width: 80 });
  const page = renderHtml(report, libraries);
  const html = page.slice(
    page.indexOf('<section id="findings">'),
    page.indexOf('<section id="consistency">'),
  );
  return { text, html };
}

describe("real runs read without object literals", async () => {
  const gallery = JSON.parse(
    await Deno.readTextFile("test/fixtures/reports/gallery_findings.json"),
  ) as Record<
    string,
    { summary: Report["summary"]; findings: Finding[] }
  >;
  const keras2 = "test/fixtures/audit/keras2_bce_onehot/";
  const files: Record<string, string> = {};
  for (const f of ["labels.csv", "predictions.csv", "history.csv"]) {
    files[`/k/${f}`] = await Deno.readTextFile(keras2 + f);
  }
  const audited = await audit(
    { labels: "/k/labels.csv", predictions: "/k/predictions.csv", history: "/k/history.csv" },
    memoryFileSource(files),
  );
  const reports: [string, Report][] = [
    ...Object.entries(gallery).map((
      [name, r],
    ): [string, Report] => [name, withFindings(r.summary, r.findings)]),
    ...FIXTURES.map((name): [string, Report] => [name, loadFixture(name)]),
    ["audit keras2_bce_onehot", audited],
  ];
  it("has the gallery's runs", () => expect(Object.keys(gallery).length).toBeGreaterThan(30));
  for (const [name, report] of reports) {
    it(name, () => {
      const { text, html } = rendered(report);
      const bad = text.split("\n").find((l) => LITERAL.test(l));
      expect(bad, `${name}: the terminal report shows a literal`).toBeUndefined();
      for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
      expect(html).not.toContain("[object");
      const cells = [...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]).filter((c) => /[{}]/.test(c));
      expect(cells, `${name}: an HTML evidence cell shows a literal`).toEqual([]);
    });
  }
  it("the audit's contradictory row is gone: within tolerance is never listed as outside it", () => {
    const { text } = rendered(audited);
    expect(text).not.toContain("outside tolerance");
    expect(text).toContain("reproduced within tolerance, but only by a definition that does not fit");
    expect(text).not.toMatch(/sparse-ce-probs-keras2|bce-probs-keras2 =/);
  });
});

describe("--verify says which findings it did not retrain for", () => {
  const f = (code: Finding["code"], severity: Finding["severity"], evidence: Record<string, unknown> = {}) =>
    ({ code, severity, title: "t", message: "m", evidence, fix: "f" }) as Finding;
  it("names each with its reason, in the report and on the terminal and HTML", () => {
    const findings = [
      {
        ...f("loss-task-mismatch", "error", { remedy: { kind: "set-loss", loss: "mse" } }),
        verification: { change: "loss -> mse", before: {}, after: {}, confirmed: true },
      },
      f("insufficient-data", "error"),
      f("label-noise", "warning"),
      f("class-imbalance", "error", { remedy: { kind: "stratify" } }),
    ];
    const list = notVerified(findings);
    expect(list).toEqual([
      { code: "insufficient-data", reason: "no automatic remedy (the fix is advice to act on)" },
      { code: "label-noise", reason: "not an error (--verify retrains for errors only)" },
      { code: "class-imbalance", reason: "its remedy does not apply to this scenario" },
    ]);
    const report = {
      ...withFindings({ status: "errors", primary: "loss-task-mismatch" }, findings),
      verify: { notVerified: list },
    };
    const text = renderReport(report, { color: false, width: 80 });
    expect(text).toContain("--verify: 3 findings not retrained");
    expect(text).toContain("no automatic remedy (the fix is advice to act on): insufficient-data");
    expect(renderHtml(report, libraries)).toContain("--verify did not retrain for 3 findings");
    // Without --verify nothing is said.
    expect(renderReport(withFindings(report.summary, findings), { color: false, width: 80 })).not.toContain(
      "not retrained",
    );
  });
});

describe("audit messages name definitions in words, not by internal id", () => {
  it("an unreproduced loss names its nearest definition by its description", async () => {
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": "0\n1\n2\n",
        "/p.csv": "0.7,0.2,0.1\n0.1,0.8,0.1\n0.2,0.2,0.6\n",
        "/h.json": JSON.stringify({ val_loss: [3.3] }),
      }),
    );
    const f = r.findings.find((x) => x.code === "loss-mismatch")!;
    expect(f.title).toMatch(/not reproduced/);
    const nearest = f.message.match(/the nearest is (.+?) = /)![1];
    // An id is one token ("sparse-ce-probs-keras2"); a description is words.
    expect(nearest).toMatch(/ /);
  });

  it("a regression loss on class labels is named in words in the title", async () => {
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": "0\n1\n2\n",
        "/p.csv": "0.7,0.2,0.1\n0.1,0.8,0.1\n0.2,0.2,0.6\n",
        "/h.json": JSON.stringify({ val_loss: [0.9] }),
      }),
    );
    const f = r.findings.find((x) => x.code === "loss-task-mismatch")!;
    expect(f.title).toBe("The logged loss is mean absolute error on class labels");
  });
});
