/**
 * Float64 reference of every loss fitcheck trains with, in Keras semantics (CONTRACT §2), and the
 * gradient of each w.r.t. the predictions (or the logits for `fromLogits`). It is written
 * independently of the WGSL kernels: the GPU result, the audit and the consistency checks are all
 * compared against this file.
 *
 * Semantics, per row (N rows × K columns):
 * - `mse`, `mae`, `huber`, `binary-crossentropy`: element losses averaged over the K columns
 *   (Keras reduces the last axis with a mean).
 * - `categorical-crossentropy` and `sparse-categorical-crossentropy`: summed over the K classes.
 * - Probabilities are clipped to [1e-7, 1 - 1e-7] (Keras `epsilon()`); binary takes
 *   `-[y log c + (1-y) log(1 - c)]` of the clipped `c` (Keras 3; tf.keras 2 adds another 1e-7
 *   inside both logs, PyTorch's `BCELoss` does not clip but clamps each log at -100: deliberate
 *   differences, the audit knows both); categorical from probabilities first divides the row by
 *   its sum, then clips, then takes `-Σ y log p`.
 * - Sparse categorical from probabilities follows Keras' backend exactly: clip, take the log, then a
 *   softmax cross-entropy over those logs, i.e. `-log(c_y / Σ_j c_j)` with `c = clip(p)`. For a row
 *   that already sums to 1 this equals `-log clip(p_y)`. (That is Keras 3's TensorFlow backend and
 *   tf.keras 2; Keras 3's JAX and NumPy backends divide by the row sum, then clip, as categorical
 *   does: the two differ only on rows that do not sum to 1 or where the clip is active.)
 * - Binary from logits uses the stable form `max(x, 0) - x·y + log(1 + exp(-|x|))`; categorical
 *   from logits uses log-sum-exp with the row maximum subtracted.
 * - Gradients are of the clipped function: zero where the clip is active (TF's clip_by_value
 *   gradient passes only where `min <= x <= max`); `mae` uses sign(0) = 0, as TF's abs gradient.
 *
 * - Kinks follow TF and PyTorch: huber at |e| = delta takes the quadratic side (the same value and
 *   gradient either way); binary from logits at x = 0 has gradient sigmoid(0) - y (TF's).
 *
 * Non-finite inputs propagate (NaN in, NaN out); nothing here hides them. Held to PyTorch float64
 * autograd of these Keras formulas by test/reference/goldens.test.ts (scripts/goldens/make_goldens.py).
 *
 * @module
 */

import { InputError } from "../errors.ts";
import type { LossName, Reduction } from "../scenario/types.ts";
import { type Matrix, matrix } from "./matrix.ts";

export type { Matrix } from "./matrix.ts";

/** Keras' `backend.epsilon()`: the probability clip of every probability loss. */
export const KERAS_EPSILON = 1e-7;

/** Which loss, and how its predictions are to be read. `delta` is Huber's (default 1.0). */
export interface LossConfig {
  name: LossName;
  fromLogits: boolean;
  delta?: number;
}

/** Per-row loss values: mse/mae/huber/bce mean over the last axis; categorical ones sum over classes. */
export function lossPerRow(cfg: LossConfig, yTrue: Matrix, yPred: Matrix): Float64Array {
  checkShapes(cfg, yTrue, yPred);
  yTrue = broadcastTargets(cfg, yTrue, yPred.cols);
  const { rows, cols } = yPred;
  const out = new Float64Array(rows);
  const p = yPred.data, y = yTrue.data;
  const delta = cfg.delta ?? 1.0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let acc = 0;
    switch (cfg.name) {
      case "mse":
        for (let c = 0; c < cols; c++) acc += (p[o + c] - y[o + c]) ** 2;
        acc /= cols;
        break;
      case "mae":
        for (let c = 0; c < cols; c++) acc += Math.abs(p[o + c] - y[o + c]);
        acc /= cols;
        break;
      case "huber":
        for (let c = 0; c < cols; c++) {
          const e = Math.abs(p[o + c] - y[o + c]);
          acc += e <= delta ? 0.5 * e * e : delta * e - 0.5 * delta * delta;
        }
        acc /= cols;
        break;
      case "binary-crossentropy":
        for (let c = 0; c < cols; c++) {
          const t = y[o + c], x = p[o + c];
          if (cfg.fromLogits) {
            acc += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
          } else {
            // Keras 3's order: clip x, then log(1 - clip(x)). At the upper bound that is
            // log(1 - (1 - 1e-7)) = log(1.00000000058e-7), not log(1e-7): float64 keeps the
            // rounding of 1 - 1e-7, as Keras (and a torch clamp) do.
            const q = clip(x);
            acc -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
          }
        }
        acc /= cols;
        break;
      case "categorical-crossentropy":
        if (cfg.fromLogits) {
          const lse = logSumExp(p, o, cols);
          for (let c = 0; c < cols; c++) acc -= y[o + c] * (p[o + c] - lse);
        } else {
          const s = rowSum(p, o, cols);
          for (let c = 0; c < cols; c++) acc -= y[o + c] * Math.log(clip(p[o + c] / s));
        }
        break;
      case "sparse-categorical-crossentropy": {
        const k = classIndex(y[r], r, cols);
        if (cfg.fromLogits) {
          acc = logSumExp(p, o, cols) - p[o + k];
        } else {
          let s = 0;
          for (let c = 0; c < cols; c++) s += clip(p[o + c]);
          acc = Math.log(s) - Math.log(clip(p[o + k]));
        }
        break;
      }
      default:
        throw new InputError(`unknown loss "${cfg.name satisfies never}"`, { field: "loss.name" });
    }
    out[r] = acc;
  }
  return out;
}

