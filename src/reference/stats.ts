/**
 * Float64 twin of `shaders/column_stats_forward.wgsl`: the per-column statistics the data diagnosis
 * reads (scale, spread, sparsity, outliers, non-finite values).
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** Statistics of one column, over its finite values only. */
export interface ColumnStats {
  mean: number;
  /** Population standard deviation (ddof = 0, numpy's default). */
  std: number;
  min: number;
  max: number;
  /** Fraction of the finite values that are exactly 0 (either sign). */
  zeroFraction: number;
  /** Fraction of the finite values with |x| > 5 (beyond what standardized features reach). */
  beyondFraction: number;
  /** NaN and ±Inf values in the column. */
  nonFinite: number;
  finite: number;
}

/** Words per column in the kernel's output (mean, std, min, max, zero, beyond, nonFinite, finite). */
export const COLUMN_STATS_WORDS = 8;

/** |x| beyond this counts towards `beyondFraction`. */
export const BEYOND_LIMIT = 5;

/**
 * Statistics of each column; a column without finite values gets NaN for the six statistics.
 *
 * @example
 * ```ts
 * columnStats(fromRows([[0], [2], [NaN]]))[0]; // mean 1, std 1, min 0, max 2, zeroFraction 0.5, nonFinite 1
 * ```
 */
export function columnStats(x: Matrix): ColumnStats[] {
  const out: ColumnStats[] = [];
  for (let c = 0; c < x.cols; c++) {
    let n = 0, sum = 0, lo = Infinity, hi = -Infinity, zeros = 0, beyond = 0;
    for (let r = 0; r < x.rows; r++) {
      const v = x.data[r * x.cols + c];
      if (!Number.isFinite(v)) continue;
      n++;
      sum += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (v === 0) zeros++;
      if (Math.abs(v) > BEYOND_LIMIT) beyond++;
    }
    const mean = sum / n;
    let ssd = 0;
    for (let r = 0; r < x.rows; r++) {
      const v = x.data[r * x.cols + c];
      if (Number.isFinite(v)) ssd += (v - mean) ** 2;
    }
    const none = n === 0;
    out.push({
      mean: none ? NaN : mean,
      std: none ? NaN : Math.sqrt(ssd / n),
      min: none ? NaN : lo,
      max: none ? NaN : hi,
      zeroFraction: none ? NaN : zeros / n,
      beyondFraction: none ? NaN : beyond / n,
      nonFinite: x.rows - n,
      finite: n,
    });
  }
  return out;
}

/** Decodes the kernel's output buffer (cols × 8 words) into {@linkcode ColumnStats}. */
export function decodeColumnStats(words: ArrayBuffer, cols: number): ColumnStats[] {
  const f = new Float32Array(words), u = new Uint32Array(words);
  const out: ColumnStats[] = [];
  for (let c = 0; c < cols; c++) {
    const o = c * COLUMN_STATS_WORDS;
    out.push({
      mean: f[o],
      std: f[o + 1],
      min: f[o + 2],
      max: f[o + 3],
      zeroFraction: f[o + 4],
      beyondFraction: f[o + 5],
      nonFinite: u[o + 6],
      finite: u[o + 7],
    });
  }
  return out;
}
