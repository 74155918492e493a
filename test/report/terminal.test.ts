import { describe, expect, test } from "vitest";
import { stripAnsi } from "../../src/report/_colors.ts";
import { renderGallery, renderReport } from "../../src/report/terminal.ts";
import type { GalleryDocument } from "../../src/report/types.ts";
import { FIXTURES, loadFixture } from "./_fixtures.ts";

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[/;

describe("renderReport", () => {
  for (const name of FIXTURES) {
    test(`${name}: plain text fits 80 columns and carries no escape codes`, () => {
      const text = renderReport(loadFixture(name), { color: false, width: 80 });
      expect(text).not.toMatch(ANSI);
      for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
    });
  }

  test("each sparkline has its own scale: a falling train loss never draws flat beside a larger series", () => {
    const report = loadFixture("run_loss_task_mismatch");
    const train = [0.98, 0.8, 0.6, 0.45, 0.35, 0.24];
    const validation = [112, 111, 110, 110, 109, 108];
    report.history = train.map((loss, i) => ({
      epoch: i + 1,
      train: { loss },
      validation: { loss: validation[i] },
    }));
    const text = renderReport(report, { color: false, width: 80 });
    const line = text.split("\n").find((l) => l.includes("0.98 → 0.24"))!;
    expect(line).toMatch(/train\s+█[▇▆▅]/);
    expect(line).toContain("▁");
    expect(text).toContain("each line on its own scale");
    // A long metric name keeps its own column.
    report.history = train.map((v, i) => ({
      epoch: i + 1,
      train: { "binary-accuracy": v },
      validation: null,
    }));
    expect(renderReport(report, { color: false, width: 80 })).toMatch(/ {2}binary-accuracy train +[▁-█]/);
  });

  test("says the task and how it was inferred, a skipped training and why, and the notes", () => {
    const report = {
      ...loadFixture("run_loss_task_mismatch"),
      task: { task: "regression", inferred: true, reason: "2 distinct non-integer values" },
      training: { status: "skipped", reason: "labels 0.5 have no class index" },
      notes: ["generated 600 rows with blobs", "task inferred: regression (…)"],
      adapter: { description: "llvmpipe", isFallbackAdapter: true, vendor: "65541", architecture: "" },
    };
    const text = renderReport(report, { color: false, width: 80 });
    expect(text).toContain("task: regression (inferred: 2 distinct non-integer values)");
    expect(text).toContain("training: skipped: labels 0.5 have no class index");
    expect(text).toContain("  • generated 600 rows with blobs");
    expect(text).not.toContain("• task inferred");
    expect(text).toContain("adapter: llvmpipe, software fallback");
  });

  test("the scenario path reads as the user would type it, relative to their directory", () => {
    const report = loadFixture("run_loss_task_mismatch");
    report.scenario = { name: "x", path: "/home/u/proj/examples/scenarios/x.json" };
    expect(renderReport(report, { color: false, cwd: "/home/u/proj" })).toContain(
      "\nexamples/scenarios/x.json\n",
    );
    expect(renderReport(report, { color: false, cwd: "/elsewhere" })).toContain(
      "\n/home/u/proj/examples/scenarios/x.json\n",
    );
  });

  test("colour adds escape codes and nothing else", () => {
    const report = loadFixture("run_loss_task_mismatch");
    const colored = renderReport(report, { color: true, width: 80 });
    expect(colored).toMatch(ANSI);
    expect(stripAnsi(colored)).toBe(renderReport(report, { color: false, width: 80 }));
  });

  test("shows adapter, symptoms, findings by severity with evidence, fix, verification, consistency", () => {
    const text = renderReport(loadFixture("run_loss_task_mismatch"), { color: false, width: 80 });
    expect(text).toContain("adapter: llvmpipe (LLVM 15.0.6, 256 bits)");
    expect(text).toContain("symptoms: initial loss 0.2431");
    expect(text).toContain("baseline majority class accuracy 0.3417");
    const errors = text.indexOf("Errors (1)"),
      warnings = text.indexOf("Warnings (1)"),
      notes = text.indexOf("Notes (1)");
    expect(errors).toBeGreaterThan(0);
    expect(warnings).toBeGreaterThan(errors);
    expect(notes).toBeGreaterThan(warnings);
    expect(text).toContain("✗ loss-task-mismatch: Mean squared error trained on one-hot class targets");
    expect(text).toMatch(/│ targetColumns\s+│ 3\s+│/);
    // a long array is truncated with its remainder counted
    expect(text).toContain("0.334, 0.331, 0.335, 0, 0, 0, 0, 0, … +2 more");
    expect(text).toContain('fix: Use "loss": "categorical-crossentropy"');
    expect(text).toContain("verified (confirmed): loss -> categorical-crossentropy");
    expect(text).toMatch(/│ validation\.accuracy\s+│ 0\.3\s+│ 0\.9499\s+│/);
    expect(text).toContain("consistency: 80 checks against the float64 reference, largest error 6.4e-7");
    expect(text).toContain("all within tolerance");
  });

  test("per-epoch sparklines share one scale for train and validation", () => {
    const text = renderReport(loadFixture("run_loss_task_mismatch"), { color: false, width: 80 });
    const loss = text.split("\n").filter((l) => /^\s+([a-z]+\s+)?(train|validation)\s+[▁-█]/.test(l));
    expect(loss.length).toBe(4); // loss and accuracy, train and validation
    expect(loss[0]).toMatch(/train\s+█/); // the highest loss is the first train epoch
    expect(loss[0]).toContain("0.2031 → 0.02537");
  });

  test("non-finite epochs are marked, failing consistency checks are listed", () => {
    const hostile = renderReport(loadFixture("run_non_finite_hostile"), { color: false, width: 80 });
    expect(hostile).toMatch(/train\s+▁▁▂▄█×××××/);
    expect(hostile).toContain("× no value that epoch (not computed, or NaN/Inf)");
    const audit = renderReport(loadFixture("audit_metric_mismatch"), { color: false, width: 80 });
    expect(audit).toContain("adapter: none (nothing ran on the GPU)");
    expect(audit).toContain("2 outside tolerance:");
    expect(audit).toMatch(/│ validation\.accuracy │ 15\s+│ 0\s+│ 0\.874/);
  });

  test("control characters in user text are shown, not interpreted", () => {
    const report = loadFixture("data_clean");
    report.findings = [{
      code: "non-finite-data",
      severity: "warning",
      title: "bad \x1b[2J title",
      message: "m",
      evidence: { column: "a\x1b]0;pwned\x07" },
      fix: "f",
    }];
    const text = renderReport(report, { color: false, width: 80 });
    expect(text).not.toContain("\x1b");
    expect(text).toContain("bad \\u001b[2J title");
    expect(text).toContain("a\\u001b]0;pwned\\u0007");
  });

  test("a clean data report says so briefly", () => {
    const text = renderReport(loadFixture("data_clean"), { color: false, width: 80 });
    expect(text).toContain("✓ no problems found");
    expect(text).not.toContain("consistency");
    expect(text.split("\n").length).toBeLessThan(8);
  });
});

describe("renderGallery", () => {
  const doc: GalleryDocument = {
    schema: "fitcheck.gallery/v1",
    scenarios: [
      {
        name: "mse-on-multiclass",
        expected: ["loss-task-mismatch"],
        found: ["loss-task-mismatch", "initial-loss-anomaly"],
        ok: true,
        ms: 4210,
      },
      {
        name: "accuracy-hides-class-failure",
        expected: ["accuracy-hides-class-failure"],
        found: ["class-imbalance"],
        ok: false,
        ms: 12345,
      },
      {
        name: "broken",
        expected: [],
        found: [],
        ok: false,
        ms: 3,
        error: "examples/scenarios/broken.json: line 3:5: not valid JSON",
      },
    ],
  };
  const reports = [loadFixture("run_loss_task_mismatch"), loadFixture("audit_metric_mismatch"), null];

  test("one row per scenario: name, final loss and accuracy, marked codes, verdict, seconds", () => {
    const text = renderGallery(doc, reports, { color: false, width: 80 });
    for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(text).toMatch(/mse-on-multiclass\s+0\.0254\s+0\.328\s+✓ loss-task-mismatch\s+ok\s+4\.2/);
    expect(text).toContain("+ initial-loss-anomaly");
    expect(text).toMatch(/✗ accuracy-hides-class-failure\s+FAIL\s+12\.3/);
    expect(text).toContain("broken: examples/scenarios/broken.json: line 3:5: not valid JSON");
    // The table says where the message is; the message itself follows in full, never cut by a cell.
    expect(text).toMatch(/broken\s+–\s+–\s+could not run \(below\)\s+error/);
    expect(text).not.toContain("…");
    expect(text).toContain("✗ 2 of 3 scenarios did not give the expected findings");
  });

  test("all met: a success line, and colour only when asked", () => {
    const ok: GalleryDocument = { schema: "fitcheck.gallery/v1", scenarios: [doc.scenarios[0]] };
    expect(renderGallery(ok, [reports[0]], { color: false })).toContain(
      "✓ 1 of 1 scenarios gave the expected findings",
    );
    expect(renderGallery(ok, [reports[0]], { color: false })).not.toMatch(ANSI);
    expect(renderGallery(ok, [reports[0]], { color: true })).toMatch(ANSI);
  });
});
