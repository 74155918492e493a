/**
 * Float64 2D convolution and pooling, channels last (NHWC), written from the definitions (Keras /
 * TensorFlow semantics), not from the WGSL:
 *
 *   conv:  Z[b, oy, ox, f] = bias[f] + Σ_{ky, kx, c} X[b, oy·sh + ky - pt, ox·sw + kx - pl, c] · W[ky, kx, c, f]
 *          (taps outside the image read 0), Y = act(Z);
 *   "valid": out = ceil((in - k + 1) / s), no padding; "same": out = ceil(in / s), total padding
 *   max((out - 1)·s + k - in, 0) with the smaller half before (TensorFlow's rule).
 *   max pool: the largest tap of the window (padded taps ignored), its gradient to the first such tap;
 *   average pool: the mean over the window's taps inside the image (TensorFlow's "same" counts only those).
 *
 * W is stored as Keras's kernel, [kh, kw, cin, filters] row-major: a (kh·kw·cin) × filters matrix.
 * @module
 */
import { activateAll, activationBackward, type ElementwiseActivation } from "./activations.ts";
import { type Matrix, matrix } from "./matrix.ts";

/** Padding modes of Keras's Conv2D / pooling layers. */
export type Padding = "valid" | "same";

/** The geometry of one 2D window op (convolution or pooling) over [h, w, c] rows. */
export interface Window2d {
  inH: number;
  inW: number;
  inC: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  outH: number;
  outW: number;
  /** Rows/columns of padding before the image. */
  padTop: number;
  padLeft: number;
}

/** Output size and leading padding of one dimension (TensorFlow's rule). */
export function windowOutput(
  size: number,
  k: number,
  s: number,
  padding: Padding,
): { out: number; pad: number } {
  if (padding === "valid") return { out: Math.max(0, Math.ceil((size - k + 1) / s)), pad: 0 };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return { out, pad: Math.floor(total / 2) };
}

/** The geometry of a window op on [inH, inW, inC] with kernel [kH, kW], strides [sH, sW]. */
export function window2d(
  input: readonly number[],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  padding: Padding,
): Window2d {
  const [inH, inW, inC] = input;
  const h = windowOutput(inH, kernel[0], strides[0], padding);
  const w = windowOutput(inW, kernel[1], strides[1], padding);
  return {
    inH,
    inW,
    inC,
    kH: kernel[0],
    kW: kernel[1],
    sH: strides[0],
    sW: strides[1],
    outH: h.out,
    outW: w.out,
    padTop: h.pad,
    padLeft: w.pad,
  };
}

/** Z and Y = act(Z) of a convolution; x is batch × (inH·inW·inC), the result batch × (outH·outW·F). */
export function conv2dForward(
  x: Matrix,
  w: Float64Array,
  bias: ArrayLike<number>,
  g: Window2d,
  filters: number,
  activation: ElementwiseActivation,
): { z: Matrix; y: Matrix } {
  const B = x.rows, F = filters;
  const z = matrix(B, g.outH * g.outW * F);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const o = b * z.cols + (oy * g.outW + ox) * F;
        for (let f = 0; f < F; f++) z.data[o + f] = bias[f];
        for (let ky = 0; ky < g.kH; ky++) {
          const iy = oy * g.sH + ky - g.padTop;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kW; kx++) {
            const ix = ox * g.sW + kx - g.padLeft;
            if (ix < 0 || ix >= g.inW) continue;
            for (let c = 0; c < g.inC; c++) {
              const xv = x.data[b * x.cols + (iy * g.inW + ix) * g.inC + c];
              const wo = ((ky * g.kW + kx) * g.inC + c) * F;
              for (let f = 0; f < F; f++) z.data[o + f] += xv * w[wo + f];
            }
          }
        }
      }
    }
  }
  return { z, y: { rows: z.rows, cols: z.cols, data: activateAll(z.data, activation) } };
}

/** The gradients of {@linkcode conv2dForward} from ∂L/∂Y. */
export function conv2dBackward(
  inputs: { x: Matrix; w: Float64Array; z: Matrix; dy: Matrix },
  g: Window2d,
  filters: number,
  activation: ElementwiseActivation,
): { dz: Matrix; dw: Float64Array; db: Float64Array; dx: Matrix } {
  const { x, w, z } = inputs;
  const F = filters, B = x.rows;
  const dz = { rows: z.rows, cols: z.cols, data: activationBackward(inputs.dy.data, z.data, activation) };
  const dw = new Float64Array(g.kH * g.kW * g.inC * F);
  const db = new Float64Array(F);
  const dx = matrix(B, x.cols);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const o = b * z.cols + (oy * g.outW + ox) * F;
        for (let f = 0; f < F; f++) db[f] += dz.data[o + f];
        for (let ky = 0; ky < g.kH; ky++) {
          const iy = oy * g.sH + ky - g.padTop;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kW; kx++) {
            const ix = ox * g.sW + kx - g.padLeft;
            if (ix < 0 || ix >= g.inW) continue;
            for (let c = 0; c < g.inC; c++) {
              const xi = b * x.cols + (iy * g.inW + ix) * g.inC + c;
              const wo = ((ky * g.kW + kx) * g.inC + c) * F;
              let s = 0;
              for (let f = 0; f < F; f++) {
                dw[wo + f] += x.data[xi] * dz.data[o + f];
                s += dz.data[o + f] * w[wo + f];
              }
              dx.data[xi] += s;
            }
          }
        }
      }
    }
  }
  return { dz, dw, db, dx };
}

