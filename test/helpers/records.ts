/**
 * Builders for the training-detector tests: resolved scenarios with CONTRACT defaults, small seeded
 * data sets, synthetic TrainingRecords shaped by a few curves (for the exact case a detector is for),
 * and contexts from real float64 training runs (see mlp_trainer.ts).
 */
import type { TrainingContext } from "../../src/diagnose/training.ts";
import { oneHot } from "../../src/reference/metrics.ts";
import type { Matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import type { Scenario, Task } from "../../src/scenario/types.ts";
import { initialParameters, modelShape } from "../../src/train/model.ts";
import type {
  LayerStepStats,
  PredictionSnapshot,
  StepRecord,
  TrainingRecords,
} from "../../src/train/records.ts";
import { type TrainData, trainReference } from "./mlp_trainer.ts";
import { type DenseLayerSpec, outputLayer } from "../../src/layers/mod.ts";

/** The fixtures' layers: all dense. */
function denseLayers(s: Scenario): DenseLayerSpec[] {
  return s.model.layers as DenseLayerSpec[];
}

/** Overrides of a scenario (layers as [units, activation] pairs for brevity). */
export interface ScenarioInit {
  task?: Task;
  layers?: [number, DenseLayerSpec["activation"]][];
  init?: Scenario["model"]["init"];
  loss?: Partial<Scenario["loss"]> & { name: Scenario["loss"]["name"] };
  optimizer?: { name: "sgd" | "adam" | "rmsprop"; learningRate?: number; momentum?: number };
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  sameBatchEveryStep?: boolean;
  seed?: number;
}

/** A resolved scenario with the defaults of CONTRACT §2. */
export function scenario(init: ScenarioInit = {}): Scenario {
  const o = init.optimizer ?? { name: "adam" };
  const lr = o.learningRate ?? (o.name === "sgd" ? 0.01 : 0.001);
  const optimizer: Scenario["optimizer"] = o.name === "sgd"
    ? { name: "sgd", learningRate: lr, momentum: o.momentum ?? 0 }
    : o.name === "adam"
    ? { name: "adam", learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
    : { name: "rmsprop", learningRate: lr, rho: 0.9, epsilon: 1e-7 };
  return {
    name: "test",
    description: "",
    seed: init.seed ?? 0,
    task: init.task ?? "multiclass",
    data: { kind: "rows", rows: [], target: [], transforms: [] },
    validation: { kind: "split", fraction: 0.2, shuffle: true, stratify: false },
    model: {
      layers: (init.layers ?? [[16, "relu"], [3, "softmax"]]).map(([units, activation]) => ({
        units,
        activation,
        dropout: 0,
      })),
      init: init.init ?? { kind: "glorot-uniform" },
    },
    loss: { name: "categorical-crossentropy", fromLogits: false, reduction: "mean", delta: 1, ...init.loss },
    optimizer,
    training: {
      epochs: init.epochs ?? 20,
      batchSize: init.batchSize ?? 32,
      shuffle: init.shuffle ?? true,
      sameBatchEveryStep: init.sameBatchEveryStep ?? false,
    },
    metrics: [{ name: "accuracy", threshold: 0.5 }],
    path: "<inline>",
  };
}

// ---------------------------------------------------------------------------------------------
// Data

export interface Dataset2 {
  x: Matrix;
  /** Class indices (classification) or values (regression), one column (or K for multilabel). */
  labels: Matrix;
}

/** Gaussian blobs: `classes` centres on a circle of radius `spread`, unit-variance noise. */
export function blobs(
  n: number,
  classes: number,
  opts: { seed?: number; spread?: number; features?: number; weights?: number[] } = {},
): Dataset2 {
  const rng = Rng.fromSeed(opts.seed ?? 1).stream("blobs");
  const f = opts.features ?? 2, spread = opts.spread ?? 3;
  const w = opts.weights ?? new Array(classes).fill(1 / classes);
  const x = new Float64Array(n * f), y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let u = rng.next(), c = 0;
    while (c < classes - 1 && u > w[c]) u -= w[c++];
    y[r] = c;
    for (let j = 0; j < f; j++) {
      const centre = j === 0
        ? Math.cos((2 * Math.PI * c) / classes)
        : j === 1
        ? Math.sin((2 * Math.PI * c) / classes)
        : 0;
      x[r * f + j] = spread * centre + rng.normal();
    }
  }
  return { x: { data: x, rows: n, cols: f }, labels: { data: y, rows: n, cols: 1 } };
}

/** XOR of the signs of two uniform features (a nonlinear binary problem). */
export function xor(n: number, seed = 2): Dataset2 {
  const rng = Rng.fromSeed(seed).stream("xor");
  const x = new Float64Array(n * 2), y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const a = rng.uniform(-1, 1), b = rng.uniform(-1, 1);
    x[r * 2] = a, x[r * 2 + 1] = b, y[r] = (a > 0) !== (b > 0) ? 1 : 0;
  }
  return { x: { data: x, rows: n, cols: 2 }, labels: { data: y, rows: n, cols: 1 } };
}

