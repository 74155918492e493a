/**
 * What a data set's targets look like, as data (not as the loss claims): class indices in one column,
 * one-hot rows, multi-label 0/1 rows, or continuous values. Task inference, stratified splits and the
 * class-based transforms all ask this one question the same way.
 *
 * @module
 */
import type { Dataset } from "./dataset.ts";

/**
 * At most this many distinct integer values in one target column read as classes. Real class counts
 * in tabular problems are small; integer-valued regression targets (ages, counts, prices) almost
 * always have more distinct values than this.
 */
export const MAX_INDEX_CLASSES = 20;

export type TargetShape =
  /** One column of integers with few distinct values (possibly not 0..C-1: see `values`). */
  | { kind: "index"; values: number[]; classes: number }
  /** Several 0/1 columns, exactly one 1 per row. */
  | { kind: "one-hot"; classes: number }
  /** Several 0/1 columns, any number of ones per row. */
  | { kind: "multilabel"; labels: number }
  /** Anything else. */
  | { kind: "continuous"; distinct: number; integer: boolean };

/**
 * Describes the targets. Non-finite targets are ignored (they are `non-finite-data` to diagnose).
 * For "index", `values` are the sorted distinct values and `classes` is `classNames.length` when the
 * labels were strings, else max(values) + 1 (what `to_categorical` would make).
 */
export function targetShape(d: Dataset): TargetShape {
  const width = d.targetNames.length;
  if (width === 1) {
    const distinct = new Set<number>();
    let integer = true;
    for (const v of d.targets) {
      if (!Number.isFinite(v)) continue;
      if (!Number.isInteger(v)) integer = false;
      if (distinct.size <= MAX_INDEX_CLASSES) distinct.add(v);
    }
    const values = [...distinct].sort((a, b) => a - b);
    if (d.classNames) return { kind: "index", values, classes: d.classNames.length };
    if (integer && distinct.size > 0 && distinct.size <= MAX_INDEX_CLASSES) {
      return { kind: "index", values, classes: Math.max(values[values.length - 1] + 1, values.length) };
    }
    return { kind: "continuous", distinct: countDistinct(d.targets), integer };
  }
  let binary = true;
  let oneHot = true;
  for (let i = 0; i < d.rows && binary; i++) {
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const v = d.targets[i * width + k];
      if (Number.isNaN(v)) continue;
      if (v !== 0 && v !== 1) binary = false;
      sum += v;
    }
    if (sum !== 1) oneHot = false;
  }
  if (binary && oneHot) return { kind: "one-hot", classes: width };
  if (binary) return { kind: "multilabel", labels: width };
  return {
    kind: "continuous",
    distinct: countDistinct(d.targets),
    integer: d.targets.every((v) => Number.isInteger(v)),
  };
}

function countDistinct(values: Float64Array): number {
  const s = new Set<number>();
  for (const v of values) if (Number.isFinite(v)) s.add(v);
  return s.size;
}

/**
 * The class of each row for single-label class targets: the label value as written (one column) or
 * the position of the 1 (one-hot); NaN for a missing label. Null for multi-label or continuous targets.
 */
export function rowClasses(d: Dataset, shape: TargetShape = targetShape(d)): Float64Array | null {
  const width = d.targetNames.length;
  if (shape.kind === "index") return Float64Array.from(d.targets, (v) => (Number.isFinite(v) ? v : NaN));
  if (shape.kind !== "one-hot") return null;
  const out = new Float64Array(d.rows);
  for (let i = 0; i < d.rows; i++) {
    let best = NaN;
    for (let k = 0; k < width; k++) if (d.targets[i * width + k] === 1) best = k;
    out[i] = best;
  }
  return out;
}

/** A data set made of the given rows of `d`, in that order. */
export function takeRows(d: Dataset, rows: ArrayLike<number>): Dataset {
  const fw = d.featureNames.length;
  const tw = d.targetNames.length;
  const features = new Float64Array(rows.length * fw);
  const targets = new Float64Array(rows.length * tw);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    features.set(d.features.subarray(r * fw, r * fw + fw), i * fw);
    targets.set(d.targets.subarray(r * tw, r * tw + tw), i * tw);
  }
  return { ...d, features, targets, rows: rows.length };
}
