/**
 * The audit against real @tensorflow/tfjs runs: healthy setups must get no error finding, each
 * planted bug must be found. tfjs resolves "accuracy" as Keras ≤ 2.3 does: binary accuracy when the
 * loss is binary cross-entropy, whatever the output shape.
 */
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { audit } from "../../src/audit/mod.ts";
import type { Report } from "../../src/report/types.ts";
import { Rng } from "../../src/random.ts";
import { blobs, type RunFiles, threeBlobs, trainRun } from "./_runs.ts";

const codes = (r: Report) => r.findings.map((f) => f.code);
const errors = (r: Report) => r.findings.filter((f) => f.severity === "error").map((f) => f.code);
const run = (files: RunFiles, extra: Record<string, unknown> = {}) =>
  audit(
    { labels: files.labels, predictions: files.predictions, history: files.history, ...extra },
    files.source,
  );

describe("healthy tfjs runs get no error", () => {
  it("softmax + categorical cross-entropy + accuracy (one-hot labels, CSV)", async () => {
    const { train, validation } = threeBlobs(1);
    const files = await trainRun(
      {
        seed: 1,
        train,
        validation,
        classes: 3,
        activation: "softmax",
        loss: "categoricalCrossentropy",
        metrics: ["accuracy"],
      },
      { labels: "one-hot" },
    );
    const r = await run(files);
    expect(errors(r)).toEqual([]);
    expect(r.summary.status).not.toBe("errors");
    const acc = r.consistency.find((c) => c.quantity === "validation.acc")!;
    expect(acc.ok).toBe(true);
    expect((acc as unknown as { definition: string }).definition).toBe("categorical-accuracy");
    const loss = r.consistency.find((c) => c.quantity === "validation.loss")!;
    expect(loss.ok).toBe(true);
    expect(loss.absError!).toBeLessThan(1e-5);
    expect((r.audit as { inferred: { predictions: string } }).inferred.predictions).toBe(
      "softmax-probabilities",
    );
    // per-class view and confusion matrix of the predictions
    const cm = r.confusion as { matrix: number[][]; labels: string[] };
    expect(cm.labels).toEqual(["0", "1", "2"]);
    expect(cm.matrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    const hits = cm.matrix[0][0] + cm.matrix[1][1] + cm.matrix[2][2];
    expect(Math.abs(hits / 150 - acc.engine!)).toBeLessThan(1e-6);
    expect((r.perClass as { classes: { support: number }[] }).classes.map((c) => c.support)).toEqual([
      50,
      50,
      50,
    ]);
  });

  it("sigmoid + binary cross-entropy + accuracy (index labels, .npy predictions, CSVLogger history)", async () => {
    const rng = Rng.fromSeed(2);
    const centres = [[0, 0], [2.5, 2.5]];
    const files = await trainRun(
      {
        seed: 2,
        train: blobs(rng.stream("t"), [150, 150], centres),
        validation: blobs(rng.stream("v"), [60, 60], centres),
        classes: 2,
        units: 1,
        activation: "sigmoid",
        loss: "binaryCrossentropy",
        metrics: ["accuracy"],
      },
      { predictions: "npy", history: "csv-logger" },
    );
    const r = await run(files);
    expect(errors(r)).toEqual([]);
    expect(r.consistency.filter((c) => c.quantity.startsWith("validation.")).every((c) => c.ok)).toBe(true);
    expect(r.consistency.find((c) => c.quantity === "validation.acc")?.epoch).toBe(20);
  });

  it("linear outputs with a from-logits loss, logits unannounced", async () => {
    const { train, validation } = threeBlobs(3);
    const files = await trainRun({
      seed: 3,
      train,
      validation,
      classes: 3,
      activation: "linear",
      loss: (yt, yp) => tf.losses.softmaxCrossEntropy(yt, yp),
      metrics: ["accuracy"],
    });
    const r = await run(files);
    expect(errors(r)).toEqual([]);
    const a = r.audit as { inferred: { predictions: string }; notes: string[] };
    expect(a.inferred.predictions).toBe("logits");
    expect(a.notes.join(" ")).toMatch(/logits/);
    const loss = r.consistency.find((c) => c.quantity === "validation.loss") as unknown as {
      ok: boolean;
      definition: string;
    };
    expect(loss.ok).toBe(true);
    expect(loss.definition).toBe("categorical-ce-logits");
  });
});

describe("planted bugs are found", () => {
  it("MSE on one-hot classes -> loss-task-mismatch", async () => {
    const { train, validation } = threeBlobs(4);
    const files = await trainRun({
      seed: 4,
      train,
      validation,
      classes: 3,
      activation: "softmax",
      loss: "meanSquaredError",
      metrics: ["accuracy"],
    });
    const r = await run(files);
    expect(r.findings[0].code).toBe("loss-task-mismatch");
    expect(r.findings[0].severity).toBe("error");
    expect(JSON.stringify(r.findings[0].evidence)).toMatch(/"id":"mse"/);
  });

  it("binary cross-entropy + accuracy on 3 one-hot classes -> accuracy-semantics-mismatch", async () => {
    const { train, validation } = threeBlobs(5);
    const files = await trainRun({
      seed: 5,
      train,
      validation,
      classes: 3,
      activation: "softmax",
      loss: "binaryCrossentropy",
      metrics: ["accuracy"],
      epochs: 3,
      learningRate: 0.005,
    });
    const r = await run(files);
    expect(codes(r)).toContain("accuracy-semantics-mismatch");
    const f = r.findings.find((x) => x.code === "accuracy-semantics-mismatch")!;
    expect(f.severity).toBe("error");
    expect(f.message).toMatch(/binary accuracy over 3 one-hot outputs/);
    // the loss itself is the binary cross-entropy the run asked for: no loss finding
    expect(codes(r)).not.toContain("loss-mismatch");
  });

  it("logits output with a probability loss -> loss-mismatch (logits read as probabilities)", async () => {
    const { train, validation } = threeBlobs(6);
    const files = await trainRun({
      seed: 6,
      train,
      validation,
      classes: 3,
      activation: "linear",
      loss: "categoricalCrossentropy",
      metrics: ["accuracy"],
      epochs: 5,
    });
    const r = await run(files);
    const f = r.findings.find((x) => x.code === "loss-mismatch")!;
    expect(f).toBeDefined();
    expect(f.severity).toBe("error");
    expect(f.title).toMatch(/logits as probabilities/);
  });

  it("a hard-coded custom metric -> metric-insensitive", async () => {
    const { train, validation } = threeBlobs(7);
    const fixedAccuracy = (_yt: tf.Tensor, _yp: tf.Tensor) => tf.scalar(0.75);
    const files = await trainRun({
      seed: 7,
      train,
      validation,
      classes: 3,
      activation: "softmax",
      loss: "categoricalCrossentropy",
      metrics: ["accuracy", fixedAccuracy],
      epochs: 8,
    });
    expect(Object.keys(files.historyJson)).toContain("val_fixedAccuracy");
    const r = await run(files);
    expect(r.findings[0].code).toBe("metric-insensitive");
    expect(r.findings[0].title).toMatch(/fixedAccuracy/);
    // the real accuracy is still reproduced
    expect(r.consistency.find((c) => c.quantity === "validation.acc")?.ok).toBe(true);
  });

  it("imbalanced set and a collapsed model -> majority-class-collapse and class-imbalance, numbers consistent", async () => {
    const rng = Rng.fromSeed(8);
    // Both classes from the same distribution: nothing to learn but the prior, so the model collapses.
    const files = await trainRun({
      seed: 8,
      train: blobs(rng.stream("t"), [380, 20], [[0, 0], [0, 0]]),
      validation: blobs(rng.stream("v"), [190, 10], [[0, 0], [0, 0]]),
      classes: 2,
      units: 1,
      activation: "sigmoid",
      loss: "binaryCrossentropy",
      metrics: ["accuracy"],
      epochs: 10,
    });
    const r = await run(files);
    expect(codes(r)).toContain("majority-class-collapse");
    expect(codes(r)).toContain("class-imbalance");
    expect(codes(r)).not.toContain("metric-mismatch");
    expect(codes(r)).not.toContain("accuracy-semantics-mismatch");
    // accuracy stuck at the prior while the loss moves is reproduced, so it is not "insensitive"
    expect(codes(r)).not.toContain("metric-insensitive");
    expect(codes(r).indexOf("majority-class-collapse")).toBeLessThan(codes(r).indexOf("class-imbalance"));
  });

  it("a class drowned in another -> accuracy-hides-class-failure (per-class recall)", async () => {
    const rng = Rng.fromSeed(9);
    // class 2 comes from class 0's distribution: it cannot be recalled, while accuracy stays high.
    const centres = [[0, 0], [5, 0], [0, 0]];
    const files = await trainRun({
      seed: 9,
      train: blobs(rng.stream("t"), [300, 120, 30], centres, 0.7),
      validation: blobs(rng.stream("v"), [150, 60, 15], centres, 0.7),
      classes: 3,
      activation: "softmax",
      loss: "categoricalCrossentropy",
      metrics: ["accuracy"],
    });
    const r = await run(files);
    const f = r.findings.find((x) => x.code === "accuracy-hides-class-failure")!;
    expect(f).toBeDefined();
    expect(f.title).toMatch(/class 2/);
    expect(errors(r)).toEqual([]);
  });

  it("binary logits thresholded at 0.5 by tfjs accuracy -> accuracy-semantics-mismatch", async () => {
    const rng = Rng.fromSeed(10);
    const centres = [[0, 0], [2, 2]];
    const files = await trainRun({
      seed: 10,
      train: blobs(rng.stream("t"), [150, 150], centres),
      validation: blobs(rng.stream("v"), [80, 80], centres),
      classes: 2,
      units: 1,
      activation: "linear",
      loss: (yt, yp) => tf.losses.sigmoidCrossEntropy(yt, yp),
      metrics: ["accuracy"],
    });
    const r = await run(files);
    const f = r.findings.find((x) => x.code === "accuracy-semantics-mismatch");
    // The 0.5 cut differs from the 0 cut only for logits in (0, 0.5]: this run has some, so the two
    // accuracies differ and the logged one is the wrong one.
    const between = files.predictionsMatrix.flat().filter((v) => v > 0 && v <= 0.5).length;
    expect(between).toBeGreaterThan(0);
    expect(f?.severity).toBe("error");
    expect(f?.message).toMatch(/0.5 threshold on logits/);
    expect(codes(r)).not.toContain("loss-mismatch");
    expect(r.consistency.find((c) => c.quantity === "validation.loss")?.ok).toBe(true);
  });

  it("loss summed over the batch -> loss-mismatch (sum), a warning", async () => {
    const { train, validation } = threeBlobs(11);
    const files = await trainRun({
      seed: 11,
      train,
      validation,
      classes: 3,
      activation: "linear",
      loss: (yt, yp) => tf.losses.softmaxCrossEntropy(yt, yp, undefined, undefined, tf.Reduction.SUM),
      metrics: ["accuracy"],
      batchSize: 32,
      learningRate: 0.002,
    });
    const r = await run(files);
    const f = r.findings.find((x) => x.code === "loss-mismatch")!;
    expect(f.severity).toBe("warning");
    expect(f.message).toMatch(/batches of 32/);
    expect(errors(r)).toEqual([]);
  });
});
