/**
 * The float64 backward twins of batch normalization, embedding, conv1d, global average pooling and
 * L2 regularization against central finite differences of their forward twins (the references
 * the GPU kernels are judged by must themselves be right), plus the Keras semantics they encode.
 *
 * Tolerance: for L = Σ dY ⊙ f(θ) with O(1) values, central differences with h = 1e-5 have
 * truncation error O(h²·|L'''|) ~ 1e-10 and cancellation ~ 1e-16·|L|/h ~ 1e-10 (|L| <= ~100 here),
 * so |analytic - fd| <= 1e-6·scale (scale = max(1, max |gradient|)) separates a correct gradient
 * from a wrong one by orders of magnitude. Batch norm's ε = 1e-3 keeps 1/√(var + ε) smooth.
 */
import { describe, expect, it } from "vitest";
import {
  BATCHNORM_EPSILON,
  BATCHNORM_MOMENTUM,
  batchNormApply,
  batchNormBackward,
  batchNormMoments,
  batchNormMovingUpdate,
  batchNormTrainForward,
} from "../../src/reference/batchnorm.ts";
import {
  conv1dBackward,
  conv1dForward,
  type Conv1dShape,
  convOutputGeometry,
} from "../../src/reference/conv1d.ts";
import {
  embeddingBackward,
  embeddingForward,
  findInvalidToken,
  isValidToken,
} from "../../src/reference/embedding.ts";
import { globalAvgPoolBackward, globalAvgPoolForward } from "../../src/reference/global_pool.ts";
import { l2Gradient, l2Penalty, regularizedLoss } from "../../src/reference/regularization.ts";
import { randomF32 } from "../helpers/gpu.ts";

const H = 1e-5;

/** Σ dy ⊙ f(θ). */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Checks analytic[i] against the central difference of `loss` in parameter i of `theta`. */
function checkGradient(
  what: string,
  theta: Float64Array,
  analytic: ArrayLike<number>,
  loss: (theta: Float64Array) => number,
) {
  let scale = 1;
  for (let i = 0; i < analytic.length; i++) scale = Math.max(scale, Math.abs(analytic[i]));
  for (let i = 0; i < theta.length; i++) {
    const keep = theta[i];
    theta[i] = keep + H;
    const up = loss(theta);
    theta[i] = keep - H;
    const down = loss(theta);
    theta[i] = keep;
    const fd = (up - down) / (2 * H);
    if (!(Math.abs(analytic[i] - fd) <= 1e-6 * scale)) {
      expect.fail(`${what}[${i}]: analytic ${analytic[i]}, finite difference ${fd}, scale ${scale}`);
    }
  }
}

const f64 = (seed: string, n: number, scale = 1) => Float64Array.from(randomF32(seed, n, { scale }));