/**
 * The reduced loss: "mean" = sum/rows (Keras SUM_OVER_BATCH_SIZE), "sum" = sum of per-row values
 * (Keras SUM). For mse/mae/huber/bce a row's value is already the mean over its columns, so with K
 * columns "mean" equals PyTorch's `reduction="mean"` (over all elements) but "sum" is PyTorch's
 * `reduction="sum"` divided by K: a deliberate difference, Keras semantics (CONTRACT §2).
 */
export function reduceLoss(perRow: Float64Array, reduction: Reduction): number {
  // Plain left-to-right float64 summation: its error (≤ n·2^-53·Σ|v|) is far below any tolerance a
  // float32 engine is held to, so there is no need for compensated sums here.
  let s = 0;
  for (let i = 0; i < perRow.length; i++) s += perRow[i];
  if (reduction === "sum") return s;
  // Keras divides by the batch size; an empty batch gives 0 there (divide_no_nan), not NaN.
  return perRow.length === 0 ? 0 : s / perRow.length;
}

/** dL/dyPred of the reduced loss (same shape as yPred). For fromLogits losses, w.r.t. the logits. */
export function lossGradient(
  cfg: LossConfig & { reduction: Reduction },
  yTrue: Matrix,
  yPred: Matrix,
): Matrix {
  checkShapes(cfg, yTrue, yPred);
  yTrue = broadcastTargets(cfg, yTrue, yPred.cols);
  const { rows, cols } = yPred;
  const g = matrix(rows, cols);
  const p = yPred.data, y = yTrue.data, d = g.data;
  const delta = cfg.delta ?? 1.0;
  // Scale of one row's loss in the reduced loss; "mean over columns" losses add 1/cols.
  const rowScale = cfg.reduction === "mean" ? 1 / rows : 1;
  const elemScale = rowScale / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    switch (cfg.name) {
      case "mse":
        for (let c = 0; c < cols; c++) d[o + c] = 2 * (p[o + c] - y[o + c]) * elemScale;
        break;
      case "mae":
        for (let c = 0; c < cols; c++) d[o + c] = Math.sign(p[o + c] - y[o + c]) * elemScale;
        break;
      case "huber":
        for (let c = 0; c < cols; c++) {
          const e = p[o + c] - y[o + c];
          d[o + c] = (Math.abs(e) <= delta ? e : delta * Math.sign(e)) * elemScale;
        }
        break;
      case "binary-crossentropy":
        for (let c = 0; c < cols; c++) {
          const t = y[o + c], x = p[o + c];
          if (cfg.fromLogits) {
            d[o + c] = (sigmoid(x) - t) * elemScale;
          } else {
            d[o + c] = clipPasses(x) ? (-t / x + (1 - t) / (1 - x)) * elemScale : 0;
          }
        }
        break;
      case "categorical-crossentropy":
        if (cfg.fromLogits) {
          // L = -Σ y_j (x_j - lse(x)) ⇒ ∂L/∂x_k = softmax_k · Σ_j y_j - y_k (targets need not sum to 1).
          const lse = logSumExp(p, o, cols);
          const ySum = rowSum(y, o, cols);
          for (let c = 0; c < cols; c++) d[o + c] = (Math.exp(p[o + c] - lse) * ySum - y[o + c]) * rowScale;
        } else {
          // q = p / S, L = -Σ y_j log clip(q_j). With h_j = ∂L/∂q_j (0 where clipped):
          // ∂L/∂p_k = (h_k - Σ_j h_j q_j) / S.
          const s = rowSum(p, o, cols);
          let hq = 0;
          for (let c = 0; c < cols; c++) {
            const q = p[o + c] / s;
            const h = clipPasses(q) ? -y[o + c] / q : 0;
            d[o + c] = h;
            hq += h * q;
          }
          for (let c = 0; c < cols; c++) d[o + c] = ((d[o + c] - hq) / s) * rowScale;
        }
        break;
      case "sparse-categorical-crossentropy": {
        const k = classIndex(y[r], r, cols);
        if (cfg.fromLogits) {
          const lse = logSumExp(p, o, cols);
          for (let c = 0; c < cols; c++) d[o + c] = (Math.exp(p[o + c] - lse) - (c === k ? 1 : 0)) * rowScale;
        } else {
          // L = log Σ_j c_j - log c_k with c = clip(p): ∂L/∂p_j = mask_j (1/Σc - [j = k]/c_k).
          let s = 0;
          for (let c = 0; c < cols; c++) s += clip(p[o + c]);
          for (let c = 0; c < cols; c++) {
            const x = p[o + c];
            d[o + c] = clipPasses(x) ? (1 / s - (c === k ? 1 / x : 0)) * rowScale : 0;
          }
        }
        break;
      }
      default:
        throw new InputError(`unknown loss "${cfg.name satisfies never}"`, { field: "loss.name" });
    }
  }
  return g;
}

