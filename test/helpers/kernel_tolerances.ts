/**
 * The derived tolerances of the kernel equivalence tests, as functions a second suite can call: the
 * random-shape property tests (test/property/gpu.property.test.ts) hold the kernels to exactly the
 * bounds the fixed-shape tests do. The loss tolerances are shared with test/kernels/losses.test.ts;
 * the others are copies of the bounds kept in the test named on each, which must stay equal.
 *
 * WGSL accuracy rules used throughout: + - * correctly rounded (u = 2^-24); / within 2.5 ULP; exp
 * within (3 + 2|x|) ULP; log absolute 2^-21 on [0.5, 2], else 3 ULP; one ULP of v is at most 2u|v|.
 */
import type { LossConfig } from "../../src/reference/losses.ts";
import type { Matrix } from "../../src/reference/matrix.ts";
import { type ReduceOp, reducePasses } from "../../src/reference/reductions.ts";
import { F32_U as u, gamma } from "./tolerance.ts";

const ULP = 2 ** -23;
const LOG_ABS = 2 ** -21;

/**
 * test/kernels/matmul.test.ts: element (i, j) of Z = op(A)·op(B) (+ bias) within gamma_{K+1} times
 * Σ_k |a_ik||b_kj| (+ |bias_j|), Higham's dot-product bound. `absZ` is that sum of magnitudes.
 */
export function matmulTolerance(absZ: ArrayLike<number>, k: number): Float64Array {
  return Float64Array.from(absZ, (s) => gamma(k + 1) * s);
}

/**
 * test/kernels/softmax.test.ts: per element, softmax within ((4 + 3|d|)·2^-23 + rho + u)·|y| + 2^-126
 * and log-softmax within |d|·u + rho + 2^-21 + 3 ulp(log s) + u|l|, where d = x - rowmax and
 * rho = gamma_cols + Σ_k y_k (4 + 3|d_k|)·2^-23 per row.
 */
export function softmaxTolerances(
  x: ArrayLike<number>,
  y: Float64Array,
  logY: Float64Array,
  rows: number,
  cols: number,
): { y: Float64Array; logY: Float64Array } {
  const d = new Float64Array(x.length);
  const rho = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    let s = gamma(cols);
    for (let c = 0; c < cols; c++) {
      d[r * cols + c] = x[r * cols + c] - m;
      if (y[r * cols + c] !== 0) s += y[r * cols + c] * (4 + 3 * Math.abs(d[r * cols + c])) * ULP;
    }
    rho[r] = s;
  }
  const yTol = y.map((v, i) =>
    (v === 0 ? 0 : ((4 + 3 * Math.abs(d[i])) * ULP + rho[Math.floor(i / cols)] + u) * Math.abs(v)) + 2 ** -126
  );
  const lTol = logY.map((v, i) => {
    const logS = d[i] - v;
    return Math.abs(d[i]) * u + rho[Math.floor(i / cols)] + LOG_ABS + 3 * ULP * Math.abs(logS) +
      u * Math.abs(v);
  });
  return { y: yTol, logY: lTol };
}

/**
 * reduce_forward: |f32 tree - exact| <= gamma_L · Σ|terms| + u|exact|. Every item passes through at
 * most 12 roundings per pass (square, 3 sequential adds, 8 tree levels), so L = 12 · passes, +1
 * rounding for the scale; sqrt halves the relative error of the sum of squares and adds u; max and
 * min are exact.
 */
export function reduceBound(op: ReduceOp, data: ArrayLike<number>, exact: number): number {
  if (op === "max" || op === "min") return 0;
  const L = 12 * reducePasses(data.length) + 1;
  let sumAbs = 0;
  for (let i = 0; i < data.length; i++) {
    sumAbs += op === "sumsq" || op === "norm" ? data[i] * data[i] : Math.abs(data[i]);
  }
  if (op === "mean") sumAbs /= data.length;
  if (op === "norm") return (gamma(L) / 2) * Math.sqrt(sumAbs) + u * Math.abs(exact);
  return gamma(L) * sumAbs + u * Math.abs(exact);
}

