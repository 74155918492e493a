/**
 * conv1d_forward, conv1d_input_backward and conv1d_filter_backward against the float64 twin
 * (src/reference/conv1d.ts): length 1, kernels longer than the input and than the stride, primes,
 * 127 / 257 lengths, valid and same padding, strides 1-3, every activation, and a large case
 * (batch 64 × 100 steps × 16 channels → 32 filters) past 65535 workgroups' worth of outputs.
 *
 * Tolerances (Higham's recursive-sum bound, u = 2^-24, gamma_n = nu/(1 - nu)):
 *  - z: gamma_{K·C+1}·(Σ|x·w| + |b|) per output; y: act's Lipschitz constant times that plus the
 *    activation's own error (the bound of test/kernels/matmul.test.ts, copied below);
 *  - dX: gamma_{K·F}·Σ|dz·w|; dW: gamma_{N·T}·Σ|x·dz|; db: gamma_{N·T}·Σ|dz| (dense_bias_backward);
 *    dZ = dY ⊙ act'(Z) is fed to the twin as the GPU computed it (activation_backward has its own
 *    tests), so the three products are judged on their own sums.
 */
import { afterAll, it } from "vitest";
import { prepareConv1dBackward, prepareConv1dForward } from "../../src/kernels/conv1d.ts";
import { type ElementwiseActivation } from "../../src/reference/activations.ts";
import {
  conv1dBackward,
  conv1dForward,
  type Conv1dShape,
  convOutputGeometry,
} from "../../src/reference/conv1d.ts";
import {
  describeKernel,
  describeKernels,
  randomF32,
  releaseTestContext,
  runOps,
  testContext,
} from "../helpers/gpu.ts";
import { expectClose, F32_U, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/conv1d.test.ts");
  await releaseTestContext();
});

/** The activation's own error (test/kernels/matmul.test.ts activationError: the same bound). */
function activationError(activation: ElementwiseActivation, z: number, y: number): number {
  const ulp = 2 ** -23;
  switch (activation) {
    case "linear":
    case "relu":
      return 0;
    case "leaky-relu":
      return 2 * F32_U * Math.abs(y);
    case "elu":
      return z > 0 ? 0 : Math.exp(z) * (3 + 2 * Math.abs(z)) * ulp + 2 * F32_U * Math.abs(y);
    case "sigmoid":
      return (6 + 2 * Math.abs(z)) * ulp * Math.abs(y);
    case "tanh":
      return Math.min(2 ** -19, (3 + 2 * Math.abs(z)) * ulp) + 8 * ulp * Math.abs(y);
  }
}
const LIPSCHITZ = { linear: 1, relu: 1, "leaky-relu": 1, elu: 1, sigmoid: 0.25, tanh: 1 };

type Case = Conv1dShape & { activation: ElementwiseActivation };

const CASES: Case[] = [
  {
    batch: 1,
    length: 1,
    inChannels: 1,
    filters: 1,
    kernelSize: 1,
    stride: 1,
    padding: "valid",
    activation: "linear",
  },
  {
    batch: 2,
    length: 1,
    inChannels: 3,
    filters: 2,
    kernelSize: 5,
    stride: 1,
    padding: "same",
    activation: "relu",
  },
  {
    batch: 3,
    length: 13,
    inChannels: 2,
    filters: 7,
    kernelSize: 5,
    stride: 2,
    padding: "same",
    activation: "tanh",
  },
  {
    batch: 2,
    length: 127,
    inChannels: 3,
    filters: 5,
    kernelSize: 4,
    stride: 3,
    padding: "valid",
    activation: "sigmoid",
  },
  {
    batch: 1,
    length: 257,
    inChannels: 5,
    filters: 1,
    kernelSize: 7,
    stride: 1,
    padding: "valid",
    activation: "elu",
  },
  {
    batch: 5,
    length: 31,
    inChannels: 11,
    filters: 13,
    kernelSize: 4,
    stride: 1,
    padding: "same",
    activation: "leaky-relu",
  },
  {
    batch: 64,
    length: 100,
    inChannels: 16,
    filters: 32,
    kernelSize: 5,
    stride: 1,
    padding: "same",
    activation: "relu",
  },
];

const nameOf = (c: Case) =>
  `[${c.batch}, ${c.length}, ${c.inChannels}] * K${c.kernelSize} s${c.stride} ${c.padding} -> ${c.filters} ${c.activation}`;

function data(c: Case) {
  const name = nameOf(c);
  return {
    x: randomF32(`c1 x ${name}`, c.batch * c.length * c.inChannels),
    w: randomF32(`c1 w ${name}`, c.kernelSize * c.inChannels * c.filters, { scale: 0.7 }),
    b: randomF32(`c1 b ${name}`, c.filters, { scale: 0.3 }),
  };
}

