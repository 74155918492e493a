/**
 * The history-only audit: the bounds against random predictions (each must hold for every set of
 * predictions, so a violation can only mean the numbers do not belong together), the detectors on
 * their cases and on healthy logs, and every audit case of the gallery (examples/audits).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracyFloor, doubleSoftmaxFloor, type HistoryFacts } from "../../src/audit/history_bounds.ts";
import { auditHistory } from "../../src/audit/mod.ts";
import { runAuditCase } from "../../src/app/audit_gallery.ts";
import { createEngines } from "../../src/app/engines.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { memoryFileSource } from "../../src/io.ts";
import { lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import { accuracy } from "../../src/reference/metrics.ts";
import type { Report } from "../../src/report/types.ts";

const facts = (lossKind: HistoryFacts["lossKind"], classes: number | null): HistoryFacts => ({
  lossKind,
  lossDeclared: true,
  classes,
  task: null,
  epochs: [1],
  hasValidation: false,
});
const codes = (r: Report) => r.findings.filter((f) => f.severity !== "info").map((f) => f.code);

/** Random softmax rows and labels: N rows by K classes. */
const problem = fc.integer({ min: 2, max: 5 }).chain((k) =>
  fc.tuple(
    fc.constant(k),
    fc.array(
      fc.tuple(
        fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: k, maxLength: k }),
        fc.nat(k - 1),
      ),
      {
        minLength: 1,
        maxLength: 30,
      },
    ),
  )
);

function matrices(k: number, rows: [number[], number][]) {
  const probs = new Float64Array(rows.length * k), onehot = new Float64Array(rows.length * k);
  rows.forEach(([z, y], i) => {
    const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => (probs[i * k + j] = v / s));
    onehot[i * k + y] = 1;
  });
  return { p: { data: probs, rows: rows.length, cols: k }, y: { data: onehot, rows: rows.length, cols: k } };
}

describe("bounds hold for every set of predictions (src/reference definitions)", () => {
  it("cross-entropy: accuracy >= 1 - loss/ln 2", () => {
    fc.assert(fc.property(problem, ([k, rows]) => {
      const { p, y } = matrices(k, rows);
      const loss = reduceLoss(
        lossPerRow({ name: "categorical-crossentropy", fromLogits: false }, y, p),
        "mean",
      );
      const acc = accuracy(y, p).value;
      expect(acc).toBeGreaterThanOrEqual(accuracyFloor(loss, facts("crossentropy", k))! - 1e-12);
    }));
  });
  it("MSE on one-hot rows: accuracy >= 1 - 2K·loss", () => {
    fc.assert(fc.property(problem, ([k, rows]) => {
      const { p, y } = matrices(k, rows);
      const loss = reduceLoss(lossPerRow({ name: "mse", fromLogits: false }, y, p), "mean");
      expect(accuracy(y, p).value).toBeGreaterThanOrEqual(accuracyFloor(loss, facts("mse", k))! - 1e-12);
    }));
  });
  it("double softmax: categorical cross-entropy of softmax(p) never goes below ln(1 + (K-1)/e)", () => {
    fc.assert(fc.property(problem, ([k, rows]) => {
      const { p, y } = matrices(k, rows);
      const loss = reduceLoss(
        lossPerRow({ name: "categorical-crossentropy", fromLogits: true }, y, p),
        "mean",
      );
      expect(loss).toBeGreaterThanOrEqual(doubleSoftmaxFloor(k) - 1e-12);
    }));
    // The floor is reached by one-hot outputs.
    const { p, y } = matrices(3, [[[60, 0, 0], 0]]);
    const at = reduceLoss(lossPerRow({ name: "categorical-crossentropy", fromLogits: true }, y, p), "mean");
    expect(at).toBeCloseTo(doubleSoftmaxFloor(3), 9);
  });
});

