/**
 * Twin of `shaders/reduce_forward.wgsl`: reductions with the kernel's contract (non-finite inputs are
 * counted and make the result NaN), in float64 (the ground truth), and the exact float32 emulation
 * of the kernel's fixed tree order (which the GPU must match bit for bit: WGSL rounds + and *
 * correctly, and the order depends only on n).
 *
 * @module
 */

/** The reductions the kernel offers; "mean" is the sum with scale 1/n, "norm" is sqrt(Σx²). */
export type ReduceOp = "sum" | "mean" | "sumsq" | "max" | "min" | "norm";

/** A reduced value and how many inputs were non-finite (then `value` is NaN). */
export interface Reduced {
  value: number;
  nonFinite: number;
}

/** Items one workgroup reduces per pass (256 threads × 4). */
export const REDUCE_CHUNK = 1024;

/** Passes the tree needs for `n` items: ceil(log_1024 n), at least 1. */
export function reducePasses(n: number): number {
  let passes = 1;
  for (let m = Math.ceil(n / REDUCE_CHUNK); m > 1; m = Math.ceil(m / REDUCE_CHUNK)) passes++;
  return passes;
}

/**
 * The float64 reduction of `values`, with the kernel's non-finite contract: NaN and ±Inf are
 * counted, and any of them makes the value NaN.
 *
 * @example
 * ```ts
 * reduceF64("norm", [3, 4]); // { value: 5, nonFinite: 0 }
 * ```
 */
export function reduceF64(op: ReduceOp, values: ArrayLike<number>): Reduced {
  let nonFinite = 0;
  let acc = op === "max" ? -Infinity : op === "min" ? Infinity : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (op === "max") acc = Math.max(acc, v);
    else if (op === "min") acc = Math.min(acc, v);
    else acc += op === "sumsq" || op === "norm" ? v * v : v;
  }
  if (nonFinite > 0 || values.length === 0) return { value: NaN, nonFinite };
  if (op === "mean") acc /= values.length;
  if (op === "norm") acc = Math.sqrt(acc);
  return { value: acc, nonFinite };
}

/**
 * The kernel's exact float32 result: the same items combined in the same order (per workgroup of
 * 1024, thread t takes t, t+256, t+512, t+768, then a binary tree; passes until one remains), with
 * every operation rounded to float32. `scale` is the kernel's uniform (1/n for mean).
 */
export function reduceTreeF32(
  op: ReduceOp,
  values: ArrayLike<number>,
  scale = op === "mean" ? 1 / values.length : 1,
): Reduced {
  const f = Math.fround;
  const isMax = op === "max", isMin = op === "min", squares = op === "sumsq" || op === "norm";
  const identity = isMax ? -3.4028234663852886e38 : isMin ? 3.4028234663852886e38 : 0;
  const combine = (a: number, b: number) => isMax ? Math.max(a, b) : isMin ? Math.min(a, b) : f(a + b);
  let vals: number[] = [];
  let counts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = f(values[i]);
    const finite = Number.isFinite(v);
    vals.push(finite ? (squares ? f(v * v) : v) : identity);
    counts.push(finite ? 0 : 1);
  }
  do {
    const nextVals: number[] = [], nextCounts: number[] = [];
    for (let base = 0; base < vals.length; base += REDUCE_CHUNK) {
      const tv = new Array<number>(256).fill(identity), tc = new Array<number>(256).fill(0);
      for (let t = 0; t < 256; t++) {
        for (let j = 0; j < 4; j++) {
          const i = base + j * 256 + t;
          if (i < vals.length) {
            tv[t] = combine(tv[t], vals[i]);
            tc[t] += counts[i];
          }
        }
      }
      for (let s = 128; s > 0; s >>= 1) {
        for (let t = 0; t < s; t++) {
          tv[t] = combine(tv[t], tv[t + s]);
          tc[t] += tc[t + s];
        }
      }
      nextVals.push(tv[0]);
      nextCounts.push(tc[0]);
    }
    vals = nextVals;
    counts = nextCounts;
  } while (vals.length > 1);
  let value = vals[0];
  const fs = f(scale);
  if (op === "sum" || op === "mean" || op === "sumsq") value = f(value * fs);
  if (op === "norm") value = f(Math.sqrt(f(value * fs)));
  return { value: counts[0] > 0 ? NaN : value, nonFinite: counts[0] };
}
