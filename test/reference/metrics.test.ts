import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { fromRows, matrix } from "../../src/reference/matrix.ts";
import {
  auc,
  balancedAccuracy,
  binaryAccuracy,
  categoricalAccuracy,
  computeMetric,
  confusionMatrix,
  elementwisePrecision,
  elementwiseRecall,
  f1,
  macroF1,
  mae,
  majorityClassAccuracy,
  mse,
  oneHot,
  perClassMetrics,
  precision,
  r2,
  recall,
  resolveAccuracy,
  rmse,
  sparseCategoricalAccuracy,
  topKCategoricalAccuracy,
} from "../../src/reference/metrics.ts";
import { Rng } from "../../src/random.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("accuracy resolution", () => {
  it("follows tf.keras by shape", () => {
    expect(resolveAccuracy(1, 1).kind).toBe("binary");
    expect(resolveAccuracy(1, 4).kind).toBe("sparse-categorical");
    expect(resolveAccuracy(4, 4).kind).toBe("categorical");
  });
  it("follows tfjs / Keras <= 2.3 by loss, whatever the shape", () => {
    const r = resolveAccuracy(3, 3, { convention: "loss-based", loss: "binary-crossentropy" });
    expect(r.kind).toBe("binary");
    expect(r.reason).toMatch(/binary cross-entropy/);
    expect(resolveAccuracy(1, 3, { convention: "loss-based", loss: "sparseCategoricalCrossentropy" }).kind)
      .toBe("sparse-categorical");
    expect(resolveAccuracy(3, 3, { convention: "loss-based", loss: "mse" }).kind).toBe("categorical");
  });
  it("computeMetric says which accuracy it used", () => {
    const r = computeMetric("accuracy", fromRows([[2], [0]]), fromRows([[0, 0.2, 0.8], [0.1, 0.5, 0.4]]));
    expect(r.value).toBe(0.5);
    expect(r.definition).toMatch(/^sparse-categorical-accuracy/);
  });
});

describe("hand-computed cases", () => {
  // 3 classes, 6 rows. True: 0 0 0 1 1 2; predicted (argmax): 0 0 1 1 0 1.
  const yTrue = fromRows([[0], [0], [0], [1], [1], [2]]);
  const yPred = fromRows([
    [0.7, 0.2, 0.1],
    [0.5, 0.3, 0.2],
    [0.3, 0.6, 0.1],
    [0.2, 0.7, 0.1],
    [0.4, 0.35, 0.25],
    [0.1, 0.5, 0.4],
  ]);

  it("confusion matrix, per-class, macro, balanced", () => {
    const cm = confusionMatrix(yTrue, yPred);
    expect(Array.from(cm.data)).toEqual([2, 1, 0, 1, 1, 0, 0, 1, 0]);
    const pc = perClassMetrics(yTrue, yPred);
    // precision: class0 2/3, class1 1/3, class2 never predicted -> 0
    expect(Array.from(pc.precision)).toEqual([2 / 3, 1 / 3, 0]);
    expect(Array.from(pc.recall)).toEqual([2 / 3, 1 / 2, 0]);
    expect(precision(yTrue, yPred)).toBeCloseTo((2 / 3 + 1 / 3 + 0) / 3, 15);
    expect(recall(yTrue, yPred)).toBeCloseTo((2 / 3 + 1 / 2 + 0) / 3, 15);
    expect(balancedAccuracy(yTrue, yPred)).toBeCloseTo((2 / 3 + 1 / 2) / 3, 15);
    const f1s = [2 / 3, (2 * (1 / 3) * (1 / 2)) / (1 / 3 + 1 / 2), 0];
    expect(f1(yTrue, yPred)).toBeCloseTo((f1s[0] + f1s[1] + f1s[2]) / 3, 15);
    expect(macroF1(yTrue, yPred)).toBeCloseTo((f1s[0] + f1s[1] + f1s[2]) / 3, 15);
    expect(sparseCategoricalAccuracy(yTrue, yPred)).toBe(3 / 6);
    expect(categoricalAccuracy(oneHot([0, 0, 0, 1, 1, 2], 3), yPred)).toBe(3 / 6);
    expect(majorityClassAccuracy(yTrue)).toBe(3 / 6);
  });

  it("top-k counts ties at the boundary as in", () => {
    expect(topKCategoricalAccuracy(yTrue, yPred, { k: 1 })).toBe(3 / 6);
    // row 6: true class 2 scores 0.4, only class 1 is higher -> in top 2. Row 3: class 0 second. Row 5: class 1 second.
    expect(topKCategoricalAccuracy(yTrue, yPred, { k: 2 })).toBe(1);
    const tie = fromRows([[0.5, 0.5, 0]]);
    expect(topKCategoricalAccuracy(fromRows([[1]]), tie, { k: 1 })).toBe(1);
  });

  it("binary metrics take a strict threshold", () => {
    const y = fromRows([[1], [0], [1], [0]]);
    const p = fromRows([[0.9], [0.5], [0.4], [0.6]]);
    expect(binaryAccuracy(y, p)).toBe(0.5); // 0.5 is not > 0.5
    expect(binaryAccuracy(y, p, { threshold: 0.3 })).toBe(0.5);
    expect(precision(y, p)).toBe(0.5);
    expect(recall(y, p)).toBe(0.5);
    expect(f1(y, p)).toBe(0.5);
  });

  it("elementwise (Keras Precision) differs from macro on one-hot", () => {
    const y = oneHot([0, 1, 2], 3);
    const p = fromRows([[0.6, 0.6, 0], [0, 0.4, 0], [0, 0, 0.9]]);
    expect(elementwisePrecision(y, p)).toBe(2 / 3); // positives: (0,0) (0,1) (2,2); true: (0,0) (2,2)
    expect(elementwiseRecall(y, p)).toBe(2 / 3);
  });

  it("exact AUC: Mann-Whitney with ties as one half", () => {
    const y = fromRows([[0], [0], [1], [1]]);
    expect(auc(y, fromRows([[0.1], [0.4], [0.35], [0.8]]))).toBe(0.75);
    expect(auc(y, fromRows([[0.5], [0.5], [0.5], [0.5]]))).toBe(0.5);
    expect(Number.isNaN(auc(fromRows([[1], [1]]), fromRows([[0.1], [0.2]])))).toBe(true);
  });

  it("keras 200-threshold AUC equals exact when scores sit on its grid", () => {
    const y = fromRows([[0], [0], [1], [1], [0], [1]]);
    // scores at multiples of 1/199 plus a hair, so every distinct score has its own threshold
    const s = [3, 40, 35, 180, 100, 100].map((i) => [i / 199 + 1e-9]);
    const p = fromRows(s);
    expect(auc(y, p, { method: "keras" })).toBeCloseTo(auc(y, p), 12);
    // and is coarser than exact when scores crowd one bin
    const crowded = fromRows([[0.5001], [0.5002], [0.5003], [0.5004], [0.5], [0.5005]]);
    expect(auc(y, crowded)).not.toBeCloseTo(auc(y, crowded, { method: "keras" }), 3);
  });

  it("regression metrics", () => {
    const y = fromRows([[1, 0], [2, 0], [3, 6]]);
    const p = fromRows([[1.5, 0], [2, 1], [2, 6]]);
    expect(mae(y, p)).toBeCloseTo((0.5 + 0 + 0 + 1 + 1 + 0) / 6, 15);
    expect(mse(y, p)).toBeCloseTo((0.25 + 1 + 1) / 6, 15);
    expect(rmse(y, p)).toBeCloseTo(Math.sqrt(2.25 / 6), 15);
    // column 0: ssRes = 1.25, ssTot = 2; column 1: ssRes = 1, ssTot = 24
    expect(r2(y, p)).toBeCloseTo((1 - 1.25 / 2 + 1 - 1 / 24) / 2, 15);
  });
});

