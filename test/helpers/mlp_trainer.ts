/**
 * A tiny float64 MLP trainer for the detector tests: it trains a scenario's dense stack on CPU and
 * records exactly what the GPU training loop records (TrainingRecords), so the detectors can be
 * calibrated on REAL trajectories (healthy, learning rate too high / too low, constant init, deep
 * sigmoid nets...) without a GPU. Not the product trainer (that is src/reference/trainer.ts): no
 * dropout, plain loops, written for clarity over speed.
 */
import { gatherRows } from "../../src/reference/trainer.ts";
import { lossGradient, lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import type { Matrix } from "../../src/reference/matrix.ts";
import { predictedClasses, trueClasses } from "../../src/reference/metrics.ts";
import { Rng } from "../../src/random.ts";
import type { SplitMetrics } from "../../src/report/types.ts";
import type { Activation, Scenario } from "../../src/scenario/types.ts";
import { cloneParameters, initialParameters, modelShape } from "../../src/train/model.ts";
import type {
  LayerStepStats,
  LayerWeights,
  PredictionSnapshot,
  StepRecord,
  TrainingPhase,
  TrainingRecords,
} from "../../src/train/records.ts";

export interface TrainData {
  x: Matrix;
  y: Matrix;
  xVal?: Matrix | null;
  yVal?: Matrix | null;
}

interface Forward {
  input: Matrix;
  /** Pre-activations per layer (rows × units). */
  z: Matrix[];
  /** Activations per layer. */
  a: Matrix[];
}

/** Trains `scenario` on `data` with float64 math and returns the records the detectors read. */
export function trainReference(scenario: Scenario, data: TrainData): TrainingRecords {
  const shape = modelShape(scenario, data.x.cols);
  const init = initialParameters(shape, scenario.model.init, scenario.seed);
  const params = cloneParameters(init);
  const acts = shape.layers.map((l) => l.activation);
  const opt = optimizerState(scenario, params);
  const rng = Rng.fromSeed(scenario.seed).stream("batches");
  const { batchSize, epochs, shuffle, sameBatchEveryStep } = scenario.training;
  const n = data.x.rows;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const steps: StepRecord[] = [];
  const history: TrainingRecords["history"] = [];
  const predictions: PredictionSnapshot[] = [];
  let phase: TrainingPhase = { status: "completed" };
  let initialLoss: number | null = null;
  const snap = (epoch: number) => {
    predictions.push(snapshotOf(params, acts, data.x, epoch, "train"));
    if (data.xVal) predictions.push(snapshotOf(params, acts, data.xVal, epoch, "validation"));
  };
  snap(0);
  let step = 0;
  outer: for (let epoch = 1; epoch <= epochs; epoch++) {
    const order = shuffle ? Array.from(rng.permutation(n)) : Array.from({ length: n }, (_, i) => i);
    const batchLosses: number[] = [];
    for (let b = 0; b < stepsPerEpoch; b++) {
      const idx = sameBatchEveryStep
        ? Array.from({ length: Math.min(batchSize, n) }, (_, i) => i)
        : order.slice(b * batchSize, (b + 1) * batchSize);
      const xb = gatherRows(data.x, idx), yb = gatherRows(data.y, idx);
      const f = forward(params, acts, xb);
      const out = f.a[f.a.length - 1];
      const loss = reduceLoss(lossPerRow(lossCfg(scenario), yb, out), scenario.loss.reduction);
      if (initialLoss === null) initialLoss = loss;
      const grads = backward(
        params,
        acts,
        f,
        lossGradient({ ...lossCfg(scenario), reduction: scenario.loss.reduction }, yb, out),
      );
      const layers: LayerStepStats[] = params.map((p, l) => {
        const before = p.weights.slice();
        const wNorm = norm(before);
        opt.apply(l, p, grads[l]);
        let d = 0;
        for (let i = 0; i < before.length; i++) d += (p.weights[i] - before[i]) ** 2;
        const dNorm = Math.sqrt(d);
        const nonFinite = countNonFinite(p.weights) + countNonFinite(p.biases) + countNonFinite(grads[l].w) +
          countNonFinite(grads[l].b);
        return {
          gradNorm: norm(grads[l].w),
          biasGradNorm: norm(grads[l].b),
          weightNorm: wNorm,
          updateRatio: wNorm === 0 ? (dNorm === 0 ? 0 : Infinity) : dNorm / wNorm,
          deadFraction: reluFamily(acts[l]) ? deadOnBatch(f.a[l]) : null,
          saturatedFraction: acts[l] === "sigmoid" || acts[l] === "tanh" ? saturated(f.z[l], acts[l]) : null,
          nonFinite,
        };
      });
      steps.push({ step, epoch, batchRows: idx.length, loss, fingerprint: fingerprint(xb, yb), layers });
      batchLosses.push(loss);
      const bad = layers.findIndex((l) => l.nonFinite > 0);
      if (!Number.isFinite(loss) || bad >= 0) {
        phase = {
          status: "diverged",
          step,
          epoch,
          layer: bad >= 0 ? bad : null,
          what: !Number.isFinite(loss)
            ? `loss ${loss}`
            : `non-finite weights or gradients in layer ${bad + 1}`,
        };
        break outer;
      }
      step++;
    }
    history.push({
      epoch,
      train: splitMetrics(scenario, params, acts, data.x, data.y),
      validation: data.xVal && data.yVal ? splitMetrics(scenario, params, acts, data.xVal, data.yVal) : null,
      batchLossMean: batchLosses.reduce((a, v) => a + v, 0) / batchLosses.length,
    });
    if (epoch === 1 || epoch === epochs) snap(epoch);
  }
  if (phase.status === "diverged") snap(phase.epoch);
  return {
    phase,
    initialLoss,
    steps,
    stepsPerEpoch,
    history,
    predictions,
    initialWeights: init,
    finalWeights: cloneParameters(params),
    readbacksPerEpoch: 1,
    trainMs: 0,
  };
}

function lossCfg(s: Scenario) {
  return { name: s.loss.name, fromLogits: s.loss.fromLogits, delta: s.loss.delta };
}

function splitMetrics(
  s: Scenario,
  params: LayerWeights[],
  acts: Activation[],
  x: Matrix,
  y: Matrix,
): SplitMetrics {
  const f = forward(params, acts, x);
  const out = f.a[f.a.length - 1];
  const loss = reduceLoss(lossPerRow(lossCfg(s), y, out), "mean");
  if (s.task === "regression" || s.task === "multilabel") return { loss };
  const t = trueClasses(y), p = predictedClasses(out);
  let hits = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hits++;
  return { loss, accuracy: hits / t.length };
}

function snapshotOf(
  params: LayerWeights[],
  acts: Activation[],
  x: Matrix,
  epoch: number,
  split: "train" | "validation",
): PredictionSnapshot {
  const f = forward(params, acts, x);
  const out = f.a[f.a.length - 1], z = f.z[f.z.length - 1];
  return {
    epoch,
    split,
    rows: x.rows,
    cols: out.cols,
    outputs: out.data.slice(),
    logits: z.data.slice(),
    unitActivity: f.a.slice(0, acts.length).map((a, l) => reluFamily(acts[l]) ? activity(a) : null),
  };
}

// ---------------------------------------------------------------------------------------------
// Forward / backward

function forward(params: LayerWeights[], acts: Activation[], x: Matrix): Forward {
  const z: Matrix[] = [], a: Matrix[] = [];
  let input = x;
  params.forEach((p, l) => {
    const zl = mat(input.rows, p.units);
    for (let r = 0; r < input.rows; r++) {
      for (let j = 0; j < p.units; j++) {
        let s = p.biases[j];
        for (let i = 0; i < p.inputs; i++) s += input.data[r * p.inputs + i] * p.weights[i * p.units + j];
        zl.data[r * p.units + j] = s;
      }
    }
    const al = activate(zl, acts[l]);
    z.push(zl), a.push(al);
    input = al;
  });
  return { input: x, z, a };
}

function backward(
  params: LayerWeights[],
  acts: Activation[],
  f: Forward,
  dOut: Matrix,
): { w: Float64Array; b: Float64Array }[] {
  const grads: { w: Float64Array; b: Float64Array }[] = new Array(params.length);
  let dA = dOut;
  for (let l = params.length - 1; l >= 0; l--) {
    const p = params[l];
    const dZ = activationBackward(dA, f.z[l], f.a[l], acts[l]);
    const input = l === 0 ? f.input : f.a[l - 1];
    const w = new Float64Array(p.inputs * p.units), b = new Float64Array(p.units);
    for (let r = 0; r < dZ.rows; r++) {
      for (let j = 0; j < p.units; j++) {
        const g = dZ.data[r * p.units + j];
        b[j] += g;
        for (let i = 0; i < p.inputs; i++) w[i * p.units + j] += input.data[r * p.inputs + i] * g;
      }
    }
    grads[l] = { w, b };
    if (l > 0) {
      const prev = mat(dZ.rows, p.inputs);
      for (let r = 0; r < dZ.rows; r++) {
        for (let i = 0; i < p.inputs; i++) {
          let s = 0;
          for (let j = 0; j < p.units; j++) s += dZ.data[r * p.units + j] * p.weights[i * p.units + j];
          prev.data[r * p.inputs + i] = s;
        }
      }
      dA = prev;
    }
  }
  return grads;
}

function activate(z: Matrix, act: Activation): Matrix {
  const a = mat(z.rows, z.cols);
  if (act === "softmax") {
    for (let r = 0; r < z.rows; r++) {
      const o = r * z.cols;
      let m = -Infinity, s = 0;
      for (let c = 0; c < z.cols; c++) m = Math.max(m, z.data[o + c]);
      for (let c = 0; c < z.cols; c++) s += a.data[o + c] = Math.exp(z.data[o + c] - m);
      for (let c = 0; c < z.cols; c++) a.data[o + c] /= s;
    }
    return a;
  }
  for (let i = 0; i < z.data.length; i++) {
    const v = z.data[i];
    a.data[i] = act === "relu"
      ? Math.max(0, v)
      : act === "leaky-relu"
      ? (v > 0 ? v : 0.2 * v)
      : act === "elu"
      ? (v > 0 ? v : Math.expm1(v))
      : act === "sigmoid"
      ? 1 / (1 + Math.exp(-v))
      : act === "tanh"
      ? Math.tanh(v)
      : v;
  }
  return a;
}

function activationBackward(dA: Matrix, z: Matrix, a: Matrix, act: Activation): Matrix {
  const dZ = mat(dA.rows, dA.cols);
  if (act === "softmax") {
    for (let r = 0; r < dA.rows; r++) {
      const o = r * dA.cols;
      let dot = 0;
      for (let c = 0; c < dA.cols; c++) dot += dA.data[o + c] * a.data[o + c];
      for (let c = 0; c < dA.cols; c++) dZ.data[o + c] = a.data[o + c] * (dA.data[o + c] - dot);
    }
    return dZ;
  }
  for (let i = 0; i < dA.data.length; i++) {
    const v = z.data[i], y = a.data[i];
    const d = act === "relu"
      ? (v > 0 ? 1 : 0)
      : act === "leaky-relu"
      ? (v > 0 ? 1 : 0.2)
      : act === "elu"
      ? (v > 0 ? 1 : y + 1)
      : act === "sigmoid"
      ? y * (1 - y)
      : act === "tanh"
      ? 1 - y * y
      : 1;
    dZ.data[i] = dA.data[i] * d;
  }
  return dZ;
}

// ---------------------------------------------------------------------------------------------
// Optimizers (Keras defaults)

function optimizerState(s: Scenario, params: LayerWeights[]) {
  const o = s.optimizer;
  const m = params.map((p) => ({
    w: new Float64Array(p.weights.length),
    b: new Float64Array(p.biases.length),
  }));
  const v = params.map((p) => ({
    w: new Float64Array(p.weights.length),
    b: new Float64Array(p.biases.length),
  }));
  const t = params.map(() => 0);
  const update = (x: Float64Array, g: Float64Array, mm: Float64Array, vv: Float64Array, step: number) => {
    for (let i = 0; i < x.length; i++) {
      if (o.name === "sgd") {
        mm[i] = o.momentum * mm[i] - o.learningRate * g[i];
        x[i] += mm[i];
      } else if (o.name === "adam") {
        mm[i] = o.beta1 * mm[i] + (1 - o.beta1) * g[i];
        vv[i] = o.beta2 * vv[i] + (1 - o.beta2) * g[i] * g[i];
        const lr = o.learningRate * Math.sqrt(1 - o.beta2 ** step) / (1 - o.beta1 ** step);
        x[i] -= (lr * mm[i]) / (Math.sqrt(vv[i]) + o.epsilon);
      } else {
        vv[i] = o.rho * vv[i] + (1 - o.rho) * g[i] * g[i];
        x[i] -= (o.learningRate * g[i]) / (Math.sqrt(vv[i]) + o.epsilon);
      }
    }
  };
  return {
    apply(l: number, p: LayerWeights, g: { w: Float64Array; b: Float64Array }) {
      t[l]++;
      update(p.weights, g.w, m[l].w, v[l].w, t[l]);
      update(p.biases, g.b, m[l].b, v[l].b, t[l]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function mat(rows: number, cols: number): Matrix {
  return { data: new Float64Array(rows * cols), rows, cols };
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function countNonFinite(v: Float64Array): number {
  let n = 0;
  for (const x of v) if (!Number.isFinite(x)) n++;
  return n;
}

function reluFamily(a: Activation): boolean {
  return a === "relu" || a === "leaky-relu" || a === "elu";
}

function deadOnBatch(a: Matrix): number {
  let dead = 0;
  for (let j = 0; j < a.cols; j++) {
    let alive = false;
    for (let r = 0; r < a.rows && !alive; r++) alive = a.data[r * a.cols + j] > 0;
    if (!alive) dead++;
  }
  return dead / a.cols;
}

function activity(a: Matrix): Float64Array {
  const out = new Float64Array(a.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let j = 0; j < a.cols; j++) if (a.data[r * a.cols + j] > 0) out[j] += 1 / a.rows;
  }
  return out;
}

function saturated(z: Matrix, act: Activation): number {
  const cut = act === "sigmoid" ? 4 : 2.5;
  let n = 0;
  for (const v of z.data) if (Math.abs(v) > cut) n++;
  return z.data.length ? n / z.data.length : 0;
}

/** FNV-1a over the float64 bits of the batch's features and targets. */
function fingerprint(x: Matrix, y: Matrix): number {
  let h = 0x811c9dc5;
  for (const m of [x, y]) {
    const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
