/**
 * Numeric illustrations of the setup mechanisms, computed with the float64 loss references: what the
 * loss sees, the gradient it sends back, and the floor it cannot go below. Evidence a sceptical
 * engineer can recompute by hand; the training-time numbers are added later from the records.
 *
 * @module
 */
import { KERAS_EPSILON, lossGradient, lossPerRow, reduceLoss } from "../reference/losses.ts";
import { fromRows, type Matrix } from "../reference/matrix.ts";
import type { Activation, LossSpec } from "../scenario/types.ts";
import { sig } from "./finding.ts";

export function softmaxRow(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function round(v: ArrayLike<number>): number[] {
  return Array.from(v, (x) => sig(x));
}

/**
 * Softmax output fed to a from-logits categorical loss: the loss applies softmax to probabilities in
 * [0, 1], so its own distribution can never be confident, and the gradient reaching the logits is
 * shrunk by the second softmax's Jacobian.
 */
export function doubleSoftmaxEvidence(classes: number): Record<string, unknown> {
  const c = Math.max(2, classes);
  // A confidently wrong row: the model puts most mass on class 1 while the label is class 0.
  const z = Array.from({ length: c }, (_, i) => (i === 1 ? 2 : 0));
  const y = fromRows([Array.from({ length: c }, (_, i) => (i === 0 ? 1 : 0))]);
  const p = softmaxRow(z);
  const single = lossGradient(
    { name: "categorical-crossentropy", fromLogits: true, reduction: "mean" },
    y,
    fromRows([z]),
  );
  const gp =
    lossGradient({ name: "categorical-crossentropy", fromLogits: true, reduction: "mean" }, y, fromRows([p]))
      .data;
  // Back through the model's own softmax: g_z = p ⊙ (g_p - <p, g_p>).
  let dot = 0;
  for (let i = 0; i < c; i++) dot += p[i] * gp[i];
  const doubled = p.map((pi, i) => pi * (gp[i] - dot));
  // Best case for the doubled loss: the model outputs the exact one-hot row.
  const perfect = Array.from({ length: c }, (_, i) => (i === 0 ? 1 : 0));
  const floor = lossPerRow({ name: "categorical-crossentropy", fromLogits: true }, y, fromRows([perfect]))[0];
  return {
    illustration: {
      logits: z,
      label: 0,
      modelSoftmax: round(p),
      lossSoftmaxOfThat: round(softmaxRow(p)),
      gradientAtLogitsSingleSoftmax: round(single.data),
      gradientAtLogitsDoubleSoftmax: round(doubled),
      gradientShrink: sig(norm(doubled) / norm(single.data)),
    },
    lossFloor: sig(floor),
    lossFloorNote: `even a perfect one-hot output gives softmax([1, 0, ...]) = ${
      sig(Math.E / (Math.E + c - 1))
    } on the true class: the loss cannot go below ln(1 + (C-1)/e) = ${sig(floor)} for C = ${c}`,
  };
}

/** Sigmoid output fed to a from-logits binary loss: the loss's probability is sigmoid(p) ∈ [0.5, 0.731]. */
export function doubleSigmoidEvidence(): Record<string, unknown> {
  const y0 = fromRows([[0]]);
  const floor0 = lossPerRow({ name: "binary-crossentropy", fromLogits: true }, y0, fromRows([[0]]))[0];
  return {
    lossProbabilityRange: [0.5, sig(sigmoid(1))],
    lossFloorForLabel0: sig(floor0),
    lossFloorNote:
      "the loss reads sigmoid(sigmoid(z)) ≥ 0.5 for every z, so class 0 can never be predicted and rows labelled 0 cost at least ln 2",
  };
}

/** Softmax over one unit: exp(z)/exp(z) = 1 for every z, so the gradient through it is exactly 0. */
export function singleUnitSoftmaxEvidence(loss: LossSpec): Record<string, unknown> {
  const z = [-3, 0, 2.5];
  const out = z.map((v) => softmaxRow([v])[0]);
  const evidence: Record<string, unknown> = {
    logits: z,
    outputs: out,
    jacobian: "d softmax(z)/dz = p(1 - p) = 0 for p = 1: no gradient reaches the network",
  };
  if (
    loss.name === "binary-crossentropy" || loss.name === "categorical-crossentropy" || loss.name === "mse"
  ) {
    const cfg = { name: loss.name, fromLogits: false };
    const ones = fromRows([[1], [1]]);
    const per = lossPerRow(cfg, fromRows([[0], [1]]), ones);
    evidence.lossAtOutput1 = { label0: sig(per[0]), label1: sig(per[1]) };
  }
  return evidence;
}

/**
 * Unbounded outputs read as probabilities: values outside [1e-7, 1 - 1e-7] are clipped and the
 * clip's gradient is zero, so a unit stuck below 0 cannot learn its way back.
 */
export function clippedOutputEvidence(
  activation: Activation,
  loss: LossSpec,
  units: number,
): Record<string, unknown> {
  const raw = activation === "relu"
    ? [0, 0, 0.3, 1.7]
    : activation === "tanh"
    ? [-0.8, -0.2, 0.3, 0.9]
    : [-1.5, -0.2, 0.4, 1.8];
  if (loss.name === "categorical-crossentropy" && units > 1) {
    const row = Array.from({ length: units }, (_, i) => [1.0, -0.8, 0.1][i % 3]);
    const s = row.reduce((a, b) => a + b, 0);
    return {
      outputs: row,
      rowSum: sig(s),
      lossReads: round(row.map((v) => Math.min(Math.max(v / s, KERAS_EPSILON), 1 - KERAS_EPSILON))),
      note:
        "categorical cross-entropy divides the row by its sum, then clips: a row of unbounded outputs is not a distribution",
    };
  }
  const yPred = fromRows(raw.map((v) => [v]));
  const yTrue = fromRows(raw.map(() => [1]));
  const cfg = { name: "binary-crossentropy" as const, fromLogits: false };
  const g = lossGradient({ ...cfg, reduction: "mean" }, yTrue, yPred).data;
  return {
    outputs: raw,
    lossReads: raw.map((v) => sig(Math.min(Math.max(v, KERAS_EPSILON), 1 - KERAS_EPSILON))),
    lossPerRowForLabel1: round(lossPerRow(cfg, yTrue, yPred)),
    gradient: round(g),
    note: `outputs outside [${KERAS_EPSILON}, 1 - ${KERAS_EPSILON}] are clipped and get gradient 0`,
  };
}

/**
 * A squared loss through softmax on a confidently wrong row: the gradient at the logits is tiny next
 * to cross-entropy's p - y, so mistakes the model is sure of are barely corrected.
 */
export function squaredLossThroughSquashEvidence(
  classes: number,
  activation: Activation,
): Record<string, unknown> {
  const c = Math.max(2, classes);
  if (activation === "softmax" && c >= 2) {
    const p = Array.from({ length: c }, (_, i) => (i === 1 ? 0.98 : 0.02 / (c - 1)));
    const y = fromRows([Array.from({ length: c }, (_, i) => (i === 0 ? 1 : 0))]);
    const gp = lossGradient({ name: "mse", fromLogits: false, reduction: "mean" }, y, fromRows([p])).data;
    let dot = 0;
    for (let i = 0; i < c; i++) dot += p[i] * gp[i];
    const mseAtLogits = p.map((pi, i) => pi * (gp[i] - dot));
    const ce = p.map((pi, i) => pi - (i === 0 ? 1 : 0));
    return {
      illustration: {
        softmaxOutput: round(p),
        label: 0,
        gradientAtLogitsMse: round(mseAtLogits),
        gradientAtLogitsCrossEntropy: round(ce),
        ratio: sig(norm(mseAtLogits) / norm(ce)),
      },
      note:
        "through softmax, a squared loss's gradient vanishes as the model grows confident, right or wrong",
    };
  }
  if (activation === "sigmoid") {
    const p = 0.02;
    const mse = 2 * (p - 1) * p * (1 - p);
    return {
      illustration: {
        sigmoidOutput: p,
        label: 1,
        gradientAtLogitMse: sig(mse),
        gradientAtLogitCrossEntropy: sig(p - 1),
      },
      note:
        "through sigmoid, the squared loss's gradient is scaled by p(1 - p): confidently wrong rows barely move",
    };
  }
  return {};
}

/** Mean loss when every prediction is the target clamped into the activation's range: a hard floor. */
export function clampedLossFloor(
  loss: LossSpec,
  targets: Matrix,
  lo: number,
  hi: number,
): { floor: number; meanPredictor: number } {
  const pred = new Float64Array(targets.data.length);
  let mean = 0, n = 0;
  for (let i = 0; i < pred.length; i++) {
    const v = targets.data[i];
    pred[i] = Math.min(Math.max(v, lo), hi);
    if (Number.isFinite(v)) {
      mean += v;
      n++;
    }
  }
  mean = n > 0 ? mean / n : 0;
  const cfg = { name: loss.name, fromLogits: false, delta: loss.delta };
  const floor = reduceLoss(lossPerRow(cfg, targets, { ...targets, data: pred }), "mean");
  const meanPred = reduceLoss(
    lossPerRow(cfg, targets, { ...targets, data: new Float64Array(pred.length).fill(mean) }),
    "mean",
  );
  return { floor, meanPredictor: meanPred };
}

/** Binary cross-entropy on a target above 1 rewards p → 1 without bound: the loss goes negative. */
export function crossEntropyOnContinuousEvidence(
  loss: LossSpec,
  min: number,
  max: number,
): Record<string, unknown> {
  if (loss.name !== "binary-crossentropy") return {};
  const y = fromRows([[max], [min]]);
  const hiP = 1 - KERAS_EPSILON, loP = KERAS_EPSILON;
  const per = lossPerRow({ name: "binary-crossentropy", fromLogits: false }, y, fromRows([[hiP], [loP]]));
  return {
    lossAtClipEdges: { [`y=${sig(max)}, p=1-1e-7`]: sig(per[0]), [`y=${sig(min)}, p=1e-7`]: sig(per[1]) },
    note:
      "for targets outside [0, 1] binary cross-entropy has no minimum inside (0, 1): it is pushed to the clip and can go negative",
  };
}
