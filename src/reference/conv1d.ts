/**
 * Float64 1-D convolution, Keras `layers.Conv1D` semantics (channels last, no dilation), written
 * from the definition.
 *
 * x is [batch, length, inChannels], the kernel w is [kernelSize, inChannels, filters] (Keras's
 * layout), b is [filters], z and y are [batch, outLength, filters]:
 *   z[n, t, f] = b[f] + Σ_k Σ_c x[n, t·stride + k - padBefore, c] · w[k, c, f]   (out-of-range x is 0)
 *   y = act(z).
 * Padding as TensorFlow: "valid" has outLength = floor((L - K)/s) + 1 and no padding; "same" has
 * outLength = ceil(L/s) and pads max((outLength - 1)·s + K - L, 0) zeros, the smaller half before.
 * @module
 */
import { activateAll, activationBackward, type ElementwiseActivation } from "./activations.ts";
import { type Padding, windowOutput } from "./conv2d.ts";

/** Convolution padding, as Keras spells it. */
export type { Padding } from "./conv2d.ts";

/** The output length and the zeros padded before the first input position, for one spatial axis. */
export function convOutputGeometry(
  length: number,
  kernelSize: number,
  stride: number,
  padding: Padding,
): { outLength: number; padBefore: number } {
  // TensorFlow's rule, as conv2d applies it per axis.
  const { out, pad } = windowOutput(length, kernelSize, stride, padding);
  return { outLength: out, padBefore: pad };
}

/** The shape of a conv1d call. */
export interface Conv1dShape {
  batch: number;
  length: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  padding: Padding;
}

/** z and y = act(z), both [batch, outLength, filters]. */
export function conv1dForward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  shape: Conv1dShape,
  options: { activation?: ElementwiseActivation; parameter?: number } = {},
): { z: Float64Array; y: Float64Array; outLength: number } {
  const { batch, length, inChannels: C, filters: F, kernelSize: K, stride } = shape;
  const { outLength, padBefore } = convOutputGeometry(length, K, stride, shape.padding);
  if (x.length !== batch * length * C) throw new RangeError(`conv1dForward: x has ${x.length} values`);
  if (w.length !== K * C * F) throw new RangeError(`conv1dForward: kernel has ${w.length} values`);
  const z = new Float64Array(batch * outLength * F);
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < outLength; t++) {
      for (let f = 0; f < F; f++) {
        let s = b ? b[f] : 0;
        for (let k = 0; k < K; k++) {
          const i = t * stride + k - padBefore;
          if (i < 0 || i >= length) continue;
          for (let c = 0; c < C; c++) s += x[(n * length + i) * C + c] * w[(k * C + c) * F + f];
        }
        z[(n * outLength + t) * F + f] = s;
      }
    }
  }
  const y = activateAll(z, options.activation ?? "linear", options.parameter);
  return { z, y, outLength };
}

/** The gradients of a conv1d layer. */
export interface Conv1dGradients {
  dz: Float64Array;
  dw: Float64Array;
  db: Float64Array;
  dx: Float64Array;
}

/**
 * Backward pass from dY: dZ = dY ⊙ act'(Z); dw[k, c, f] = Σ_n Σ_t x[n, t·s + k - pad, c]·dZ[n, t, f];
 * db[f] = Σ_n Σ_t dZ[n, t, f]; dx[n, i, c] = Σ over (t, k) with t·s + k - pad = i of dZ[n, t, f]·w[k, c, f]
 * summed over f: each term of the forward sum differentiated.
 */
export function conv1dBackward(
  inputs: { x: ArrayLike<number>; w: ArrayLike<number>; z: ArrayLike<number>; dy: ArrayLike<number> },
  shape: Conv1dShape,
  options: { activation?: ElementwiseActivation; parameter?: number } = {},
): Conv1dGradients {
  const { batch, length, inChannels: C, filters: F, kernelSize: K, stride } = shape;
  const { outLength, padBefore } = convOutputGeometry(length, K, stride, shape.padding);
  const { x, w } = inputs;
  const dz = activationBackward(inputs.dy, inputs.z, options.activation ?? "linear", options.parameter);
  const dw = new Float64Array(K * C * F);
  const db = new Float64Array(F);
  const dx = new Float64Array(batch * length * C);
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < outLength; t++) {
      for (let f = 0; f < F; f++) {
        const g = dz[(n * outLength + t) * F + f];
        db[f] += g;
        for (let k = 0; k < K; k++) {
          const i = t * stride + k - padBefore;
          if (i < 0 || i >= length) continue;
          for (let c = 0; c < C; c++) {
            dw[(k * C + c) * F + f] += x[(n * length + i) * C + c] * g;
            dx[(n * length + i) * C + c] += g * w[(k * C + c) * F + f];
          }
        }
      }
    }
  }
  return { dz, dw, db, dx };
}
