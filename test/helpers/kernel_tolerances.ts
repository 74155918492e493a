/**
 * The derived tolerances of the kernel equivalence tests, as functions a second suite can call: the
 * random-shape property tests (test/property/gpu.property.test.ts) hold the kernels to exactly the
 * bounds the fixed-shape tests do. Each is copied from, and must stay equal to, the test named on it
 * (those files keep theirs local; importing these instead would leave one copy).
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
 * test/kernels/reduce.test.ts: |f32 tree - exact| <= gamma_L Σ|terms| + u|exact| with L = 12 roundings
 * per pass + 1 (sqrt halves the relative error of the sum of squares); max and min are exact.
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

/** test/kernels/losses.test.ts `forwardTolerance`: per-row allowance of loss_forward, and its rtol. */
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
        rtol = 2 * gamma(K + 8);
        atol[r] = 1e-30;
        break;
      case "binary-crossentropy":
        if (cfg.fromLogits) {
          let meanAbsX = 0;
          for (let c = 0; c < K; c++) meanAbsX += Math.abs(p[c]) / K;
          atol[r] = 4 * u * meanAbsX + LOG_ABS + 6 * u;
        } else {
          atol[r] = LOG_ABS + 2e-8;
        }
        rtol = gamma(K + 8);
        break;
      case "categorical-crossentropy":
        if (cfg.fromLogits) {
          atol[r] = sumAbsT * (6 * u * K + gamma(K) + LOG_ABS + 6 * u * Math.log(K + 1));
        } else {
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
        atol[r] = cfg.fromLogits
          ? 6 * u * K + gamma(K) + LOG_ABS + 6 * u * Math.log(K + 1)
          : 2 * LOG_ABS + gamma(K + 1) + 2e-8;
        rtol = gamma(K + 8);
        break;
    }
  }
  return { atol, rtol };
}

/** test/kernels/losses.test.ts `gradTolerance`: per-element allowance of loss_backward (scale = a row's weight). */
export function lossGradientTolerance(
  cfg: LossConfig,
  yTrue: Matrix,
  yPred: Matrix,
  scale: number,
): { atol: Float64Array; rtol: number } {
  const { rows, cols: K } = yPred;
  const atol = new Float64Array(rows * K);
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
      const q = cfg.name === "categorical-crossentropy" && !cfg.fromLogits ? p / sumP : p;
      const clipped = !cfg.fromLogits && cfg.name !== "mse" && cfg.name !== "mae" && cfg.name !== "huber" &&
        (q < eps || q > 1 - eps);
      const hAbs = clipped ? 0 : Math.abs(t / q);
      if (clipped && cfg.name !== "categorical-crossentropy") {
        atol[i] = a;
        continue;
      }
      switch (cfg.name) {
        case "binary-crossentropy":
          a = cfg.fromLogits
            ? 16 * u * scale / K
            : 8 * u * (Math.abs(t / p) + Math.abs((1 - t) / (1 - p))) * scale / K;
          break;
        case "categorical-crossentropy":
          a = cfg.fromLogits
            ? (6 * u + 8 * u * K + gamma(K)) * (sumT + 1) * scale
            : gamma(K + 12) * (sumAbsP / Math.abs(sumP)) * (hAbs + sumT) / Math.abs(sumP) * scale;
          break;
        case "sparse-categorical-crossentropy":
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