/** Per-row allowance of |gpu - ref| for loss_forward, and the relative part. */
export function lossForwardTolerance(
  cfg: LossConfig,
  yTrue: Matrix,
  yPred: Matrix,
): { atol: Float64Array; rtol: number } {
  const { rows, cols: K } = yPred;
  const atol = new Float64Array(rows);
  let rtol = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    const p = yPred.data.subarray(o, o + K);
    const t = cfg.name === "sparse-categorical-crossentropy" ? null : yTrue.data.subarray(o, o + K);
    let sumAbsT = 0;
    if (t) { for (let c = 0; c < K; c++) sumAbsT += Math.abs(t[c]); }
    else sumAbsT = 1;
    switch (cfg.name) {
      case "mse":
      case "mae":
      case "huber":
        // Non-negative terms, each a few roundings (difference, square or the huber branch, whose
        // δ|e| - δ²/2 >= δ²/2 cancels at most 2x), a K-term sum and the division by K.
        rtol = 2 * gamma(K + 8);
        atol[r] = 1e-30;
        break;
      case "binary-crossentropy":
        if (cfg.fromLogits) {
          // max(x,0) - x·y: roundings of size u|x| each; log1p(exp(-|x|)): exp <= 3 ULP of a value
          // <= 1 (6u abs), series / log 2^-21 abs; all averaged over K.
          let meanAbsX = 0;
          for (let c = 0; c < K; c++) meanAbsX += Math.abs(p[c]) / K;
          atol[r] = 4 * u * meanAbsX + LOG_ABS + 6 * u;
        } else {
          // Each log: 2^-21 abs near 1, else 3 ULP (6u) of |log|; the f32 clip bounds move log by
          // < 2e-8. Terms are >= 0, so the K-sum is gamma_K relative.
          atol[r] = LOG_ABS + 2e-8;
        }
        rtol = gamma(K + 8);
        break;
      case "categorical-crossentropy":
        if (cfg.fromLogits) {
          // Terms y·((m - x) + log S) >= 0. S = Σ exp(x - m) >= 1 with each exp <= 6u abs and the
          // sum gamma_K, so log S errs by <= 6uK + gamma_K (relative error of S) + 2^-21.
          atol[r] = sumAbsT * (6 * u * K + gamma(K) + LOG_ABS + 6 * u * Math.log(K + 1));
        } else {
          // q = p / S carries gamma_K Σ|p| / |S| + 5u (division) relative, which log turns into absolute error,
          // plus log's own 2^-21 (or 6u relative, covered by rtol).
          let sumP = 0, sumAbsP = 0;
          for (let c = 0; c < K; c++) {
            sumP += p[c];
            sumAbsP += Math.abs(p[c]);
          }
          atol[r] = sumAbsT * (gamma(K + 5) * sumAbsP / Math.abs(sumP) + LOG_ABS + 2e-8);
        }
        rtol = gamma(K + 8);
        break;
      case "sparse-categorical-crossentropy":
        // Two logs (2·2^-21), the K-term sum inside log (gamma_K relative -> absolute after log);
        // from logits as categorical with Σy = 1.
        atol[r] = cfg.fromLogits
          ? 6 * u * K + gamma(K) + LOG_ABS + 6 * u * Math.log(K + 1)
          : 2 * LOG_ABS + gamma(K + 1) + 2e-8;
        rtol = gamma(K + 8);
        break;
    }
  }
  return { atol, rtol };
}

/** Per-element allowance for loss_backward (scale = weight of a row in the reduced loss). */
export function lossGradientTolerance(
  cfg: LossConfig,
  yTrue: Matrix,
  yPred: Matrix,
  scale: number,
): { atol: Float64Array; rtol: number } {
  const { rows, cols: K } = yPred;
  const atol = new Float64Array(rows * K);
  // f32(scale) and f32(scale / K): two roundings; the formula's own few more.
  const rtol = 8 * u;
  const eps = 1e-7;
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    let sumP = 0, sumAbsP = 0, sumT = 0, sumClip = 0;
    for (let c = 0; c < K; c++) {
      sumP += yPred.data[o + c];
      sumAbsP += Math.abs(yPred.data[o + c]);
      sumClip += Math.min(Math.max(yPred.data[o + c], eps), 1 - eps);
      if (cfg.name !== "sparse-categorical-crossentropy") sumT += Math.abs(yTrue.data[o + c]);
    }
    for (let c = 0; c < K; c++) {
      const i = o + c;
      const p = yPred.data[i];
      const t = cfg.name === "sparse-categorical-crossentropy" ? 0 : yTrue.data[i];
      let a = 1e-30;
      // Where the clip is active the gradient is exactly 0 on both sides (and the bounds below
      // would divide by 0).
      const q = cfg.name === "categorical-crossentropy" && !cfg.fromLogits ? p / sumP : p;
      const clipped = !cfg.fromLogits && cfg.name !== "mse" && cfg.name !== "mae" && cfg.name !== "huber" &&
        (q < eps || q > 1 - eps);
      // Categorical from probabilities keeps -hq/S where its own h is clipped to 0.
      const hAbs = clipped ? 0 : Math.abs(t / q);
      if (clipped && cfg.name !== "categorical-crossentropy") {
        atol[i] = a;
        continue;
      }
      switch (cfg.name) {
        case "binary-crossentropy":
          // -t/p + (1-t)/(1-p): terms of opposite sign, a division (5u) and up to 3 roundings each;
          // from logits, sigmoid errs by <= 6u (exp) + 5u (division) + u absolute.
          a = cfg.fromLogits
            ? 16 * u * scale / K
            : 8 * u * (Math.abs(t / p) + Math.abs((1 - t) / (1 - p))) * scale / K;
          break;
        case "categorical-crossentropy":
          // Logits: softmax_k · Σy - y_k, each exp <= 6u abs, S relative 6uK + gamma_K, the division 5u.
          // Probabilities: h = -y/q with q relative gamma_{K+1} Σ|p|/|S| (+5u per division: p/S, y/q, /S),
          // minus hq (|hq| <= Σ|y|), divided by S.
          a = cfg.fromLogits
            ? (6 * u + 8 * u * K + gamma(K)) * (sumT + 1) * scale
            : gamma(K + 12) * (sumAbsP / Math.abs(sumP)) * (hAbs + sumT) / Math.abs(sumP) * scale;
          break;
        case "sparse-categorical-crossentropy":
          // 1/S - [c = k]/p: S = Σ clip(p) relative gamma_K; from logits as categorical.
          a = cfg.fromLogits
            ? (6 * u + 8 * u * K + gamma(K)) * 2 * scale
            : (gamma(K + 7) / sumClip + 7 * u / Math.max(p, eps)) * scale;
          break;
        default:
          a = 1e-30;
      }
      atol[i] = a;
    }
  }
  return { atol, rtol };
}