describe("history-only detectors", () => {
  const audit = (text: string, o: Record<string, unknown> = {}) =>
    auditHistory({ history: "/h.csv", ...o }, memoryFileSource({ "/h.csv": text }));
  const csv = (rows: number[][], header = "epoch,loss,accuracy,val_loss,val_accuracy") =>
    header + "\n" + rows.map((r, i) => [i, ...r].join(",")).join("\n") + "\n";

  it("a negative cross-entropy is labels outside [0, 1]", async () => {
    const r = await audit(csv([[0.5, 0.6], [-0.2, 0.7], [-0.8, 0.8]], "epoch,loss,accuracy"), {
      loss: "binary_crossentropy",
    });
    expect(codes(r)[0]).toBe("labels-not-class-indices");
  });
  it("an accuracy above 1 (not a percentage) is a metric mismatch", async () => {
    const r = await audit(csv([[0.5, 0.6], [0.4, 1.7], [0.3, 0.8]], "epoch,loss,accuracy"));
    expect(codes(r)).toContain("metric-mismatch");
  });
  it("reads percentages as fractions: a PyTorch 'Acc: 85.3' log is healthy", async () => {
    const r = await audit(
      "Epoch 1 loss 0.9 acc 60.1\nEpoch 2 loss 0.7 acc 71.2\nEpoch 3 loss 0.6 acc 75.3\nEpoch 4 loss 0.5 acc 80.0\n",
    );
    expect(codes(r)).toEqual([]);
  });
  it("a low loss with a low accuracy breaks the cross-entropy bound (declared loss: an error)", async () => {
    const r = await audit(csv([[0.9, 0.4], [0.1, 0.3], [0.05, 0.35]], "epoch,loss,accuracy"), {
      loss: "categorical_crossentropy",
    });
    const f = r.findings.find((x) => x.code === "metric-mismatch")!;
    expect(f.severity).toBe("error");
    expect(f.evidence.epoch).toBe(2);
  });
  it("the loss diverging is a learning rate too high", async () => {
    const r = await audit(
      csv([[0.69, 0.5], [0.6, 0.6], [0.9, 0.55], [1.8, 0.5], [3.5, 0.5]], "epoch,loss,accuracy"),
    );
    expect(codes(r)).toContain("learning-rate-too-high");
  });
  it("a loss that never moves at ln 3 is not learning", async () => {
    const rows = Array.from({ length: 6 }, () => [1.0986, 0.34 + 0.0]);
    rows[2][1] = 0.33;
    const r = await audit(csv(rows, "epoch,loss,accuracy"), { classes: 3 });
    expect(codes(r)).toContain("not-learning");
  });
  it("a converged healthy log stays quiet: frozen accuracy at the end, loss creeping", async () => {
    const rows = [
      [0.6, 0.7, 0.62, 0.68],
      [0.45, 0.8, 0.5, 0.78],
      [0.35, 0.85, 0.42, 0.83],
      [0.31, 0.86, 0.39, 0.85],
      [
        0.305,
        0.86,
        0.385,
        0.85,
      ],
      [0.303, 0.86, 0.384, 0.85],
      [0.302, 0.86, 0.383, 0.85],
      [0.301, 0.86, 0.383, 0.85],
    ];
    const r = await audit(csv(rows));
    expect(r.findings).toEqual([]);
    expect((r.audit as { undecidable: string[] }).undecidable.length).toBeGreaterThan(0);
  });
  it("accuracy pinned at 0.5 while the loss falls by orders of magnitude is a dead metric, not a collapse", async () => {
    // Shaped after brightmart/text_classification#35 (accuracy set to 0.5 by hand, loss 10^8 -> 1.5).
    const log = [1e8, 3e6, 2e4, 800, 40, 5, 2.1, 1.5].map((l, i) =>
      `Epoch ${i + 1}, loss: ${l}, accuracy: 0.5000`
    )
      .join("\n");
    expect(codes(await audit(log))).toEqual(["metric-insensitive"]);
  });
  it("stays quiet at chance level on 1000 classes (accuracy 0.001 is a guess, not a wrong metric)", async () => {
    const acc = [0.0006, 0.0008, 0.001, 0.0012, 0.0013, 0.0015, 0.0016];
    const log = [6.05, 6.0, 5.95, 5.9, 5.8, 5.7, 5.65].map((l, i) =>
      `epoch ${i} loss ${l} train_accuracy ${acc[i]}`
    )
      .join("\n");
    expect(codes(await audit(log))).toEqual([]);
  });
  it("a single negative-loss epoch is not a zero loss", async () => {
    const r = await audit("Epoch 1/3000\n86028/86028 [====] - 16s - loss: -0.0560 - acc: 8.8343e-04\n");
    expect(codes(r)).toEqual(["labels-not-class-indices"]);
  });
  it("a first epoch far above ln C is an initial-loss anomaly; ln C itself is not", async () => {
    const rows = (first: number) =>
      csv([[first, 0.3], [1.0, 0.5], [0.8, 0.6], [0.7, 0.7]], "epoch,loss,accuracy");
    expect(codes(await audit(rows(9.5), { classes: 3 }))).toContain("initial-loss-anomaly");
    expect(codes(await audit(rows(1.1), { classes: 3 }))).toEqual([]);
  });
  it("a loss jittering around ln 10 is not learning; train 1.0 against validation 0.6 is overfitting", async () => {
    const jitter = [2.3026, 2.3031, 2.3019, 2.3040, 2.3012, 2.3029].map((l, i) =>
      `Epoch ${i + 1}: loss=${l} acc=0.1`
    )
      .join("\n");
    expect(codes(await audit(jitter))).toContain("not-learning");
    const gap = csv(
      [[0.5, 0.8, 0.6], [0.1, 0.97, 0.6], [0.02, 1.0, 0.6]],
      "epoch,loss,accuracy,val_accuracy",
    );
    expect(codes(await audit(gap))).toContain("overfitting");
  });
  it("names the first NaN step of a Lightning per-step loss", async () => {
    const csv = "epoch,step,train_loss_step,train_loss_epoch\n0,9,0.7,\n0,19,,0.65\n1,29,0.6,\n1,39,,0.55\n" +
      "2,49,nan,\n2,59,,nan\n3,69,nan,\n3,79,,nan\n";
    const r = await auditHistory({ history: "/m.csv" }, memoryFileSource({ "/m.csv": csv }));
    expect(r.findings[0].code).toBe("non-finite-loss");
    expect(r.findings[0].evidence).toMatchObject({ epoch: 3, step: 49 });
  });
  it("--labels without --predictions is a usage error naming the flag", async () => {
    const { audit: full } = await import("../../src/audit/mod.ts");
    await expect(full({ labels: "/y.csv", history: "/h.csv" }, memoryFileSource({}))).rejects.toThrow(
      /--predictions is missing/,
    );
  });
});

describe("the gallery's audit cases (examples/audits)", () => {
  const dir = `${Deno.cwd()}/examples/audits`;
  const engines = createEngines({
    createGpu: () => Promise.reject(new Error("no GPU in a history-only audit")),
  });
  const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json")).map((e) => e.name).sort();
  it("has the five seeds and healthy logs", () => {
    for (const s of ["seed000", "seed001", "seed002", "seed003", "seed004"]) {
      expect(files.some((f) => f.startsWith(s))).toBe(true);
    }
    expect(files.filter((f) => f.startsWith("healthy")).length).toBeGreaterThanOrEqual(5);
  });
  for (const file of files) {
    it(file, async () => {
      const { entry, report } = await runAuditCase(`${dir}/${file}`, engines, denoFileSource());
      expect(entry.ok, JSON.stringify({ expected: entry.expected, found: entry.found })).toBe(true);
      if (entry.expected.length > 0) expect(report.findings[0].code).toBe(entry.expected[0]); // root cause first
      else expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    });
  }
});
