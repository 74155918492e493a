/**
 * Float64 dense layer: forward Z = X·W + b, Y = act(Z), and backward
 * dZ = dY ⊙ act'(Z) (softmax: the row-wise Jacobian-vector product), dW = Xᵀ·dZ, db = Σ_rows dZ,
 * dX = dZ·Wᵀ. X is batch×inputs, W inputs×units (Keras's kernel layout), b has `units` entries.
 * @module
 */
import type { Activation } from "../scenario/types.ts";
import { activateAll, activationBackward } from "./activations.ts";
import { matmul } from "./matmul.ts";
import type { Matrix } from "./matrix.ts";
import { softmax, softmaxBackward } from "./softmax.ts";

/** Z (pre-activation) and Y (output) of a dense layer. */
export interface DenseForward {
  z: Matrix;
  y: Matrix;
}

/** Y = act(X·W + b). `parameter` is leaky-relu's slope or elu's alpha (Keras defaults otherwise). */
export function denseForward(
  x: Matrix,
  w: Matrix,
  b: ArrayLike<number> | null,
  options: { activation: Activation; parameter?: number },
): DenseForward {
  const z = matmul(x, w);
  if (b) {
    if (b.length !== z.cols) {
      throw new RangeError(`denseForward: bias has ${b.length} entries for ${z.cols} units`);
    }
    for (let r = 0; r < z.rows; r++) for (let c = 0; c < z.cols; c++) z.data[r * z.cols + c] += b[c];
  }
  const y = options.activation === "softmax"
    ? softmax(z)
    : { data: activateAll(z.data, options.activation, options.parameter), rows: z.rows, cols: z.cols };
  return { z, y };
}

/** The gradients of a dense layer. */
export interface DenseGradients {
  dz: Matrix;
  dw: Matrix;
  db: Float64Array;
  dx: Matrix;
}

/** Backward pass of {@linkcode denseForward} for an upstream gradient dY. */
export function denseBackward(
  inputs: { x: Matrix; w: Matrix; z: Matrix; y: Matrix; dy: Matrix },
  options: { activation: Activation; parameter?: number },
): DenseGradients {
  const { x, w, z, y, dy } = inputs;
  const dz = options.activation === "softmax" ? softmaxBackward(y, dy) : {
    data: activationBackward(dy.data, z.data, options.activation, options.parameter),
    rows: z.rows,
    cols: z.cols,
  };
  const dw = matmul(x, dz, { transposeA: true });
  const db = new Float64Array(dz.cols);
  for (let r = 0; r < dz.rows; r++) for (let c = 0; c < dz.cols; c++) db[c] += dz.data[r * dz.cols + c];
  const dx = matmul(dz, w, { transposeB: true });
  return { dz, dw, db, dx };
}

/** db = Σ over rows of dZ, one entry per column. */
export function columnSums(m: Matrix): Float64Array {
  const out = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[c] += m.data[r * m.cols + c];
  return out;
}
