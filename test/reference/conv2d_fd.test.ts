/**
 * The float64 conv2d and pooling backward twins against central finite differences of their forward
 * twins, on L = Σ dY ⊙ Y. Central differences with h = 1e-5 have truncation error O(h²·f''') ~ 1e-10
 * and cancellation ~ 1e-16/h ~ 1e-11 at these O(1) scales: 1e-6 relative to the gradient scale
 * separates a right gradient from a wrong one by orders of magnitude. Max pooling is differentiable
 * away from ties, which random data avoids (checked: no window has two equal taps).
 */
import { describe, expect, it } from "vitest";
import type { ElementwiseActivation } from "../../src/reference/activations.ts";
import {
  conv2dBackward,
  conv2dForward,
  type Padding,
  pool2dBackward,
  pool2dForward,
  type PoolMode,
  window2d,
} from "../../src/reference/conv2d.ts";
import { type Matrix, matrix } from "../../src/reference/matrix.ts";
import { randomF32 } from "../helpers/gpu.ts";

const H = 1e-5;

function dot(a: Float64Array, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Each entry of `analytic` against (L(v + h) - L(v - h)) / 2h, perturbing `values[i]` in place. */
function expectFd(what: string, values: Float64Array, analytic: ArrayLike<number>, loss: () => number) {
  const scale = Math.max(1, ...Array.from(analytic, Math.abs));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    values[i] = v + H;
    const up = loss();
    values[i] = v - H;
    const down = loss();
    values[i] = v;
    const fd = (up - down) / (2 * H);
    if (!(Math.abs(analytic[i] - fd) <= 1e-6 * scale)) {
      expect.fail(`${what}[${i}]: analytic ${analytic[i]}, finite difference ${fd}, scale ${scale}`);
    }
  }
}

const CONV: [string, number[], [number, number], [number, number], Padding, ElementwiseActivation][] = [
  ["1×1 image, 3×3 same, tanh", [1, 1, 2], [3, 3], [1, 1], "same", "tanh"],
  ["5×4×3, 3×3 stride 2 valid, sigmoid", [5, 4, 3], [3, 3], [2, 2], "valid", "sigmoid"],
  ["6×7×2, 2×3 stride 1×2 same, elu", [6, 7, 2], [2, 3], [1, 2], "same", "elu"],
  ["4×4×1, 4×4 valid (one output), linear", [4, 4, 1], [4, 4], [1, 1], "valid", "linear"],
];

describe("conv2d backward twin against finite differences", () => {
  for (const [name, input, kernel, strides, padding, activation] of CONV) {
    it(name, () => {
      const rows = 2, filters = 3;
      const g = window2d(input, kernel, strides, padding);
      const inSize = input[0] * input[1] * input[2], outSize = g.outH * g.outW * filters;
      const x = matrix(rows, inSize, randomF32(`cfd x ${name}`, rows * inSize));
      const w = Float64Array.from(randomF32(`cfd w ${name}`, kernel[0] * kernel[1] * input[2] * filters));
      const b = Float64Array.from(randomF32(`cfd b ${name}`, filters, { scale: 0.3 }));
      const dy = Float64Array.from(randomF32(`cfd dy ${name}`, rows * outSize));
      const loss = () => dot(conv2dForward(x, w, b, g, filters, activation).y.data, dy);
      const fwd = conv2dForward(x, w, b, g, filters, activation);
      const grads = conv2dBackward({ x, w, z: fwd.z, dy: matrix(rows, outSize, dy) }, g, filters, activation);
      expectFd("dW", w, grads.dw, loss);
      expectFd("db", b, grads.db, loss);
      expectFd("dX", x.data, grads.dx.data, loss);
    });
  }
});

const POOL: [string, number[], [number, number], [number, number], Padding][] = [
  ["7×5×2, 2×2 valid", [7, 5, 2], [2, 2], [2, 2], "valid"],
  ["5×5×3, 3×3 stride 2 same (overlapping, edge windows)", [5, 5, 3], [3, 3], [2, 2], "same"],
  ["1×1×2, 2×2 same", [1, 1, 2], [2, 2], [2, 2], "same"],
];

describe("pool2d backward twin against finite differences", () => {
  for (const mode of ["max", "avg"] as PoolMode[]) {
    for (const [name, input, pool, strides, padding] of POOL) {
      it(`${mode}: ${name}`, () => {
        const rows = 2;
        const g = window2d(input, pool, strides, padding);
        const inSize = input[0] * input[1] * input[2], outSize = g.outH * g.outW * input[2];
        const x: Matrix = matrix(rows, inSize, randomF32(`pfd x ${mode} ${name}`, rows * inSize));
        expect(new Set(x.data).size).toBe(x.data.length); // no ties
        const dy = Float64Array.from(randomF32(`pfd dy ${mode} ${name}`, rows * outSize));
        const loss = () => dot(pool2dForward(x, g, mode).y.data, dy);
        const { argmax } = pool2dForward(x, g, mode);
        const dx = pool2dBackward(matrix(rows, outSize, dy), argmax, g, mode);
        expectFd("dX", x.data, dx.data, loss);
      });
    }
  }
});

describe("window geometry (TensorFlow's padding rule)", () => {
  it("valid: ceil((n - k + 1) / s); same: ceil(n / s), the smaller half of the padding first", () => {
    expect(window2d([28, 28, 1], [3, 3], [1, 1], "valid")).toMatchObject({ outH: 26, outW: 26, padTop: 0 });
    expect(window2d([28, 28, 1], [3, 3], [1, 1], "same")).toMatchObject({ outH: 28, padTop: 1, padLeft: 1 });
    // 5 with k 2, s 2, same: out 3, total padding (3-1)·2 + 2 - 5 = 1, 0 before, 1 after.
    expect(window2d([5, 5, 1], [2, 2], [2, 2], "same")).toMatchObject({ outH: 3, padTop: 0 });
    // 8 with k 4, s 2, same: out 4, total padding 3·2 + 4 - 8 = 2, 1 before.
    expect(window2d([8, 8, 1], [4, 4], [2, 2], "same")).toMatchObject({ outH: 4, padTop: 1 });
    expect(window2d([7, 7, 1], [2, 2], [2, 2], "valid")).toMatchObject({ outH: 3 });
  });
});
