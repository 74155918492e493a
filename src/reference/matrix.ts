/**
 * The row-major float64 matrix every CPU reference works on. Kept deliberately plain (a typed array
 * and two numbers) so references, detectors and the audit can build one from anything they read.
 *
 * @module
 */

/** A row-major `rows × cols` matrix of float64 values: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/**
 * A zero-filled matrix, or one over the given values (copied into a Float64Array).
 *
 * @example
 * ```ts
 * const m = matrix(2, 3);            // 2×3 zeros
 * const n = matrix(1, 2, [0.5, 1]);  // [[0.5, 1]]
 * ```
 */
export function matrix(rows: number, cols: number, values?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix: shape must be non-negative integers, got ${rows}×${cols}`);
  }
  const data = new Float64Array(rows * cols);
  if (values !== undefined) {
    if (values.length !== rows * cols) {
      throw new RangeError(`matrix: ${rows}×${cols} needs ${rows * cols} values, got ${values.length}`);
    }
    data.set(values);
  }
  return { data, rows, cols };
}

/**
 * A matrix from an array of equal-length rows.
 *
 * @example
 * ```ts
 * const m = fromRows([[1, 2], [3, 4]]); // rows 2, cols 2
 * ```
 */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows.length === 0 ? 0 : rows[0].length;
  const out = matrix(rows.length, cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) {
      throw new RangeError(`fromRows: row ${r} has ${row.length} values, row 0 has ${cols}`);
    }
    out.data.set(row, r * cols);
  });
  return out;
}

/** The matrix as an array of plain rows (for JSON, tests and messages). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}