describe("batch normalization twin", () => {
  for (const [rows, channels] of [[2, 1], [7, 3], [13, 5]] as const) {
    it(`${rows} rows × ${channels} channels: dx, dγ, dβ against finite differences (training mode)`, () => {
      const x = f64(`bn x ${rows}`, rows * channels, 2);
      const gamma = f64(`bn g ${rows}`, channels).map((v) => v + 1.5);
      const beta = f64(`bn b ${rows}`, channels);
      const dy = f64(`bn dy ${rows}`, rows * channels);
      const forward = (xx: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
        batchNormApply(xx, rows, channels, batchNormMoments(xx, rows, channels), g, b);
      const grads = batchNormBackward(x, dy, rows, channels, gamma);
      checkGradient("dx", x, grads.dx, (t) => dot(dy, forward(t, gamma, beta)));
      checkGradient("dγ", gamma, grads.dgamma, (t) => dot(dy, forward(x, t, beta)));
      checkGradient("dβ", beta, grads.dbeta, (t) => dot(dy, forward(x, gamma, t)));
    });
  }

  it("Keras semantics: biased variance, momentum 0.99, epsilon 1e-3, moving statistics blend", () => {
    expect([BATCHNORM_MOMENTUM, BATCHNORM_EPSILON]).toEqual([0.99, 1e-3]);
    const { mean, variance } = batchNormMoments([1, 10, 3, 20], 2, 2);
    expect(Array.from(mean)).toEqual([2, 15]);
    expect(Array.from(variance)).toEqual([1, 25]); // divided by R = 2, not R - 1
    const moving = batchNormMovingUpdate(
      { mean: Float64Array.of(0, 0), variance: Float64Array.of(1, 1) },
      { mean, variance },
    );
    expect(moving.mean[0]).toBeCloseTo(0.02, 15);
    expect(moving.variance[1]).toBeCloseTo(0.99 + 0.25, 14);
    const out = batchNormTrainForward([1, 10, 3, 20], 2, 2, {
      gamma: [1, 1],
      beta: [0, 0],
      moving: { mean: Float64Array.of(0, 0), variance: Float64Array.of(1, 1) },
    });
    expect(out.y[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-3), 14);
  });

  it("a batch of one row: the output is β and the input gradient is exactly 0 (nothing to learn)", () => {
    const x = Float64Array.of(3, -2, 7);
    const y = batchNormApply(x, 1, 3, batchNormMoments(x, 1, 3), [2, 2, 2], [0.5, -1, 4]);
    expect(Array.from(y)).toEqual([0.5, -1, 4]);
    const g = batchNormBackward(x, [1, 2, 3], 1, 3, [2, 2, 2]);
    expect(Array.from(g.dx)).toEqual([0, 0, 0]);
    expect(Array.from(g.dgamma)).toEqual([0, 0, 0]);
  });
});

describe("embedding twin", () => {
  it("dTable against finite differences; repeated tokens accumulate, absent rows stay 0", () => {
    const [vocab, dim] = [7, 3];
    const tokens = [3, 0, 3, 6, 3, 1];
    const table = f64("emb table", vocab * dim);
    const dy = f64("emb dy", tokens.length * dim);
    const dTable = embeddingBackward(tokens, dy, vocab, dim);
    checkGradient("dTable", table, dTable, (t) => dot(dy, embeddingForward(tokens, t, vocab, dim)));
    expect(Array.from(dTable.subarray(2 * dim, 3 * dim))).toEqual([0, 0, 0]);
  });

  it("a token with no row gives NaN in the lookup, nothing in the gradient, and is found", () => {
    expect([
      isValidToken(0, 5),
      isValidToken(4, 5),
      isValidToken(5, 5),
      isValidToken(-1, 5),
      isValidToken(2.5, 5),
    ])
      .toEqual([true, true, false, false, false]);
    expect(Number.isNaN(embeddingForward([5], new Float64Array(10), 5, 2)[0])).toBe(true);
    expect(Array.from(embeddingBackward([5, 1], [1, 1, 2, 2], 5, 2))).toEqual([0, 0, 2, 2, 0, 0, 0, 0, 0, 0]);
    expect(findInvalidToken([0, 4, 1, 9, -1], 5)).toEqual({ position: 3, value: 9 });
    expect(findInvalidToken([0, 4], 5)).toBeNull();
  });
});

describe("conv1d twin", () => {
  it("Keras/TensorFlow padding geometry", () => {
    // TensorFlow: same -> ceil(L/s), pad_before = floor(total/2); valid -> floor((L-K)/s) + 1.
    expect(convOutputGeometry(10, 3, 1, "same")).toEqual({ outLength: 10, padBefore: 1 });
    expect(convOutputGeometry(10, 4, 1, "same")).toEqual({ outLength: 10, padBefore: 1 });
    expect(convOutputGeometry(10, 3, 2, "same")).toEqual({ outLength: 5, padBefore: 0 });
    expect(convOutputGeometry(7, 5, 3, "same")).toEqual({ outLength: 3, padBefore: 2 });
    expect(convOutputGeometry(10, 3, 2, "valid")).toEqual({ outLength: 4, padBefore: 0 });
    expect(convOutputGeometry(2, 3, 1, "valid")).toEqual({ outLength: 0, padBefore: 0 });
  });

  const shapes: Conv1dShape[] = [
    { batch: 2, length: 7, inChannels: 3, filters: 2, kernelSize: 3, stride: 1, padding: "same" },
    { batch: 1, length: 9, inChannels: 2, filters: 3, kernelSize: 4, stride: 2, padding: "same" },
    { batch: 2, length: 8, inChannels: 1, filters: 2, kernelSize: 3, stride: 3, padding: "valid" },
    { batch: 1, length: 1, inChannels: 2, filters: 1, kernelSize: 5, stride: 1, padding: "same" },
  ];
  for (const shape of shapes) {
    const name = `L ${shape.length}, K ${shape.kernelSize}, stride ${shape.stride}, ${shape.padding}`;
    it(`${name}: dw, db, dx against finite differences (tanh)`, () => {
      const { batch, length, inChannels: C, filters: F, kernelSize: K } = shape;
      const x = f64(`c1 x ${name}`, batch * length * C);
      const w = f64(`c1 w ${name}`, K * C * F);
      const b = f64(`c1 b ${name}`, F);
      const fwd = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) =>
        conv1dForward(xx, ww, bb, shape, { activation: "tanh" });
      const { z, y } = fwd(x, w, b);
      const dy = f64(`c1 dy ${name}`, y.length);
      const g = conv1dBackward({ x, w, z, dy }, shape, { activation: "tanh" });
      checkGradient("dw", w, g.dw, (t) => dot(dy, fwd(x, t, b).y));
      checkGradient("db", b, g.db, (t) => dot(dy, fwd(x, w, t).y));
      checkGradient("dx", x, g.dx, (t) => dot(dy, fwd(t, w, b).y));
    });
  }

  it("a kernel of ones over a ramp sums each window (padding is zero)", () => {
    const shape: Conv1dShape = {
      batch: 1,
      length: 4,
      inChannels: 1,
      filters: 1,
      kernelSize: 3,
      stride: 1,
      padding: "same",
    };
    expect(Array.from(conv1dForward([1, 2, 3, 4], [1, 1, 1], [0], shape).y)).toEqual([3, 6, 9, 7]);
  });
});

describe("global average pooling and L2 twins", () => {
  it("global average pooling: dx against finite differences", () => {
    const [batch, positions, channels] = [3, 5, 2];
    const x = f64("gap x", batch * positions * channels);
    const dy = f64("gap dy", batch * channels);
    checkGradient(
      "dx",
      x,
      globalAvgPoolBackward(dy, batch, positions, channels),
      (t) => dot(dy, globalAvgPoolForward(t, batch, positions, channels)),
    );
    expect(Array.from(globalAvgPoolForward([1, 10, 3, 20], 1, 2, 2))).toEqual([2, 15]);
  });

  it("L2: the gradient is the derivative of the penalty, and the reported loss adds it", () => {
    const w = f64("l2 w", 11);
    const g = new Float64Array(11);
    checkGradient("2·l2·w", w, l2Gradient(g, w, 0.01), (t) => l2Penalty(t, 0.01));
    expect(l2Penalty([1, -2, 3], 0.1)).toBeCloseTo(1.4, 15);
    expect(regularizedLoss(0.5, [{ w: [1, -2, 3], l2: 0.1 }, { w: [2], l2: 0.5 }])).toBeCloseTo(3.9, 14);
  });
});
