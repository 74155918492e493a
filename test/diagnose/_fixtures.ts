/** Test data and scenarios for the diagnose tests, built from seeded Rng streams (never the gallery). */
import type { Dataset } from "../../src/data/dataset.ts";
import { Rng } from "../../src/random.ts";
import type { Activation, LayerSpec, LossName, Scenario, Task } from "../../src/scenario/types.ts";
import type { TaskInfo } from "../../src/diagnose/setup.ts";

export function taskInfo(task: Task): TaskInfo {
  return { task, inferred: false, reason: "given in the scenario" };
}

export interface ScenarioOptions {
  task?: Task;
  features?: number;
  hidden?: LayerSpec[];
  units: number;
  activation: Activation;
  loss: LossName;
  fromLogits?: boolean;
  reduction?: "mean" | "sum";
  optimizer?: "adam" | "sgd";
  learningRate?: number;
  metrics?: Array<string | { name: string; threshold: number }>;
  shuffle?: boolean;
  batchSize?: number;
  validation?: Scenario["validation"];
}

/** A resolved scenario with the CONTRACT defaults, shaped by `o`. */
export function scenario(o: ScenarioOptions): Scenario {
  const lr = o.learningRate ?? (o.optimizer === "sgd" ? 0.01 : 0.001);
  return {
    name: "test",
    description: "",
    seed: 3,
    task: o.task,
    data: { kind: "rows", rows: [], target: [0], transforms: [] },
    validation: o.validation === undefined
      ? { kind: "split", fraction: 0.2, shuffle: true, stratify: false }
      : o.validation,
    model: {
      layers: [...(o.hidden ?? [{ units: 16, activation: "relu", dropout: 0 }]), {
        units: o.units,
        activation: o.activation,
        dropout: 0,
      }],
      init: { kind: "glorot-uniform" },
    },
    loss: { name: o.loss, fromLogits: o.fromLogits ?? false, reduction: o.reduction ?? "mean", delta: 1 },
    optimizer: o.optimizer === "sgd"
      ? { name: "sgd", learningRate: lr, momentum: 0 }
      : { name: "adam", learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    training: {
      epochs: 10,
      batchSize: o.batchSize ?? 32,
      shuffle: o.shuffle ?? true,
      sameBatchEveryStep: false,
    },
    metrics: (o.metrics ?? ["accuracy"]).map((m) => typeof m === "string" ? { name: m, threshold: 0.5 } : m),
    path: "<inline>",
  };
}

function dataset(features: number[][], targets: number[][], source: string): Dataset {
  const d = features[0]?.length ?? 0, k = targets[0]?.length ?? 0;
  return {
    features: Float64Array.from(features.flat()),
    targets: Float64Array.from(targets.flat()),
    rows: features.length,
    featureNames: Array.from({ length: d }, (_, i) => `x${i}`),
    targetNames: k === 1 ? ["y"] : Array.from({ length: k }, (_, i) => `y${i}`),
    source,
  };
}

export interface BlobOptions {
  rows: number;
  classes: number;
  features?: number;
  /** Std of the class centres (cluster std is 1). */
  spread?: number;
  /** Relative class weights (default equal). */
  weights?: number[];
  oneHot?: boolean;
}

/** Gaussian blobs in random order, class-index (or one-hot) targets. */
export function blobs(rng: Rng, o: BlobOptions): Dataset {
  const d = o.features ?? 2, spread = o.spread ?? 3;
  const centres = Array.from(
    { length: o.classes },
    () => Array.from({ length: d }, () => spread * rng.normal()),
  );
  const w = o.weights ?? new Array(o.classes).fill(1);
  const total = w.reduce((a, b) => a + b, 0);
  const x: number[][] = [], y: number[][] = [];
  for (let c = 0; c < o.classes; c++) {
    const n = Math.round((o.rows * w[c]) / total);
    for (let i = 0; i < n; i++) {
      x.push(centres[c].map((m) => m + rng.normal()));
      y.push(o.oneHot ? Array.from({ length: o.classes }, (_, j) => (j === c ? 1 : 0)) : [c]);
    }
  }
  const order = rng.permutation(x.length);
  return dataset(Array.from(order, (i) => x[i]), Array.from(order, (i) => y[i]), "test:blobs");
}

/** y = x·w + noise, features standard normal; the target is `scale · y + offset`. */
export function linear(
  rng: Rng,
  o: { rows: number; features?: number; noise?: number; scale?: number; offset?: number },
): Dataset {
  const d = o.features ?? 3;
  const w = Array.from({ length: d }, () => rng.normal());
  const x: number[][] = [], y: number[][] = [];
  for (let i = 0; i < o.rows; i++) {
    const row = Array.from({ length: d }, () => rng.normal());
    const v = row.reduce((s, xi, j) => s + xi * w[j], 0) + (o.noise ?? 0.3) * rng.normal();
    x.push(row);
    y.push([(o.scale ?? 1) * v + (o.offset ?? 0)]);
  }
  return dataset(x, y, "test:linear");
}

/** Multi-label: label j is on when a random projection of the features is positive. */
export function multilabel(rng: Rng, o: { rows: number; features?: number; labels?: number }): Dataset {
  const d = o.features ?? 4, k = o.labels ?? 3;
  const w = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal()));
  const x: number[][] = [], y: number[][] = [];
  for (let i = 0; i < o.rows; i++) {
    const row = Array.from({ length: d }, () => rng.normal());
    x.push(row);
    y.push(w.map((wj) => (wj.reduce((s, v, j) => s + v * row[j], 0) + 0.3 * rng.normal() > 0 ? 1 : 0)));
  }
  return dataset(x, y, "test:multilabel");
}

