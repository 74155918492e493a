/**
 * More real tfjs runs: healthy setups across shapes (sparse labels, saturated outputs, 2-unit
 * softmax, multi-label with dropout, regression, log-softmax outputs, predictions printed with 6
 * decimals) must stay free of errors; natural metric bugs of tfjs must be found.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit/mod.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { Report } from "../../src/report/types.ts";
import { Rng } from "../../src/random.ts";
import { blobs, trainRun } from "./_runs.ts";

const errors = (r: Report) => r.findings.filter((f) => f.severity === "error").map((f) => f.code);
const inferred = (r: Report) => (r.audit as { inferred: { task: string; predictions: string } }).inferred;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("healthy runs of other shapes", () => {
  const rng = Rng.fromSeed(40);
  const bin = {
    train: blobs(rng.stream("bt"), [200, 100], [[0, 0], [6, 6]]),
    validation: blobs(rng.stream("bv"), [300, 150], [[0, 0], [6, 6]]),
  };

  it("saturated sigmoid outputs (binary accuracy logged twice, as acc and binaryAccuracy)", async () => {
    const files = await trainRun({
      seed: 40,
      ...bin,
      classes: 2,
      units: 1,
      activation: "sigmoid",
      loss: "binaryCrossentropy",
      metrics: ["accuracy", "binaryAccuracy"],
      epochs: 40,
      learningRate: 0.05,
    });
    const r = await audit(
      { labels: files.labels, predictions: files.predictions, history: files.history },
      files.source,
    );
    expect(errors(r)).toEqual([]);
    expect(r.consistency.every((c) => c.ok)).toBe(true);
  });

  it("two softmax units for two classes, index labels", async () => {
    const files = await trainRun({
      seed: 41,
      ...bin,
      classes: 2,
      activation: "softmax",
      loss: "categoricalCrossentropy",
      metrics: ["accuracy"],
      epochs: 10,
    });
    const r = await audit(
      { labels: files.labels, predictions: files.predictions, history: files.history },
      files.source,
    );
    expect(inferred(r)).toMatchObject({ task: "binary", predictions: "softmax-probabilities" });
    expect(errors(r)).toEqual([]);
  });

  it("multi-label sigmoid outputs with dropout", async () => {
    const mk = (n: number) => {
      const x = Array.from({ length: n }, () => [rng.normal(), rng.normal(), rng.normal()]);
      return { x, y: x.map((r) => r.map((v) => (v > 0.3 ? 1 : 0))) };
    };
    const tr = mk(300), va = mk(200);
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 16, activation: "relu", inputShape: [3] }));
    m.add(tf.layers.dropout({ rate: 0.2 }));
    m.add(tf.layers.dense({ units: 3, activation: "sigmoid" }));
    m.compile({ optimizer: tf.train.adam(0.02), loss: "binaryCrossentropy", metrics: ["accuracy"] });
    const h = await m.fit(tf.tensor2d(tr.x), tf.tensor2d(tr.y), {
      epochs: 8,
      validationData: [tf.tensor2d(va.x), tf.tensor2d(va.y)],
      verbose: 0,
    });
    const p = (m.predict(tf.tensor2d(va.x)) as tf.Tensor).arraySync() as number[][];
    const src = memoryFileSource({
      "/y.csv": "a,b,c\n" + va.y.map((r) => r.join(",")).join("\n"),
      "/p.csv": p.map((r) => r.join(",")).join("\n"),
      "/h.json": JSON.stringify(h.history),
    });
    const r = await audit({ labels: "/y.csv", predictions: "/p.csv", history: "/h.json" }, src);
    expect(inferred(r)).toMatchObject({ task: "multilabel", predictions: "sigmoid-probabilities" });
    expect(errors(r)).toEqual([]);
    expect(r.consistency.every((c) => c.ok)).toBe(true);
  });

  it("regression with mse loss and mae/mse metrics", async () => {
    const xr = Array.from({ length: 300 }, () => [rng.normal(), rng.normal()]);
    const yr = xr.map(([a, c]) => 2 * a - c + 0.1 * rng.normal());
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 8, activation: "relu", inputShape: [2] }));
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ optimizer: tf.train.adam(0.02), loss: "meanSquaredError", metrics: ["mae", "mse"] });
    const h = await m.fit(tf.tensor2d(xr.slice(0, 200)), tf.tensor2d(yr.slice(0, 200).map((v) => [v])), {
      epochs: 10,
      validationData: [tf.tensor2d(xr.slice(200)), tf.tensor2d(yr.slice(200).map((v) => [v]))],
      verbose: 0,
    });
    const p = (m.predict(tf.tensor2d(xr.slice(200))) as tf.Tensor).arraySync() as number[][];
    const src = memoryFileSource({
      "/y.csv": "y\n" + yr.slice(200).join("\n"),
      "/p.csv": p.map((r) => r[0]).join("\n"),
      "/h.json": JSON.stringify(h.history),
    });
    const r = await audit({ labels: "/y.csv", predictions: "/p.csv", history: "/h.json" }, src);
    expect(inferred(r).task).toBe("regression");
    expect(r.findings).toEqual([]);
    expect(r.consistency.map((c) => c.quantity).sort()).toEqual([
      "validation.loss",
      "validation.mae",
      "validation.mse",
    ]);
  });

  it("log-softmax outputs (PyTorch NLL style) and predictions printed with 6 decimals", async () => {
    const c3 = {
      train: blobs(rng.stream("ct"), [100, 100, 100], [[0, 0], [3, 0], [0, 3]]),
      validation: blobs(rng.stream("cv"), [80, 80, 80], [[0, 0], [3, 0], [0, 3]]),
    };
    const files = await trainRun({
      seed: 42,
      ...c3,
      classes: 3,
      activation: "linear",
      loss: (yt, yp) => tf.losses.softmaxCrossEntropy(yt, yp),
      metrics: ["accuracy"],
      epochs: 10,
    });
    const logp = files.predictionsMatrix.map((r) => {
      const mx = Math.max(...r);
      const lse = mx + Math.log(r.reduce((s, v) => s + Math.exp(v - mx), 0));
      return r.map((v) => v - lse);
    });
    const y = "y\n" + c3.validation.y.join("\n");
    const h = JSON.stringify(files.historyJson);
    for (
      const rows of [
        logp.map((r) => r.join(",")),
        files.predictionsMatrix.map((r) => r.map((v) => v.toFixed(6)).join(",")),
      ]
    ) {
      const src = memoryFileSource({ "/y.csv": y, "/p.csv": rows.join("\n"), "/h.json": h });
      const r = await audit({ labels: "/y.csv", predictions: "/p.csv", history: "/h.json" }, src);
      expect(inferred(r).predictions).toBe("logits");
      expect(errors(r)).toEqual([]);
      expect(r.consistency.every((c) => c.ok)).toBe(true);
    }
  });
});

describe("natural tfjs metric bugs", () => {
  const rng = Rng.fromSeed(50);
  it("mse metric with sparse labels: the index column is broadcast against every output", async () => {
    const k = 4;
    const centres = Array.from({ length: k }, (_, c) => [3 * Math.cos(c), 3 * Math.sin(c)]);
    const files = await trainRun({
      seed: 50,
      train: blobs(rng.stream("t"), Array(k).fill(80), centres),
      validation: blobs(rng.stream("v"), Array(k).fill(60), centres),
      classes: k,
      activation: "softmax",
      loss: "sparseCategoricalCrossentropy",
      metrics: ["accuracy", "mse"],
      targets: "index",
      epochs: 8,
    });
    const r = await audit(
      { labels: files.labels, predictions: files.predictions, history: files.history },
      files.source,
    );
    const f = r.findings.find((x) => x.code === "accuracy-semantics-mismatch")!;
    expect(f.title).toMatch(/validation\.mse/);
    expect(f.message).toMatch(/broadcast/);
    expect(r.consistency.find((c) => c.quantity === "validation.acc")?.ok).toBe(true);
    expect(r.consistency.find((c) => c.quantity === "validation.loss")?.ok).toBe(true);
  });

  it("tfjs precision on un-thresholded probabilities counts only exact ones", async () => {
    const files = await trainRun({
      seed: 51,
      train: blobs(rng.stream("bt"), [200, 100], [[0, 0], [2, 2]]),
      validation: blobs(rng.stream("bv"), [200, 100], [[0, 0], [2, 2]]),
      classes: 2,
      units: 1,
      activation: "sigmoid",
      loss: "binaryCrossentropy",
      metrics: ["accuracy", "precision"],
      epochs: 10,
    });
    const r = await audit(
      { labels: files.labels, predictions: files.predictions, history: files.history },
      files.source,
    );
    expect(errors(r)).toEqual(["accuracy-semantics-mismatch"]);
    expect(r.findings[0].message).toMatch(/exactly/);
  });
});
