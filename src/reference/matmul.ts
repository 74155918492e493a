/**
 * Float64 matrix product with optional transposes: C = op(A)·op(B), the product behind X·W, Xᵀ·dZ
 * and dZ·Wᵀ. Plain triple loop over the definition C[i,j] = Σ_k op(A)[i,k]·op(B)[k,j].
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** Options of {@linkcode matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ (A stored K×M). */
  transposeA?: boolean;
  /** Use Bᵀ (B stored N×K). */
  transposeB?: boolean;
}

/**
 * op(A)·op(B) in float64.
 *
 * @example
 * ```ts
 * const c = matmul(matrix(2, 3, [1, 2, 3, 4, 5, 6]), matrix(2, 3, [1, 0, 0, 0, 1, 0]), { transposeB: true });
 * ```
 */
export function matmul(a: Matrix, b: Matrix, options: MatmulOptions = {}): Matrix {
  const m = options.transposeA ? a.cols : a.rows;
  const k = options.transposeA ? a.rows : a.cols;
  const kb = options.transposeB ? b.cols : b.rows;
  const n = options.transposeB ? b.rows : b.cols;
  if (k !== kb) throw new RangeError(`matmul: inner dimensions differ (${k} vs ${kb})`);
  const at = (i: number, p: number) => options.transposeA ? a.data[p * a.cols + i] : a.data[i * a.cols + p];
  const bt = (p: number, j: number) => options.transposeB ? b.data[j * b.cols + p] : b.data[p * b.cols + j];
  const data = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
      data[i * n + j] = sum;
    }
  }
  return { data, rows: m, cols: n };
}

/** |M| element-wise: with {@linkcode matmul}, gives Σ_k |a_ik||b_kj|, the scale of a dot product's rounding error. */
export function absolute(m: Matrix): Matrix {
  return { data: m.data.map(Math.abs), rows: m.rows, cols: m.cols };
}

/**
 * op(X) (X stored transposed when `transpose`) laid out four columns a texel, as
 * matmul_pack_forward writes its rgba32float texture: row r, texel q holds op(X)[r, 4q..4q+3], 0 past
 * the last column. Returns rows × ceil(cols/4) × 4 values, row by row.
 */
export function packTexels(x: Matrix, transpose = false): Float64Array {
  const rows = transpose ? x.cols : x.rows;
  const cols = transpose ? x.rows : x.cols;
  const width = Math.ceil(cols / 4) * 4;
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * width + c] = transpose ? x.data[c * x.cols + r] : x.data[r * x.cols + c];
    }
  }
  return out;
}