/** y = Σ w_j x_j + noise, scaled by `scale` (wide targets with a large scale). */
export function linear(
  n: number,
  opts: { seed?: number; features?: number; scale?: number; noise?: number } = {},
): Dataset2 {
  const rng = Rng.fromSeed(opts.seed ?? 3).stream("linear");
  const f = opts.features ?? 3, scale = opts.scale ?? 1, noise = opts.noise ?? 0.1;
  const w = Array.from({ length: f }, () => rng.normal());
  const x = new Float64Array(n * f), y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < f; j++) s += w[j] * (x[r * f + j] = rng.normal());
    y[r] = scale * (s + noise * rng.normal());
  }
  return { x: { data: x, rows: n, cols: f }, labels: { data: y, rows: n, cols: 1 } };
}

/** Splits rows [0, n·(1−fraction)) / the rest (data generators are already random). */
export function split(d: Dataset2, fraction = 0.25): { train: Dataset2; validation: Dataset2 } {
  const nTrain = Math.round(d.x.rows * (1 - fraction));
  const part = (m: Matrix, a: number, b: number): Matrix => ({
    data: m.data.slice(a * m.cols, b * m.cols),
    rows: b - a,
    cols: m.cols,
  });
  return {
    train: { x: part(d.x, 0, nTrain), labels: part(d.labels, 0, nTrain) },
    validation: { x: part(d.x, nTrain, d.x.rows), labels: part(d.labels, nTrain, d.x.rows) },
  };
}

/** Targets as the scenario's loss consumes them (one-hot for categorical cross-entropy). */
export function encodeTargets(s: Scenario, labels: Matrix): Matrix {
  if (s.loss.name === "categorical-crossentropy" && labels.cols === 1) {
    const units = outputLayer(s.model.layers).units;
    return oneHot(labels.data, units);
  }
  return labels;
}

/** Trains `s` on `d` (with a validation split) with the float64 trainer; returns the detector context. */
export function trainedContext(
  s: Scenario,
  d: Dataset2,
  opts: { fraction?: number; probes?: TrainingContext["probes"] } = {},
): TrainingContext {
  const { train, validation } = split(d, opts.fraction ?? 0.25);
  const y = encodeTargets(s, train.labels), yVal = encodeTargets(s, validation.labels);
  const data: TrainData = { x: train.x, y, xVal: validation.x, yVal };
  return {
    scenario: s,
    task: s.task!,
    targets: { train: y, validation: yVal },
    records: trainReference(s, data),
    probes: opts.probes,
  };
}

// ---------------------------------------------------------------------------------------------
// Synthetic records

/** What a synthetic run looks like; every field has a healthy default. */
export interface SyntheticRun {
  scenario: Scenario;
  /** Encoded training targets (their rows set the snapshot sizes). */
  targets: Matrix;
  validationTargets?: Matrix | null;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Batch loss at global step `s` of `n`. */
  loss?: (s: number, n: number) => number;
  /** Full-pass training loss after epoch e (1-based) of E; defaults to the mean batch loss of the epoch. */
  epochLoss?: (e: number, E: number) => number;
  validationLoss?: (e: number, E: number) => number;
  /** Per-layer stats at step s (layer l of L). */
  layer?: (s: number, l: number, L: number) => Partial<LayerStepStats>;
  fingerprint?: (s: number) => number;
  /** Outputs (rows × cols) of the snapshot of `split` at `epoch`; default: near-perfect on the targets. */
  outputs?: (split: "train" | "validation", epoch: number, targets: Matrix) => Matrix;
  unitActivity?: (
    split: "train" | "validation",
    epoch: number,
    layer: number,
    units: number,
  ) => Float64Array | null;
  initialLoss?: number | null;
  phase?: TrainingRecords["phase"];
  /** Final weights; default: the initial weights plus a small deterministic perturbation. */
  finalWeights?: TrainingRecords["finalWeights"];
}