function clip(p: number): number {
  return Math.min(Math.max(p, KERAS_EPSILON), 1 - KERAS_EPSILON);
}

/** Whether TF's clip_by_value gradient passes at `p` (NaN passes, so NaN propagates). */
function clipPasses(p: number): boolean {
  return !(p < KERAS_EPSILON || p > 1 - KERAS_EPSILON);
}

function sigmoid(x: number): number {
  // Two branches so that exp never overflows to Inf/Inf.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function rowSum(v: Float64Array, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[offset + i];
  return s;
}

/** log Σ exp(v_i) over one row, max-shifted; an all -Inf row gives -Inf, a +Inf entry gives +Inf. */
function logSumExp(v: Float64Array, offset: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, v[offset + i]);
  if (!Number.isFinite(m)) return m; // ±Inf or NaN: nothing to shift by; the value propagates.
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(v[offset + i] - m);
  return m + Math.log(s);
}

function classIndex(label: number, row: number, classes: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new InputError(
      `sparse-categorical-crossentropy needs class indices 0..${classes - 1}, got ${label}`,
      { row: row + 1, field: "target" },
    );
  }
  return label;
}

/**
 * One target column against several predictions is compared with each of them, as Keras broadcasts
 * a (rows, 1) target against (rows, cols) predictions (MSE on class indices with a softmax head
 * trains this way, which is the bug a user brings): the column is repeated.
 */
function broadcastTargets(cfg: LossConfig, yTrue: Matrix, cols: number): Matrix {
  if (cfg.name === "sparse-categorical-crossentropy" || yTrue.cols === cols) return yTrue;
  const out = matrix(yTrue.rows, cols);
  for (let r = 0; r < yTrue.rows; r++) out.data.fill(yTrue.data[r], r * cols, (r + 1) * cols);
  return out;
}

function checkShapes(cfg: LossConfig, yTrue: Matrix, yPred: Matrix): void {
  const sparse = cfg.name === "sparse-categorical-crossentropy";
  const wantCols = sparse ? 1 : yPred.cols;
  if (yTrue.rows !== yPred.rows || (yTrue.cols !== wantCols && (sparse || yTrue.cols !== 1))) {
    throw new InputError(
      `${cfg.name}: targets are ${yTrue.rows}×${yTrue.cols} but predictions are ${yPred.rows}×${yPred.cols}` +
        (sparse ? " (sparse targets are one column of class indices)" : ""),
      { field: "target" },
    );
  }
  if (cfg.name === "huber" && cfg.delta !== undefined && !(cfg.delta > 0)) {
    throw new InputError(`huber delta must be > 0, got ${cfg.delta}`, { field: "loss.delta" });
  }
}