/**
 * The patch matrix of a convolution: row (b, oy, ox) of (batch·outH·outW) × (kH·kW·inC) holds its
 * window's taps in kernel order (ky, kx, c), 0 outside the image; patches · W is the convolution.
 */
export function im2col(x: Matrix, g: Window2d): Matrix {
  const depth = g.kH * g.kW * g.inC;
  const out = matrix(x.rows * g.outH * g.outW, depth);
  for (let b = 0; b < x.rows; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const row = ((b * g.outH + oy) * g.outW + ox) * depth;
        for (let ky = 0; ky < g.kH; ky++) {
          const iy = oy * g.sH + ky - g.padTop;
          for (let kx = 0; kx < g.kW; kx++) {
            const ix = ox * g.sW + kx - g.padLeft;
            if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
            for (let c = 0; c < g.inC; c++) {
              out.data[row + (ky * g.kW + kx) * g.inC + c] =
                x.data[b * x.cols + (iy * g.inW + ix) * g.inC + c];
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * The adjoint of {@linkcode im2col}: dX (rows × inH·inW·inC) from the gradient of the patch matrix
 * ((rows·outH·outW) × (kh·kw·inC)), each input element summing the entries that copied it, windows
 * in ky, kx ascending order (as col2im_backward.wgsl).
 */
export function col2im(dPatches: Matrix, g: Window2d, rows: number): Matrix {
  const depth = g.kH * g.kW * g.inC;
  if (dPatches.rows !== rows * g.outH * g.outW || dPatches.cols !== depth) {
    throw new RangeError(
      `col2im: ${dPatches.rows} × ${dPatches.cols} patches for ${rows} rows of ${g.outH}×${g.outW} windows of depth ${depth}`,
    );
  }
  const dx = matrix(rows, g.inH * g.inW * g.inC);
  for (let b = 0; b < rows; b++) {
    for (let iy = 0; iy < g.inH; iy++) {
      for (let ix = 0; ix < g.inW; ix++) {
        for (let c = 0; c < g.inC; c++) {
          let sum = 0;
          for (let ky = 0; ky < g.kH; ky++) {
            const ty = iy + g.padTop - ky;
            if (ty < 0 || ty % g.sH !== 0 || ty / g.sH >= g.outH) continue;
            for (let kx = 0; kx < g.kW; kx++) {
              const tx = ix + g.padLeft - kx;
              if (tx < 0 || tx % g.sW !== 0 || tx / g.sW >= g.outW) continue;
              const row = (b * g.outH + ty / g.sH) * g.outW + tx / g.sW;
              sum += dPatches.data[row * depth + (ky * g.kW + kx) * g.inC + c];
            }
          }
          dx.data[b * dx.cols + (iy * g.inW + ix) * g.inC + c] = sum;
        }
      }
    }
  }
  return dx;
}

/** Pooling modes. */
export type PoolMode = "max" | "avg";

/**
 * Max or average pooling over each channel. Returns the output and, for max pooling, the flat index
 * (within the row) of the input tap each output took (the first largest; -1 for a window outside
 * the image, which pools to 0).
 */
export function pool2dForward(x: Matrix, g: Window2d, mode: PoolMode): { y: Matrix; argmax: Int32Array } {
  const B = x.rows, C = g.inC;
  const y = matrix(B, g.outH * g.outW * C);
  const argmax = new Int32Array(y.data.length).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity, at = -1, sum = 0, count = 0;
          for (let ky = 0; ky < g.kH; ky++) {
            const iy = oy * g.sH + ky - g.padTop;
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < g.kW; kx++) {
              const ix = ox * g.sW + kx - g.padLeft;
              if (ix < 0 || ix >= g.inW) continue;
              const i = (iy * g.inW + ix) * C + c;
              const v = x.data[b * x.cols + i];
              sum += v;
              count++;
              // NaN propagates (as TensorFlow's max pool does): the first NaN is taken.
              if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) (best = v), (at = i);
            }
          }
          const o = b * y.cols + (oy * g.outW + ox) * C + c;
          if (mode === "max") {
            y.data[o] = at < 0 ? 0 : best;
            argmax[o] = at;
          } else {
            y.data[o] = count > 0 ? sum / count : 0;
          }
        }
      }
    }
  }
  return { y, argmax };
}

/** ∂L/∂X of {@linkcode pool2dForward} from ∂L/∂Y. */
export function pool2dBackward(dy: Matrix, argmax: Int32Array, g: Window2d, mode: PoolMode): Matrix {
  const B = dy.rows, C = g.inC;
  const dx = matrix(B, g.inH * g.inW * C);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let c = 0; c < C; c++) {
          const o = b * dy.cols + (oy * g.outW + ox) * C + c;
          if (mode === "max") {
            if (argmax[o] >= 0) dx.data[b * dx.cols + argmax[o]] += dy.data[o];
            continue;
          }
          const taps: number[] = [];
          for (let ky = 0; ky < g.kH; ky++) {
            const iy = oy * g.sH + ky - g.padTop;
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < g.kW; kx++) {
              const ix = ox * g.sW + kx - g.padLeft;
              if (ix >= 0 && ix < g.inW) taps.push((iy * g.inW + ix) * C + c);
            }
          }
          for (const i of taps) dx.data[b * dx.cols + i] += dy.data[o] / taps.length;
        }
      }
    }
  }
  return dx;
}

/** Y = act(X) element by element (the activation layer). */
export function activationForward(x: Matrix, activation: ElementwiseActivation): Matrix {
  return { rows: x.rows, cols: x.cols, data: activateAll(x.data, activation) };
}
