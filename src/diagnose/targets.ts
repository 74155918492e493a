/**
 * What the targets look like, summarized once for the setup and data detectors: the columns, their
 * distinct values, whether they are integers, their range, and whether rows are one-hot or multi-hot.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { Matrix } from "../reference/matrix.ts";
import { DISTINCT_CAP } from "./_stats.ts";

/** The targets of one split, summarized. */
export interface TargetSummary {
  rows: number;
  columns: number;
  /** Finite target values; non-finite ones are `non-finite-data`'s business. */
  finite: number;
  /** Sorted distinct finite values over all columns, at most `DISTINCT_LIST` of them. */
  distinct: number[];
  /** Number of distinct finite values, counted up to 1000. */
  distinctCount: number;
  /** Every finite value is an integer. */
  integer: boolean;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Several columns, every value 0 or 1, exactly one 1 per row. */
  oneHot: boolean;
  /** Several columns, every value 0 or 1, some row with no or several 1s. */
  multiHot: boolean;
  /** Several columns, non-negative, every row summing to 1 (one-hot or soft / smoothed labels). */
  rowsSumToOne: boolean;
  /** The targets themselves (float64, row-major), for detectors that compute a loss floor. */
  values: Matrix;
}

/** How many distinct values the summary lists. */
export const DISTINCT_LIST = 50;

/**
 * Summarizes `ds.targets`.
 *
 * @example
 * ```ts
 * const s = summarizeTargets(train);
 * if (s.columns === 1 && s.integer && s.min >= 0) console.log(`${s.max + 1} classes`);
 * ```
 */
export function summarizeTargets(ds: Dataset): TargetSummary {
  const cols = ds.targetNames.length, rows = ds.rows, t = ds.targets;
  const seen = new Set<number>();
  let finite = 0, integer = true, sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < rows * cols; i++) {
    const v = t[i];
    if (!Number.isFinite(v)) continue;
    finite++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (!Number.isInteger(v)) integer = false;
    if (seen.size < DISTINCT_CAP) seen.add(v === 0 ? 0 : v);
  }
  let ss = 0;
  const mean = finite > 0 ? sum / finite : NaN;
  for (let i = 0; i < rows * cols; i++) if (Number.isFinite(t[i])) ss += (t[i] - mean) ** 2;
  let allZeroOne = cols > 1, everyRowOne = cols > 1, sumsToOne = cols > 1;
  for (let r = 0; r < rows && cols > 1; r++) {
    let ones = 0, rowSum = 0, negative = false;
    for (let c = 0; c < cols; c++) {
      const v = t[r * cols + c];
      if (v !== 0 && v !== 1) allZeroOne = false;
      if (v === 1) ones++;
      if (v < 0) negative = true;
      rowSum += v;
    }
    if (ones !== 1) everyRowOne = false;
    // 1e-6: rows written as decimals (0.333333) still sum to 1 within that; float32 softmax rows too.
    if (negative || !(Math.abs(rowSum - 1) <= 1e-6)) sumsToOne = false;
  }
  const distinct = [...seen].sort((a, b) => a - b);
  return {
    rows,
    columns: cols,
    finite,
    distinct: distinct.slice(0, DISTINCT_LIST),
    distinctCount: seen.size,
    integer,
    min: finite > 0 ? min : NaN,
    max: finite > 0 ? max : NaN,
    mean,
    std: finite > 0 ? Math.sqrt(ss / finite) : NaN,
    oneHot: allZeroOne && everyRowOne && rows > 0,
    multiHot: allZeroOne && !everyRowOne && rows > 0,
    rowsSumToOne: sumsToOne && rows > 0,
    values: { data: t, rows, cols },
  };
}

/**
 * Class index of every row for single-label classification: one column → the value (when it is a
 * non-negative integer, else -1), several columns → the argmax (-1 for an all-zero or non-finite row).
 */
export function classIndices(ds: Dataset): Int32Array {
  const cols = ds.targetNames.length, out = new Int32Array(ds.rows);
  for (let r = 0; r < ds.rows; r++) {
    if (cols === 1) {
      const v = ds.targets[r];
      out[r] = Number.isInteger(v) && v >= 0 ? v : -1;
      continue;
    }
    let best = -1, bestV = 0;
    for (let c = 0; c < cols; c++) {
      const v = ds.targets[r * cols + c];
      if (!Number.isFinite(v)) {
        best = -1;
        break;
      }
      if (v > bestV) {
        best = c;
        bestV = v;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Per-class counts of `classIndices` (rows with -1 are left out); length = max index + 1, at least `min`. */
export function classCounts(indices: Int32Array, min = 0): number[] {
  let k = min;
  for (const c of indices) if (c + 1 > k) k = c + 1;
  const counts = new Array<number>(k).fill(0);
  for (const c of indices) if (c >= 0) counts[c]++;
  return counts;
}