/** Splits rows: the last `fraction` (no shuffle) or a random subset. */
export function split(ds: Dataset, fraction: number, rng?: Rng): { train: Dataset; validation: Dataset } {
  const n = ds.rows, nv = Math.round(n * fraction);
  const order = rng ? Array.from(rng.permutation(n)) : Array.from({ length: n }, (_, i) => i);
  const pick = (rows: number[]): Dataset => {
    const d = ds.featureNames.length, k = ds.targetNames.length;
    return {
      ...ds,
      rows: rows.length,
      features: Float64Array.from(rows.flatMap((r) => Array.from(ds.features.subarray(r * d, (r + 1) * d)))),
      targets: Float64Array.from(rows.flatMap((r) => Array.from(ds.targets.subarray(r * k, (r + 1) * k)))),
    };
  };
  const trainRows = order.slice(0, n - nv), valRows = order.slice(n - nv);
  return { train: pick(rng ? trainRows.sort((a, b) => a - b) : trainRows), validation: pick(valRows) };
}

/** Row-level map over a dataset's targets or features. */
export function mapColumn(
  ds: Dataset,
  which: "features" | "targets",
  c: number,
  f: (v: number, row: number) => number,
): Dataset {
  const width = which === "features" ? ds.featureNames.length : ds.targetNames.length;
  const data = Float64Array.from(ds[which]);
  for (let r = 0; r < ds.rows; r++) data[r * width + c] = f(data[r * width + c], r);
  return { ...ds, [which]: data };
}

/** Appends a feature column computed from each row's target row. */
export function addFeature(
  ds: Dataset,
  name: string,
  f: (targets: number[], row: number) => number,
): Dataset {
  const d = ds.featureNames.length, k = ds.targetNames.length;
  const data = new Float64Array(ds.rows * (d + 1));
  for (let r = 0; r < ds.rows; r++) {
    data.set(ds.features.subarray(r * d, (r + 1) * d), r * (d + 1));
    data[r * (d + 1) + d] = f(Array.from(ds.targets.subarray(r * k, (r + 1) * k)), r);
  }
  return { ...ds, features: data, featureNames: [...ds.featureNames, name] };
}

/** Rows reordered by their first target column (stable). */
export function sortByTarget(ds: Dataset): Dataset {
  const k = ds.targetNames.length, d = ds.featureNames.length;
  const order = Array.from({ length: ds.rows }, (_, i) => i).sort((a, b) =>
    ds.targets[a * k] - ds.targets[b * k]
  );
  return {
    ...ds,
    features: Float64Array.from(order.flatMap((r) => Array.from(ds.features.subarray(r * d, (r + 1) * d)))),
    targets: Float64Array.from(order.flatMap((r) => Array.from(ds.targets.subarray(r * k, (r + 1) * k)))),
  };
}

export function rng(label: string): Rng {
  return Rng.fromSeed(11).stream(label);
}
