/**
 * Float64 twins of the metric kernels: argmax, thresholding, per-row correctness and the confusion
 * matrix, in the semantics of numpy / tf.keras (first index on ties, `p > t`, exact equality of the
 * target with the decision).
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/**
 * Index of each row's largest value, the first on ties; a NaN wins at its first position (numpy).
 *
 * @example
 * ```ts
 * argmaxRows(fromRows([[1, 3, 3]])); // Uint32Array [1]
 * ```
 */
export function argmaxRows(m: Matrix): Uint32Array {
  const out = new Uint32Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = rowArgmax(m.data, r * m.cols, m.cols);
  return out;
}

/** 1 where `p > threshold` (strictly; NaN gives 0), else 0, element-wise. */
export function thresholdValues(p: ArrayLike<number>, threshold: number): Uint32Array {
  const out = new Uint32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] > threshold ? 1 : 0;
  return out;
}

/** How correctness is judged; see {@linkcode correctRows}. */
export type CorrectMode = "sparse" | "categorical" | "binary";

/**
 * Per-row correctness as Keras' accuracies count it: sparse (argmax == class index, float
 * equality), categorical (argmax == argmax of the one-hot target), binary (fraction of columns with
 * target == (p > threshold ? 1 : 0)). Accuracy is the mean of these.
 */
export function correctRows(
  mode: CorrectMode,
  yTrue: Matrix,
  yPred: Matrix,
  options: { threshold?: number } = {},
): Float64Array {
  const out = new Float64Array(yPred.rows);
  const threshold = options.threshold ?? 0.5;
  for (let r = 0; r < yPred.rows; r++) {
    const o = r * yPred.cols;
    if (mode === "sparse") out[r] = yTrue.data[r] === rowArgmax(yPred.data, o, yPred.cols) ? 1 : 0;
    else if (mode === "categorical") {
      out[r] = rowArgmax(yTrue.data, o, yPred.cols) === rowArgmax(yPred.data, o, yPred.cols) ? 1 : 0;
    } else {
      let hits = 0;
      for (let c = 0; c < yPred.cols; c++) {
        hits += yTrue.data[o + c] === (yPred.data[o + c] > threshold ? 1 : 0) ? 1 : 0;
      }
      out[r] = hits / yPred.cols;
    }
  }
  return out;
}

/**
 * The confusion matrix counts[true * classes + predicted], plus one last slot counting rows whose
 * true class (an index that is not an integer in range, or a NaN one-hot row) or predicted class is
 * outside [0, classes).
 */
export function confusionCounts(
  yTrue: Matrix,
  predicted: ArrayLike<number>,
  options: { classes: number; oneHot: boolean },
): Uint32Array {
  const k = options.classes;
  const out = new Uint32Array(k * k + 1);
  for (let r = 0; r < yTrue.rows; r++) {
    let t: number;
    if (options.oneHot) {
      let nan = false;
      for (let c = 0; c < k; c++) nan ||= Number.isNaN(yTrue.data[r * k + c]);
      t = nan ? k : rowArgmax(yTrue.data, r * k, k);
    } else {
      const v = yTrue.data[r];
      t = Number.isInteger(v) && v >= 0 && v < k ? v : k;
    }
    const p = predicted[r];
    if (t >= k || !(p >= 0 && p < k)) out[k * k]++;
    else out[t * k + p]++;
  }
  return out;
}

function rowArgmax(v: Float64Array, offset: number, n: number): number {
  let best = 0;
  for (let c = 0; c < n; c++) {
    const x = v[offset + c];
    if (Number.isNaN(x)) return c;
    if (x > v[offset + best]) best = c;
  }
  return best;
}