/** Records shaped by a few curves, with a complete, consistent structure. */
export function syntheticRecords(run: SyntheticRun): TrainingRecords {
  const s = run.scenario;
  const E = run.epochs ?? 10, P = run.stepsPerEpoch ?? 10, n = E * P;
  const L = s.model.layers.length;
  const loss = run.loss ?? ((k: number, N: number) => 1.1 * Math.exp((-3 * k) / N) + 0.05);
  const steps: StepRecord[] = [];
  for (let k = 0; k < n; k++) {
    const layers = denseLayers(s).map((spec, l): LayerStepStats => ({
      gradNorm: 0.1,
      biasGradNorm: 0.02,
      weightNorm: 2,
      updateRatio: 2e-3,
      deadFraction: spec.activation === "relu" ? 0.1 : null,
      saturatedFraction: spec.activation === "sigmoid" || spec.activation === "tanh" ? 0.05 : null,
      nonFinite: 0,
      ...run.layer?.(k, l, L),
    }));
    steps.push({
      step: k,
      epoch: Math.floor(k / P) + 1,
      batchRows: s.training.batchSize,
      loss: loss(k, n),
      fingerprint: run.fingerprint?.(k) ?? (k * 2654435761) >>> 0,
      layers,
    });
  }
  const history = Array.from({ length: E }, (_, i) => {
    const e = i + 1;
    const batch = steps.filter((st) => st.epoch === e).map((st) => st.loss);
    const mean = batch.reduce((a, v) => a + v, 0) / batch.length;
    return {
      epoch: e,
      train: { loss: run.epochLoss?.(e, E) ?? mean },
      validation: run.validationTargets ? { loss: run.validationLoss?.(e, E) ?? mean * 1.05 } : null,
      batchLossMean: mean,
    };
  });
  const cols = outputLayer(s.model.layers).units;
  const shape = modelShape(s, 2);
  const init = initialParameters(shape, s.model.init, s.seed);
  const snaps: PredictionSnapshot[] = [];
  for (const epoch of [0, 1, E]) {
    for (const split of ["train", "validation"] as const) {
      const y = split === "train" ? run.targets : run.validationTargets;
      if (!y) continue;
      const out = run.outputs?.(split, epoch, y) ?? defaultOutputs(y, cols, epoch === 0 ? 0 : 0.9);
      snaps.push({
        epoch,
        split,
        rows: y.rows,
        cols,
        outputs: out.data,
        logits: out.data.map((p) => Math.log(Math.max(p, 1e-7))),
        unitActivity: denseLayers(s).map((spec, l) =>
          run.unitActivity?.(split, epoch, l, spec.units) ??
            (spec.activation === "relu" ? new Float64Array(spec.units).fill(0.5) : null)
        ),
      });
    }
  }
  return {
    phase: run.phase ?? { status: "completed" },
    initialLoss: run.initialLoss === undefined ? loss(0, n) : run.initialLoss,
    steps,
    stepsPerEpoch: P,
    history,
    predictions: snaps,
    initialWeights: init,
    finalWeights: run.finalWeights ??
      init.map((w) => ({ ...w, weights: w.weights.map((v, i) => v + 0.1 * Math.sin(i + 1)) })),
    readbacksPerEpoch: 1,
    trainMs: 0,
  };
}

/**
 * Outputs that put probability `confidence` on the true class (uniform at 0): a softmax-like row per
 * target row; for one output column, the probability of class 1.
 */
export function defaultOutputs(y: Matrix, cols: number, confidence: number): Matrix {
  const data = new Float64Array(y.rows * cols);
  for (let r = 0; r < y.rows; r++) {
    if (cols === 1) {
      const t = y.data[r];
      data[r] = confidence === 0 ? 0.5 : t === 1 ? confidence : 1 - confidence;
      continue;
    }
    const c = y.cols === 1 ? y.data[r] : argmax(y.data.subarray(r * y.cols, (r + 1) * y.cols));
    for (let k = 0; k < cols; k++) {
      data[r * cols + k] = confidence === 0 ? 1 / cols : k === c ? confidence : (1 - confidence) / (cols - 1);
    }
  }
  return { data, rows: y.rows, cols };
}

function argmax(v: Float64Array): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

/** A context from synthetic records. */
export function syntheticContext(run: SyntheticRun, extra: Partial<TrainingContext> = {}): TrainingContext {
  return {
    scenario: run.scenario,
    task: run.scenario.task!,
    targets: { train: run.targets, validation: run.validationTargets ?? null },
    records: syntheticRecords(run),
    ...extra,
  };
}

/** `rows` one-hot targets cycling through `classes` classes (or following `counts`). */
export function oneHotTargets(rows: number, classes: number, counts?: number[]): Matrix {
  const labels: number[] = [];
  if (counts) counts.forEach((c, k) => labels.push(...new Array(c).fill(k)));
  else for (let r = 0; r < rows; r++) labels.push(r % classes);
  return oneHot(labels, classes);
}
