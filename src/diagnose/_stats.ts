/**
 * Small float64 statistics the data detectors share: per-column summaries over finite values,
 * the chi-square, Kolmogorov-Smirnov and binomial tails used to keep findings from firing on
 * chance patterns in small data, and seeded row sampling for the O(n²) checks.
 *
 * @module
 */
import type { Rng } from "../random.ts";

/** Summary of one column, over its finite values only; non-finite values are counted apart. */
export interface ColumnStats {
  finite: number;
  nan: number;
  posInf: number;
  negInf: number;
  /** 0-based row of the first non-finite value, or -1. */
  firstNonFiniteRow: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Root mean square, sqrt(mean² + std²): the typical magnitude a layer sees from this column. */
  rms: number;
  /** Distinct finite values, counted up to `DISTINCT_CAP` (then it stops counting). */
  distinct: number;
}

/** Beyond this many distinct values a column is treated as continuous; counting stops there. */
export const DISTINCT_CAP = 1000;

/** Stats of column `c` of a row-major `rows × cols` table. */
export function columnStats(data: Float64Array, rows: number, cols: number, c: number): ColumnStats {
  let finite = 0, nan = 0, posInf = 0, negInf = 0, first = -1;
  let mean = 0, m2 = 0, min = Infinity, max = -Infinity;
  const seen = new Set<number>();
  for (let r = 0; r < rows; r++) {
    const v = data[r * cols + c];
    if (!Number.isFinite(v)) {
      if (Number.isNaN(v)) nan++;
      else if (v > 0) posInf++;
      else negInf++;
      if (first < 0) first = r;
      continue;
    }
    finite++;
    // Welford: one pass, no cancellation for large-offset columns (years, prices).
    const d = v - mean;
    mean += d / finite;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
    if (seen.size < DISTINCT_CAP) seen.add(v);
  }
  const std = finite > 0 ? Math.sqrt(m2 / finite) : NaN;
  return {
    finite,
    nan,
    posInf,
    negInf,
    firstNonFiniteRow: first,
    mean: finite > 0 ? mean : NaN,
    std,
    min: finite > 0 ? min : NaN,
    max: finite > 0 ? max : NaN,
    rms: finite > 0 ? Math.sqrt(mean * mean + std * std) : NaN,
    distinct: seen.size,
  };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: ~1e-15 relative). */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = g[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // Lentz's continued fraction for Q.
  let b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** P(χ²_dof ≥ x). */
export function chiSquareSurvival(x: number, dof: number): number {
  return dof <= 0 ? 1 : gammaQ(dof / 2, x / 2);
}

/** Result of a test of homogeneity between two count vectors over the same categories. */
export interface ContingencyTest {
  chiSquare: number;
  dof: number;
  pValue: number;
  /** Cramér's V of the 2 × K table: sqrt(χ² / N) (min(2, K) - 1 = 1). */
  cramersV: number;
  /** Total variation distance between the two proportion vectors, in [0, 1]. */
  totalVariation: number;
}

/** Pearson's χ² test of homogeneity on a 2 × K table (categories empty in both rows are dropped). */
export function homogeneity(a: readonly number[], b: readonly number[]): ContingencyTest {
  const na = a.reduce((s, v) => s + v, 0), nb = b.reduce((s, v) => s + v, 0), n = na + nb;
  let chi = 0, k = 0, tv = 0;
  for (let i = 0; i < a.length; i++) {
    const col = a[i] + b[i];
    if (col === 0) continue;
    k++;
    const ea = col * na / n, eb = col * nb / n;
    chi += (a[i] - ea) ** 2 / ea + (b[i] - eb) ** 2 / eb;
    tv += Math.abs(a[i] / na - b[i] / nb);
  }
  const dof = Math.max(0, k - 1);
  return {
    chiSquare: chi,
    dof,
    pValue: chiSquareSurvival(chi, dof),
    cramersV: Math.sqrt(chi / n),
    totalVariation: tv / 2,
  };
}

/** Two-sample Kolmogorov-Smirnov statistic D and its asymptotic p-value (Stephens' correction). */
export function ksTwoSample(a: Float64Array, b: Float64Array): { d: number; pValue: number } {
  const x = Float64Array.from(a).sort(), y = Float64Array.from(b).sort();
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const ne = x.length * y.length / (x.length + y.length);
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return { d, pValue: Math.min(1, Math.max(0, lambda < 0.2 ? 1 : p)) };
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space (exact, n up to a few thousand). */
export function binomialUpperTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p), lq = Math.log1p(-p), lnf = logGamma(n + 1);
  let total = 0;
  for (let i = k; i <= n; i++) {
    total += Math.exp(lnf - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq);
  }
  return Math.min(1, total);
}