describeKernel("conv1d_forward", () => {
  for (const c of CASES) {
    it(nameOf(c), async () => {
      const ctx = await testContext();
      const { x, w, b } = data(c);
      const { outLength } = convOutputGeometry(c.length, c.kernelSize, c.stride, c.padding);
      const count = c.batch * outLength * c.filters;
      const buffers = {
        x: ctx.upload("x", x),
        w: ctx.upload("w", w),
        b: ctx.upload("b", b),
        z: ctx.storage("z", count),
        y: ctx.storage("y", count),
      };
      const op = await prepareConv1dForward(ctx, { label: "conv", ...c, ...buffers });
      const [z, y] = await runOps(ctx, [op], [buffers.z, buffers.y], { byteLengths: [count * 4, count * 4] });
      const ref = conv1dForward(x, w, b, c, { activation: c.activation });
      const absRef = conv1dForward(x.map(Math.abs), w.map(Math.abs), b.map(Math.abs), c);
      const zTol = absRef.z.map((s) => gamma(c.kernelSize * c.inChannels + 1) * s + 1e-30);
      expectClose(z, ref.z, { atol: zTol, rtol: 0 }, { label: `${nameOf(c)} z`, family: "conv1d forward" });
      const yTol = ref.y.map((v, i) =>
        LIPSCHITZ[c.activation] * zTol[i] + activationError(c.activation, ref.z[i], v) + 1e-30
      );
      expectClose(y, ref.y, { atol: yTol, rtol: 0 }, { label: `${nameOf(c)} y`, family: "conv1d forward" });
      op.release();
      for (const buffer of Object.values(buffers)) ctx.pool.release(buffer);
    });
  }
});

describeKernels(["conv1d_input_backward", "conv1d_filter_backward"], "dX, dW, db from dY", () => {
  for (const c of CASES) {
    it(nameOf(c), async () => {
      const ctx = await testContext();
      const { x, w, b } = data(c);
      const { outLength } = convOutputGeometry(c.length, c.kernelSize, c.stride, c.padding);
      const count = c.batch * outLength * c.filters;
      const dy = randomF32(`c1 dy ${nameOf(c)}`, count);
      const buffers = {
        x: ctx.upload("x", x),
        w: ctx.upload("w", w),
        b: ctx.upload("b", b),
        z: ctx.storage("z", count),
        y: ctx.storage("y", count),
        dy: ctx.upload("dy", dy),
        dz: ctx.storage("dz", count),
        dw: ctx.storage("dw", w.length),
        db: ctx.storage("db", c.filters),
        dx: ctx.storage("dx", x.length),
      };
      const forward = await prepareConv1dForward(ctx, { label: "conv", ...c, ...buffers });
      const backward = await prepareConv1dBackward(ctx, { label: "conv'", ...c, ...buffers });
      const [z, dz, dw, db, dx] = await runOps(
        ctx,
        [forward, backward],
        [buffers.z, buffers.dz, buffers.dw, buffers.db, buffers.dx],
        { byteLengths: [count * 4, count * 4, w.length * 4, c.filters * 4, x.length * 4] },
      );
      // The twin differentiates from the GPU's own z and dz (linear, so dY = dZ passes through).
      const ref = conv1dBackward({ x, w, z, dy: dz }, c);
      const abs = conv1dBackward({ x: x.map(Math.abs), w: w.map(Math.abs), z, dy: dz.map(Math.abs) }, c);
      const nt = c.batch * outLength;
      const label = nameOf(c);
      expectClose(dw, ref.dw, { atol: abs.dw.map((s) => gamma(nt) * s + 1e-30), rtol: 0 }, {
        label: `${label} dW`,
        family: "conv1d backward",
      });
      expectClose(db, ref.db, { atol: abs.db.map((s) => gamma(nt) * s + 1e-30), rtol: 0 }, {
        label: `${label} db`,
        family: "conv1d backward",
      });
      expectClose(dx, ref.dx, {
        atol: abs.dx.map((s) => gamma(c.kernelSize * c.filters) * s + 1e-30),
        rtol: 0,
      }, { label: `${label} dX`, family: "conv1d backward" });
      // And dZ = dY ⊙ act'(Z) from the GPU's z, within activation_backward.wgsl's bound (one
      // rounding for the piecewise-linear ones, (8 + 4|z|)·2^-23 relative through exp): the check
      // that the pieces are wired together.
      const full = conv1dBackward({ x, w, z, dy }, c, { activation: c.activation });
      const smooth = c.activation === "elu" || c.activation === "sigmoid" || c.activation === "tanh";
      expectClose(dz, full.dz, {
        atol: full.dz.map((v, i) =>
          (smooth ? (8 + 4 * Math.abs(z[i])) * 2 ** -23 : 2 * F32_U) * Math.abs(v) + 1e-30
        ),
        rtol: 0,
      }, { label: `${label} dZ`, family: "conv1d backward" });
      forward.release();
      backward.release();
      for (const buffer of Object.values(buffers)) ctx.pool.release(buffer);
    });
  }
});
