/**
 * The tolerance check every kernel test uses, in the form of llm.c's:
 * `|gpu - ref| <= atol + rtol * |ref|`, element by element, with the worst element in the message.
 *
 * Non-finite values must agree exactly: NaN where the reference is NaN, the same infinity where it
 * is infinite (the detectors rely on the GPU propagating them, not on a plausible finite number).
 */
import { expect } from "vitest";

/** Absolute tolerance (one for all elements, or one per element) and relative tolerance. */
export interface Tolerance {
  atol: number | ArrayLike<number>;
  rtol: number;
}

/** The element that exceeds its allowance the most (or, when none does, comes closest). */
export interface WorstElement {
  index: number;
  gpu: number;
  ref: number;
  err: number;
  allowed: number;
}

/** The outcome of {@linkcode compareClose}. */
export interface Comparison {
  ok: boolean;
  count: number;
  failures: number;
  worst: WorstElement | null;
  maxAbsErr: number;
  /**
   * Largest |gpu - ref| / |ref| over elements with |ref| >= 1e-3 * max|ref| (relative error is
   * meaningless on the values that are zero up to cancellation).
   */
  maxRelErr: number;
}

/** Compares element by element; never throws. */
export function compareClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  if (gpu.length < ref.length) {
    return {
      ok: false,
      count: ref.length,
      failures: ref.length - gpu.length,
      worst: { index: gpu.length, gpu: NaN, ref: ref[gpu.length], err: Infinity, allowed: 0 },
      maxAbsErr: Infinity,
      maxRelErr: Infinity,
    };
  }
  let scale = 0;
  for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i])) scale = Math.max(scale, Math.abs(ref[i]));
  let failures = 0;
  let worst: WorstElement | null = null;
  let worstRatio = -Infinity;
  let maxAbsErr = 0;
  let maxRelErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = gpu[i];
    const r = ref[i];
    const atol = typeof tol.atol === "number" ? tol.atol : tol.atol[i];
    const allowed = atol + tol.rtol * (Number.isFinite(r) ? Math.abs(r) : 0);
    let err: number;
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      err = Object.is(g, r) || (Number.isNaN(g) && Number.isNaN(r)) || g === r ? 0 : Infinity;
    } else {
      err = Math.abs(g - r);
      maxAbsErr = Math.max(maxAbsErr, err);
      if (Math.abs(r) >= 1e-3 * scale && r !== 0) maxRelErr = Math.max(maxRelErr, err / Math.abs(r));
    }
    const ratio = err === 0 ? 0 : allowed > 0 ? err / allowed : Infinity;
    if (err !== 0 && !(err <= allowed)) failures++;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = { index: i, gpu: g, ref: r, err, allowed };
    }
  }
  return { ok: failures === 0, count: ref.length, failures, worst, maxAbsErr, maxRelErr };
}

/** The failure text: how many elements failed and the worst one. */
export function describeComparison(label: string, c: Comparison): string {
  const w = c.worst;
  const where = w
    ? `worst at [${w.index}]: gpu ${w.gpu}, ref ${w.ref}, |err| ${w.err.toExponential(3)} > allowed ${
      w.allowed.toExponential(3)
    }`
    : "";
  return `${label}: ${c.failures}/${c.count} elements outside tolerance; ${where}`;
}

const seenErrors = new Map<string, { maxRelErr: number; maxAbsErr: number; cases: number }>();

/**
 * Asserts closeness and records the errors under `family` (see {@linkcode errorSummary}).
 * Returns the comparison so a test can assert more (e.g. that the error is not exactly zero).
 */
export function expectClose(
  gpu: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: Tolerance,
  options: { label: string; family?: string },
): Comparison {
  const c = compareClose(gpu, ref, tol);
  if (options.family) {
    const s = seenErrors.get(options.family) ?? { maxRelErr: 0, maxAbsErr: 0, cases: 0 };
    s.cases++;
    if (Number.isFinite(c.maxRelErr)) s.maxRelErr = Math.max(s.maxRelErr, c.maxRelErr);
    if (Number.isFinite(c.maxAbsErr)) s.maxAbsErr = Math.max(s.maxAbsErr, c.maxAbsErr);
    seenErrors.set(options.family, s);
  }
  if (!c.ok) expect.fail(describeComparison(options.label, c));
  return c;
}

/**
 * The largest errors seen per family in this test file. With FITCHECK_ERROR_LOG set, test files
 * append it there (one JSON line per file) so a run can report the largest error per kernel family.
 */
export function errorSummary(): Record<string, { maxRelErr: number; maxAbsErr: number; cases: number }> {
  return Object.fromEntries(seenErrors);
}

/** Appends {@linkcode errorSummary} to $FITCHECK_ERROR_LOG when it is set (call from afterAll). */
export async function logErrorSummary(file: string): Promise<void> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  const path = deno?.env.get("FITCHECK_ERROR_LOG");
  if (!path || !deno) return;
  await deno.writeTextFile(path, JSON.stringify({ file, families: errorSummary() }) + "\n", { append: true });
}

/** Unit roundoff of float32 (round to nearest): 2^-24. */
export const F32_U = 2 ** -24;

/**
 * gamma_n = n u / (1 - n u): the bound on the relative error of a length-n recursive sum or dot
 * product in float32 (Higham, Accuracy and Stability of Numerical Algorithms, Lemma 3.1), used with
 * the sum of |terms|: |fl(sum) - sum| <= gamma_n * sum |x_i|.
 */
export function gamma(n: number): number {
  return (n * F32_U) / (1 - n * F32_U);
}