/** At most `max` row indices out of `rows`, seeded, in increasing order (all rows when rows ≤ max). */
export function sampleRows(rows: number, max: number, rng: Rng): Uint32Array {
  if (rows <= max) return Uint32Array.from({ length: rows }, (_, i) => i);
  return rng.permutation(rows).subarray(0, max).sort();
}

/**
 * A key for exact row equality: the values' bit patterns as UTF-16 code units (four a value), -0
 * folded into 0 and every NaN into one NaN (little-endian words, as on every platform Deno runs on), so two rows get the same key exactly when their values
 * are equal (NaN equal to NaN). One native call a row: formatting each number as text cost seconds
 * on 200,000 rows.
 */
export function rowKey(data: Float64Array, offset: number, length: number): string {
  const row = length <= keyScratch.length ? keyScratch : new Float64Array(length);
  const words = length <= keyScratch.length ? keyWords : new Uint32Array(row.buffer);
  for (let i = 0; i < length; i++) {
    const v = data[offset + i];
    if (v !== v) {
      // NaN: one bit pattern for all (the quiet NaN), whatever payload the data carried.
      words[2 * i] = 0;
      words[2 * i + 1] = 0x7ff80000;
    } else row[i] = v === 0 ? 0 : v;
  }
  const units = new Uint16Array(row.buffer, 0, 4 * length);
  let key = "";
  // In chunks: a call takes at most some tens of thousands of arguments.
  for (let at = 0; at < units.length; at += KEY_CHUNK) {
    key += String.fromCharCode.apply(null, units.subarray(at, at + KEY_CHUNK) as unknown as number[]);
  }
  return key;
}

const KEY_CHUNK = 8192;
const keyScratch = new Float64Array(1024);
const keyWords = new Uint32Array(keyScratch.buffer);

/**
 * Share of the finite values of column `c` equal to its most common value: 1 for a constant column,
 * near 1 for a border pixel that is almost always 0. Such columns have a tiny std that says nothing
 * about how the column is scaled, so scale comparisons leave them out.
 */
export function modeShare(data: Float64Array, rows: number, cols: number, c: number): number {
  // Counted in a Map while the column has few distinct values (pixels, categories); past
  // MODE_MAP_CAP of them, by the longest run of equal values once sorted (a native numeric sort): a
  // Map costs a hash insertion per distinct value, seconds over the columns of 200,000 continuous
  // rows. Both give the same share (-0 sorts next to 0 and equals it, as the Map's keys do).
  const counts = new Map<number, number>();
  let finite = 0, best = 0;
  for (let r = 0; r < rows; r++) {
    const v = data[r * cols + c];
    if (!Number.isFinite(v)) continue;
    finite++;
    const k = (counts.get(v) ?? 0) + 1;
    counts.set(v, k);
    if (k > best) best = k;
    if (counts.size > MODE_MAP_CAP) return sortedModeShare(data, rows, cols, c);
  }
  return finite > 0 ? best / finite : 1;
}

/** Distinct values past which {@linkcode modeShare} sorts instead of counting in a Map. */
const MODE_MAP_CAP = 1024;

function sortedModeShare(data: Float64Array, rows: number, cols: number, c: number): number {
  const values = new Float64Array(rows);
  let finite = 0;
  for (let r = 0; r < rows; r++) {
    const v = data[r * cols + c];
    if (Number.isFinite(v)) values[finite++] = v;
  }
  const sorted = values.subarray(0, finite).sort();
  let best = 1, run = 1;
  for (let i = 1; i < finite; i++) {
    run = sorted[i] === sorted[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best / finite;
}

/** Median of the non-NaN values (mean of the two middle ones for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const s = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b), m = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
