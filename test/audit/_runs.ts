/**
 * Real training runs for the audit tests: small @tensorflow/tfjs layers models trained on the CPU
 * backend, with healthy and buggy setups, written out in the formats of CONTRACT §3 (labels CSV,
 * predictions CSV or .npy, History.history JSON or a Keras CSVLogger CSV) into an in-memory FileSource.
 */
import * as tf from "@tensorflow/tfjs";
import { type FileSource, memoryFileSource } from "../../src/io.ts";
import { Rng } from "../../src/random.ts";

export interface Blobs {
  x: number[][];
  y: number[];
}

/** Gaussian blobs: class c centred at `centres[c]`, `counts[c]` rows, unit spread times `spread`. */
export function blobs(rng: Rng, counts: number[], centres: number[][], spread = 1): Blobs {
  const x: number[][] = [], y: number[] = [];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) {
      x.push(centres[c].map((m) => m + spread * rng.normal()));
      y.push(c);
    }
  });
  const order = rng.permutation(y.length);
  return { x: Array.from(order, (i) => x[i]), y: Array.from(order, (i) => y[i]) };
}

export interface RunSpec {
  seed: number;
  train: Blobs;
  validation: Blobs;
  classes: number;
  /** Output units (default: classes, or 1 when `binary`). */
  units?: number;
  activation: "softmax" | "sigmoid" | "linear";
  loss: string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);
  // deno-lint-ignore no-explicit-any
  metrics: any[];
  /** Targets: one-hot (default for units > 1) or the class index column. */
  targets?: "one-hot" | "index";
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
}

export interface RunFiles {
  source: FileSource;
  labels: string;
  predictions: string;
  history: string;
  historyJson: Record<string, number[]>;
  predictionsMatrix: number[][];
}

/** Trains the model, then writes the validation labels, the final predictions and the history. */
export async function trainRun(
  spec: RunSpec,
  format: { labels?: "index" | "one-hot"; predictions?: "csv" | "npy"; history?: "json" | "csv-logger" } = {},
): Promise<RunFiles> {
  await tf.setBackend("cpu");
  const units = spec.units ?? spec.classes;
  const features = spec.train.x[0].length;
  const model = tf.sequential();
  model.add(tf.layers.dense({
    units: 16,
    activation: "relu",
    inputShape: [features],
    kernelInitializer: tf.initializers.glorotUniform({ seed: spec.seed }),
  }));
  model.add(tf.layers.dense({
    units,
    activation: spec.activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: spec.seed + 1 }),
  }));
  model.compile({
    optimizer: tf.train.adam(spec.learningRate ?? 0.02),
    loss: spec.loss,
    metrics: spec.metrics,
  });
  const targets = spec.targets ?? (units > 1 ? "one-hot" : "index");
  const enc = (b: Blobs) =>
    targets === "one-hot"
      ? tf.oneHot(tf.tensor1d(b.y, "int32"), units).toFloat()
      : tf.tensor2d(b.y.map((v) => [v]));
  const xs = tf.tensor2d(spec.train.x), ys = enc(spec.train);
  const xv = tf.tensor2d(spec.validation.x), yv = enc(spec.validation);
  const h = await model.fit(xs, ys, {
    epochs: spec.epochs ?? 20,
    batchSize: spec.batchSize ?? 32,
    validationData: [xv, yv],
    shuffle: false,
    verbose: 0,
  });
  const pred = model.predict(xv) as tf.Tensor;
  const predictions = (await pred.array()) as number[][];
  const history = h.history as Record<string, number[]>;

  const files: Record<string, string | Uint8Array> = {};
  const labelsFormat = format.labels ?? "index";
  files["/run/labels.csv"] = labelsFormat === "index"
    ? "label\n" + spec.validation.y.join("\n") + "\n"
    : Array.from({ length: units }, (_, c) => `class_${c}`).join(",") + "\n" +
      spec.validation.y.map((l) => Array.from({ length: units }, (_, c) => (c === l ? 1 : 0)).join(",")).join(
        "\n",
      ) + "\n";
  const predPath = format.predictions === "npy" ? "/run/predictions.npy" : "/run/predictions.csv";
  files[predPath] = format.predictions === "npy"
    ? npyF4(predictions)
    : predictions.map((r) => r.join(",")).join("\n") + "\n";
  const histPath = format.history === "csv-logger" ? "/run/history.csv" : "/run/history.json";
  files[histPath] = format.history === "csv-logger" ? csvLogger(history) : JSON.stringify(history);
  tf.dispose([xs, ys, xv, yv, pred]);
  model.dispose();
  return {
    source: memoryFileSource(files),
    labels: "/run/labels.csv",
    predictions: predPath,
    history: histPath,
    historyJson: history,
    predictionsMatrix: predictions,
  };
}

/** Keras CSVLogger layout: `epoch` (from 0) then the keys sorted, as Keras writes them. */
export function csvLogger(history: Record<string, number[]>): string {
  const keys = Object.keys(history).sort();
  const n = history[keys[0]].length;
  const lines = ["epoch," + keys.join(",")];
  for (let e = 0; e < n; e++) lines.push([e, ...keys.map((k) => history[k][e])].join(","));
  return lines.join("\n") + "\n";
}

/** A little-endian float32 .npy (format 1.0) of a 2-d array. */
export function npyF4(rows: number[][]): Uint8Array {
  const r = rows.length, c = rows[0].length;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${r}, ${c}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + 4 * r * c);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, 10 + header.length);
  rows.flat().forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

/** Three well separated blobs in 2-d. */
export function threeBlobs(
  seed: number,
  perClass = [100, 100, 100],
  valPerClass = [50, 50, 50],
): { train: Blobs; validation: Blobs } {
  const rng = Rng.fromSeed(seed);
  const centres = [[0, 0], [4, 0], [2, 3.5]];
  return {
    train: blobs(rng.stream("train"), perClass, centres),
    validation: blobs(rng.stream("validation"), valPerClass, centres),
  };
}
