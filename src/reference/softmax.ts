/**
 * Float64 row-wise softmax, log-softmax and the softmax backward pass.
 *
 * softmax(x)_i = e^{x_i - m} / Σ_j e^{x_j - m} with m = max_j x_j (the shift changes nothing
 * mathematically and keeps e^· finite); log-softmax(x)_i = (x_i - m) - log Σ_j e^{x_j - m}.
 * Backward, as a Jacobian-vector product: ∂y_j/∂x_i = y_j(δ_ij - y_i), so
 * dX_i = Σ_j dY_j y_j (δ_ij - y_i) = y_i (dY_i - Σ_j dY_j y_j).
 * @module
 */
import type { Matrix } from "./matrix.ts";

function rowMax(x: Matrix, r: number): number {
  let m = -Infinity;
  for (let c = 0; c < x.cols; c++) {
    const v = x.data[r * x.cols + c];
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** Softmax of each row. A row with a NaN, or with +Inf (Inf - Inf), becomes NaN, as in IEEE math. */
export function softmax(x: Matrix): Matrix {
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.rows; r++) {
    const m = rowMax(x, r);
    let sum = 0;
    for (let c = 0; c < x.cols; c++) sum += Math.exp(x.data[r * x.cols + c] - m);
    for (let c = 0; c < x.cols; c++) out[r * x.cols + c] = Math.exp(x.data[r * x.cols + c] - m) / sum;
  }
  return { data: out, rows: x.rows, cols: x.cols };
}

/** Log-softmax of each row. */
export function logSoftmax(x: Matrix): Matrix {
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.rows; r++) {
    const m = rowMax(x, r);
    let sum = 0;
    for (let c = 0; c < x.cols; c++) sum += Math.exp(x.data[r * x.cols + c] - m);
    const logSum = Math.log(sum);
    for (let c = 0; c < x.cols; c++) out[r * x.cols + c] = x.data[r * x.cols + c] - m - logSum;
  }
  return { data: out, rows: x.rows, cols: x.cols };
}

/** dX for y = softmax(x), given y and dY: dX_i = y_i (dY_i - Σ_j dY_j y_j) per row. */
export function softmaxBackward(y: Matrix, dy: Matrix): Matrix {
  if (y.rows !== dy.rows || y.cols !== dy.cols) {
    throw new RangeError(`softmaxBackward: y is ${y.rows}×${y.cols}, dY ${dy.rows}×${dy.cols}`);
  }
  const out = new Float64Array(y.data.length);
  for (let r = 0; r < y.rows; r++) {
    let dot = 0;
    for (let c = 0; c < y.cols; c++) dot += dy.data[r * y.cols + c] * y.data[r * y.cols + c];
    for (let c = 0; c < y.cols; c++) {
      const i = r * y.cols + c;
      out[i] = y.data[i] * (dy.data[i] - dot);
    }
  }
  return { data: out, rows: y.rows, cols: y.cols };
}