describe("against tfjs metrics on random data", () => {
  const rng = Rng.fromSeed(11);
  const stream = rng.stream("metrics-test");
  const rows = 257, classes = 5;
  const labels = Array.from({ length: rows }, () => Math.floor(stream.next() * classes));
  const logits = matrix(rows, classes, Array.from({ length: rows * classes }, () => stream.next() * 4 - 2));
  const probs = matrix(rows, classes);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits.data[r * classes + c]);
    for (let c = 0; c < classes; c++) {
      probs.data[r * classes + c] = Math.exp(logits.data[r * classes + c]) / s;
    }
  }
  const y = oneHot(labels, classes);
  const t = (m: { data: Float64Array; rows: number; cols: number }) =>
    tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols]);
  const mean = (x: tf.Tensor) => x.mean().dataSync()[0];
  // tfjs computes in float32: per-row 0/1 results averaged, so 1e-6 is a few float32 ulps of a mean <= 1.
  const tol = 1e-6;

  it("categorical, sparse categorical and binary accuracy", () => {
    expect(Math.abs(mean(tf.metrics.categoricalAccuracy(t(y), t(probs))) - categoricalAccuracy(y, probs)))
      .toBeLessThan(tol);
    const sparse = matrix(rows, 1, labels);
    expect(
      Math.abs(
        mean(tf.metrics.sparseCategoricalAccuracy(t(sparse), t(probs))) -
          sparseCategoricalAccuracy(sparse, probs),
      ),
    )
      .toBeLessThan(tol);
    expect(Math.abs(mean(tf.metrics.binaryAccuracy(t(y), t(probs))) - binaryAccuracy(y, probs))).toBeLessThan(
      tol,
    );
  });

  it("mse, mae and r2", () => {
    expect(Math.abs(mean(tf.metrics.meanSquaredError(t(y), t(probs))) - mse(y, probs))).toBeLessThan(tol);
    expect(Math.abs(mean(tf.metrics.meanAbsoluteError(t(y), t(probs))) - mae(y, probs))).toBeLessThan(tol);
    const col = matrix(rows, 1, logits.data.subarray(0, rows));
    const target = matrix(rows, 1, logits.data.subarray(rows, 2 * rows));
    expect(Math.abs(tf.metrics.r2Score(t(target), t(col)).dataSync()[0] - r2(target, col))).toBeLessThan(
      1e-5,
    );
  });

  it("binary precision and recall on thresholded predictions", () => {
    // tf.metrics.precision/recall count exact 1s and 0s, so they need binarised predictions.
    const yb = matrix(rows, 1, labels.map((l) => (l >= 2 ? 1 : 0)));
    const pb = matrix(rows, 1, Array.from(probs.data.subarray(0, rows)));
    const binarised = matrix(rows, 1, pb.data.map((v) => (v > 0.2 ? 1 : 0)));
    expect(
      Math.abs(
        tf.metrics.precision(t(yb), t(binarised)).dataSync()[0] - precision(yb, pb, { threshold: 0.2 }),
      ),
    )
      .toBeLessThan(tol);
    expect(
      Math.abs(tf.metrics.recall(t(yb), t(binarised)).dataSync()[0] - recall(yb, pb, { threshold: 0.2 })),
    )
      .toBeLessThan(tol);
  });
});
