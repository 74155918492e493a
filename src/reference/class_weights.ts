/**
 * Class weights, as Keras's `fit(class_weight=...)` applies them: each training row's loss is
 * multiplied by the weight of its class before the batch reduction, so a "mean" batch loss is
 * Σ w_r L_r / rows (Keras divides by the batch size, not by Σ w_r) and each row's gradient is scaled
 * by w_r. The class of a row is read from the encoded targets as Keras does: the argmax of a one-hot
 * row, the rounded value of a single column. `"balanced"` is scikit-learn's `compute_class_weight`:
 * n_samples / (n_classes · count_c). Validation data is never weighted (Keras weights training only).
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** `{"0": 1, "1": 20}` (keys are class indices 0..C-1) or `"balanced"`. */
export type ClassWeightSpec = "balanced" | Record<string, number>;

/** The class index of each row of an encoded target matrix: argmax of a one-hot row, else round(y). */
export function targetClasses(y: Matrix): Int32Array {
  const out = new Int32Array(y.rows);
  for (let r = 0; r < y.rows; r++) {
    if (y.cols === 1) {
      out[r] = Math.round(y.data[r]);
      continue;
    }
    let best = 0;
    for (let c = 1; c < y.cols; c++) if (y.data[r * y.cols + c] > y.data[r * y.cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * The weight of each class 0..classes-1. Explicit weights must name every class (Keras requires the
 * keys 0..C-1); a `RangeError` says which is missing or extra. For `"balanced"`, a class absent from
 * the rows gets weight 0 (it weighs nothing it could scale).
 */
export function classWeights(spec: ClassWeightSpec, rowClasses: Int32Array, classes: number): Float64Array {
  const w = new Float64Array(classes);
  if (spec === "balanced") {
    const counts = new Float64Array(classes);
    for (const c of rowClasses) if (c >= 0 && c < classes) counts[c]++;
    for (let c = 0; c < classes; c++) w[c] = counts[c] > 0 ? rowClasses.length / (classes * counts[c]) : 0;
    return w;
  }
  for (const key of Object.keys(spec)) {
    const k = Number(key);
    if (!Number.isInteger(k) || k < 0 || k >= classes || String(k) !== key) {
      throw new RangeError(`class "${key}" is not a class index of these targets (0..${classes - 1})`);
    }
  }
  for (let c = 0; c < classes; c++) {
    if (!(String(c) in spec)) {
      throw new RangeError(`no weight for class ${c} (give one for each of 0..${classes - 1})`);
    }
    w[c] = spec[String(c)];
  }
  return w;
}

/** Each row's weight: its class's weight (a row whose class is out of range weighs 1). */
export function rowWeights(weights: Float64Array, rowClasses: Int32Array): Float64Array {
  return Float64Array.from(rowClasses, (c) => (c >= 0 && c < weights.length ? weights[c] : 1));
}

/** Per-row losses (or gradient rows of `cols` values) scaled by their row's weight. */
export function weightRows(values: Float64Array, cols: number, weights: ArrayLike<number>): Float64Array {
  return values.map((v, i) => v * weights[Math.floor(i / cols)]);
}
