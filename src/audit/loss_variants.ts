/**
 * The per-row loss functions the audit tries, each as a framework computes it, and the SUM
 * reductions over batches.
 *
 * Cross-entropy variants, as their frameworks compute them (all in float32 there, so the clip bounds
 * here are the float32 values `fround(1e-7)` and `fround(1 - 1e-7)` = 1 - 1.19e-7, not 1 - 1e-7: a
 * saturated output of exactly 1 then costs -log(1.19e-7) = 15.94, as it does in the framework):
 * - Keras 3 and tfjs: clip p to [ε, 1-ε], then -[y log p + (1-y) log(1-p)] (tfjs via the logit form,
 *   the same function); categorical divides each row by its sum first.
 * - Keras 2 (tf.keras backend): clip, then -[y log(p + ε) + (1-y) log(1 - p + ε)]: ε inside the logs.
 * - Keras 2 sparse from probabilities: log of the clipped row, renormalised: log Σ clip(p) - log clip(p_y).
 * - PyTorch BCELoss: no clip; each log clamped at -100.
 * - From logits: log-sum-exp softmax cross-entropy; `max(x,0) - x y + log1p(exp(-|x|))` for sigmoid.
 *
 * @module
 */
import type { Matrix } from "../reference/matrix.ts";

const LO = Math.fround(1e-7);
const HI = Math.fround(1 - 1e-7);
const clip = (p: number) => (p < LO ? LO : p > HI ? HI : p);

export type RowLoss = (y: Float64Array, p: Float64Array, o: number, k: number) => number;

export const LOSSES: Record<string, { row: RowLoss; text: string }> = {
  "categorical-ce-probs": {
    text: "categorical cross-entropy from probabilities (row / row sum, clip 1e-7; Keras 2/3, tfjs)",
    row: (y, p, o, k) => {
      let s = 0, l = 0;
      for (let c = 0; c < k; c++) s += p[o + c];
      for (let c = 0; c < k; c++) if (y[o + c] !== 0) l -= y[o + c] * Math.log(clip(p[o + c] / s));
      return l;
    },
  },
  "sparse-ce-probs-keras2": {
    text: "sparse categorical cross-entropy from probabilities, tf.keras 2 (log Σ clip(p) - log clip(p_y))",
    row: (y, p, o, k) => {
      let s = 0, l = 0;
      for (let c = 0; c < k; c++) s += clip(p[o + c]);
      for (let c = 0; c < k; c++) {
        if (y[o + c] !== 0) l += y[o + c] * (Math.log(s) - Math.log(clip(p[o + c])));
      }
      return l;
    },
  },
  "categorical-ce-logits": {
    text: "softmax cross-entropy from logits (from_logits=True)",
    row: (y, x, o, k) => {
      let m = -Infinity, s = 0, l = 0;
      for (let c = 0; c < k; c++) m = Math.max(m, x[o + c]);
      for (let c = 0; c < k; c++) s += Math.exp(x[o + c] - m);
      const lse = m + Math.log(s);
      for (let c = 0; c < k; c++) if (y[o + c] !== 0) l += y[o + c] * (lse - x[o + c]);
      return l;
    },
  },
  "bce-probs-keras3": {
    text: "binary cross-entropy from probabilities, clip 1e-7 (Keras 3, tfjs)",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) {
        const q = clip(p[o + c]), t = y[o + c];
        l -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      }
      return l / k;
    },
  },
  "bce-probs-keras2": {
    text: "binary cross-entropy from probabilities, clip 1e-7 and +1e-7 inside the logs (tf.keras 2)",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) {
        const q = clip(p[o + c]), t = y[o + c];
        l -= t * Math.log(q + 1e-7) + (1 - t) * Math.log(1 - q + 1e-7);
      }
      return l / k;
    },
  },
  "bce-probs-torch": {
    text: "binary cross-entropy from probabilities, logs clamped at -100 (PyTorch BCELoss)",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) {
        const q = p[o + c], t = y[o + c];
        l -= t * Math.max(Math.log(q), -100) + (1 - t) * Math.max(Math.log(1 - q), -100);
      }
      return l / k;
    },
  },
  "bce-logits": {
    text: "sigmoid cross-entropy from logits (from_logits=True, BCEWithLogits)",
    row: (y, x, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) {
        const v = x[o + c];
        l += Math.max(v, 0) - v * y[o + c] + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return l / k;
    },
  },
  "mse": {
    text: "mean squared error",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) l += (p[o + c] - y[o + c]) ** 2;
      return l / k;
    },
  },
  "mae": {
    text: "mean absolute error",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) l += Math.abs(p[o + c] - y[o + c]);
      return l / k;
    },
  },
  "huber": {
    text: "Huber loss (delta 1)",
    row: (y, p, o, k) => {
      let l = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.abs(p[o + c] - y[o + c]);
        l += e <= 1 ? 0.5 * e * e : e - 0.5;
      }
      return l / k;
    },
  },
};

export function perRow(name: string, y: Matrix, p: Matrix): Float64Array {
  const f = LOSSES[name].row, out = new Float64Array(p.rows);
  for (let r = 0; r < p.rows; r++) out[r] = f(y.data, p.data, r * p.cols, p.cols);
  return out;
}

/**
 * The epoch value of a loss reduced by SUM over each batch of B rows, as Keras and tfjs log it:
 * the batch values averaged with the batch sizes as weights (validation batches are taken in order).
 */
export function batchSumLoss(rowLosses: Float64Array, batch: number): number {
  const n = rowLosses.length;
  let total = 0;
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    let s = 0;
    for (let i = start; i < end; i++) s += rowLosses[i];
    total += (end - start) * s;
  }
  return total / n;
}

/** Batch sizes tried for sum-reduced losses: powers of two up to the row count, and the whole split. */
export function batchSizesToTry(rows: number, given?: number): number[] {
  const out = new Set<number>();
  if (given) out.add(given);
  for (let b = 2; b < rows; b *= 2) out.add(b);
  out.add(rows);
  return [...out];
}
