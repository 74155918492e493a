/**
 * The conv2d, pooling and activation-forward kernels against their float64 twins
 * (src/reference/conv2d.ts) on awkward shapes: 1×1 images, odd sizes, kernels larger than the
 * stride, "same" padding wider than the image, prime channel counts, element counts that are not
 * multiples of the workgroup size (64), and one large case (a 28×28 batch of 64).
 *
 * Tolerances come from the shaders' headers: a recursive f32 sum of n products is within
 * gamma_n · Σ|terms| of the exact one (u = 2^-24), and Σ|terms| is the twin run on absolute values
 * (|x|, |w|, |b|; |dz|), so each element gets its own bound.
 */
import { afterAll, expect, it } from "vitest";
import {
  activationForwardKernel,
  filterGradientChunks,
  prepareConv2dBackward,
  prepareConv2dForward,
  prepareIm2col,
  preparePool2d,
} from "../../src/kernels/conv2d.ts";
import { activationBackwardKernel } from "../../src/kernels/dense.ts";
import { prepareKernel } from "../../src/kernels/kernel.ts";
import { activationOverrides } from "../../src/kernels/matmul.ts";
import { activationBackward, type ElementwiseActivation } from "../../src/reference/activations.ts";
import {
  activationForward,
  conv2dBackward,
  conv2dForward,
  im2col,
  type Padding,
  pool2dBackward,
  pool2dForward,
  type PoolMode,
  window2d,
} from "../../src/reference/conv2d.ts";
import { matrix } from "../../src/reference/matrix.ts";
import {
  describeKernel,
  describeKernels,
  randomF32,
  releaseTestContext,
  runOps,
  testContext,
} from "../helpers/gpu.ts";
import { expectClose, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/conv2d.test.ts");
  await releaseTestContext();
});

interface ConvCase {
  name: string;
  rows: number;
  input: [number, number, number];
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: ElementwiseActivation;
}

const CASES: ConvCase[] = [
  {
    name: "1×1 image, 1×1 kernel",
    rows: 1,
    input: [1, 1, 1],
    filters: 1,
    kernel: [1, 1],
    strides: [1, 1],
    padding: "valid",
    activation: "linear",
  },
  {
    name: "1×1 image, 3×3 same (all padding)",
    rows: 3,
    input: [1, 1, 2],
    filters: 3,
    kernel: [3, 3],
    strides: [1, 1],
    padding: "same",
    activation: "relu",
  },
  {
    name: "odd 5×7×3, 3×3 same, 5 filters",
    rows: 5,
    input: [5, 7, 3],
    filters: 5,
    kernel: [3, 3],
    strides: [1, 1],
    padding: "same",
    activation: "linear",
  },
  {
    name: "9×9×2, 3×3 stride 2 valid (kernel > stride), 7 filters",
    rows: 4,
    input: [9, 9, 2],
    filters: 7,
    kernel: [3, 3],
    strides: [2, 2],
    padding: "valid",
    activation: "relu",
  },
  {
    name: "13×11×3, 5×5 stride 3 same, 11 filters",
    rows: 2,
    input: [13, 11, 3],
    filters: 11,
    kernel: [5, 5],
    strides: [3, 3],
    padding: "same",
    activation: "linear",
  },
  {
    name: "6×8×13, 2×4 kernel, strides 1×3 same, 2 filters",
    rows: 3,
    input: [6, 8, 13],
    filters: 2,
    kernel: [2, 4],
    strides: [1, 3],
    padding: "same",
    activation: "linear",
  },
  {
    name: "large: 64 × 28×28×1, 3×3 valid, 16 filters",
    rows: 64,
    input: [28, 28, 1],
    filters: 16,
    kernel: [3, 3],
    strides: [1, 1],
    padding: "valid",
    activation: "relu",
  },
];

const abs = (a: Float32Array | Float64Array) => Float64Array.from(a, Math.abs);

async function runConv(c: ConvCase) {
  const ctx = await testContext();
  const g = window2d(c.input, c.kernel, c.strides, c.padding);
  const inSize = c.input[0] * c.input[1] * c.input[2], outSize = g.outH * g.outW * c.filters;
  const wCount = c.kernel[0] * c.kernel[1] * c.input[2] * c.filters;
  const x = randomF32(`conv x ${c.name}`, c.rows * inSize);
  const w = randomF32(`conv w ${c.name}`, wCount, { scale: 0.5 });
  const b = randomF32(`conv b ${c.name}`, c.filters, { scale: 0.2 });
  const dy = randomF32(`conv dy ${c.name}`, c.rows * outSize);
  const [xb, wb, bb, dyb] = [
    ctx.upload("x", x),
    ctx.upload("w", w),
    ctx.upload("b", b),
    ctx.upload("dz", dy),
  ];
  const [zb, yb, dxb, dwb] = [
    ctx.storage("z", c.rows * outSize),
    ctx.storage("y", c.rows * outSize),
    ctx.storage("dx", c.rows * inSize),
    ctx.storage("dw", wCount),
  ];
  const common = { geometry: g, filters: c.filters, rows: c.rows };
  const ops = [
    await prepareConv2dForward(ctx, {
      ...common,
      label: "fwd",
      activation: c.activation,
      x: xb,
      w: wb,
      b: bb,
      z: zb,
      y: yb,
    }),
    await prepareConv2dBackward(ctx, {
      ...common,
      label: "dx",
      pass: "input",
      x: xb,
      w: wb,
      dz: dyb,
      out: dxb,
    }),
    await prepareConv2dBackward(ctx, {
      ...common,
      label: "dw",
      pass: "filter",
      x: xb,
      w: wb,
      dz: dyb,
      out: dwb,
    }),
  ];
  const [z, y, dx, dw] = await runOps(ctx, ops, [zb, yb, dxb, dwb], {
    byteLengths: [c.rows * outSize * 4, c.rows * outSize * 4, c.rows * inSize * 4, wCount * 4],
  });
  for (const buf of [xb, wb, bb, dyb, zb, yb, dxb, dwb]) ctx.pool.release(buf);
  for (const op of ops) op.release();
  const X = matrix(c.rows, inSize, x);
  const ref = conv2dForward(X, Float64Array.from(w), b, g, c.filters, c.activation);
  const absRef = conv2dForward(matrix(c.rows, inSize, abs(x)), abs(w), abs(b), g, c.filters, "linear");
  // The backward products from dZ directly: linear activation, so the twin's dZ is the given dY.
  const back = conv2dBackward(
    { x: X, w: Float64Array.from(w), z: ref.z, dy: matrix(c.rows, outSize, dy) },
    g,
    c.filters,
    "linear",
  );
  const absBack = conv2dBackward(
    { x: matrix(c.rows, inSize, abs(x)), w: abs(w), z: ref.z, dy: matrix(c.rows, outSize, abs(dy)) },
    g,
    c.filters,
    "linear",
  );
  return { g, z, y, dx, dw, ref, absRef, back, absBack };
}

describeKernels(
  ["conv2d_forward", "conv2d_input_backward", "conv2d_filter_backward", "conv2d_filter_reduce_backward"],
  "against the float64 twin",
  () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const r = await runConv(c);
        const taps = c.kernel[0] * c.kernel[1];
        // z: bias + n = kh·kw·cin products, gamma_{n+1}·(|b| + Σ|x·w|); relu is exact and 1-Lipschitz,
        // so y inherits z's bound.
        const zTol = Array.from(r.absRef.z.data, (v) => gamma(taps * c.input[2] + 1) * v);
        expectClose(r.z, r.ref.z.data, { atol: zTol, rtol: 0 }, {
          label: `${c.name} z`,
          family: "conv2d forward",
        });
        expectClose(r.y, r.ref.y.data, { atol: zTol, rtol: 0 }, {
          label: `${c.name} y`,
          family: "conv2d forward",
        });
        // dX: at most kh·kw·filters products; dW: rows·outH·outW products.
        const dxTol = Array.from(r.absBack.dx.data, (v) => gamma(taps * c.filters) * v);
        expectClose(r.dx, r.back.dx.data, { atol: dxTol, rtol: 0 }, {
          label: `${c.name} dX`,
          family: "conv2d backward",
        });
        const dwTol = Array.from(r.absBack.dw, (v) => gamma(c.rows * r.g.outH * r.g.outW) * v);
        expectClose(r.dw, r.back.dw, { atol: dwTol, rtol: 0 }, {
          label: `${c.name} dW`,
          family: "conv2d backward",
        });
      });
    }
  },
);

interface PoolCase {
  name: string;
  rows: number;
  input: [number, number, number];
  pool: [number, number];
  strides: [number, number];
  padding: Padding;
}

const POOLS: PoolCase[] = [
  { name: "1×1 image, 2×2 same", rows: 2, input: [1, 1, 3], pool: [2, 2], strides: [2, 2], padding: "same" },
  {
    name: "odd 7×5×3, 2×2 valid",
    rows: 3,
    input: [7, 5, 3],
    pool: [2, 2],
    strides: [2, 2],
    padding: "valid",
  },
  {
    name: "9×9×5, 3×3 stride 2 (overlapping windows) same",
    rows: 2,
    input: [9, 9, 5],
    pool: [3, 3],
    strides: [2, 2],
    padding: "same",
  },
  {
    name: "large: 64 × 26×26×16, 2×2",
    rows: 64,
    input: [26, 26, 16],
    pool: [2, 2],
    strides: [2, 2],
    padding: "valid",
  },
];

describeKernels(
  ["pool2d_forward", "pool2d_backward"],
  "max and average pooling against the float64 twin",
  () => {
    for (const mode of ["max", "avg"] as PoolMode[]) {
      for (const c of POOLS) {
        it(`${mode}: ${c.name}`, async () => {
          const ctx = await testContext();
          const g = window2d(c.input, c.pool, c.strides, c.padding);
          const inSize = c.input[0] * c.input[1] * c.input[2], outSize = g.outH * g.outW * c.input[2];
          const x = randomF32(`pool x ${mode} ${c.name}`, c.rows * inSize);
          const dy = randomF32(`pool dy ${mode} ${c.name}`, c.rows * outSize);
          const [xb, dyb] = [ctx.upload("x", x), ctx.upload("dy", dy)];
          const [yb, ab, dxb] = [
            ctx.storage("y", c.rows * outSize),
            ctx.storage("argmax", c.rows * outSize),
            ctx.storage("dx", c.rows * inSize),
          ];
          const common = { geometry: g, rows: c.rows, mode, argmax: ab };
          const ops = [
            await preparePool2d(ctx, { ...common, label: "fwd", pass: "forward", input: xb, output: yb }),
            await preparePool2d(ctx, { ...common, label: "bwd", pass: "backward", input: dyb, output: dxb }),
          ];
          const [y, dx] = await runOps(ctx, ops, [yb, dxb], {
            byteLengths: [c.rows * outSize * 4, c.rows * inSize * 4],
          });
          for (const buf of [xb, dyb, yb, ab, dxb]) ctx.pool.release(buf);
          for (const op of ops) op.release();
          const ref = pool2dForward(matrix(c.rows, inSize, x), g, mode);
          const dxRef = pool2dBackward(matrix(c.rows, outSize, dy), ref.argmax, g, mode);
          const absDx = pool2dBackward(matrix(c.rows, outSize, abs(dy)), ref.argmax, g, mode);
          const n = c.pool[0] * c.pool[1];
          if (mode === "max") {
            // Max is exact; its backward sums at most ceil(k/s)² gradients routed to the same tap.
            expect(Array.from(y)).toEqual(Array.from(ref.y.data, Math.fround));
          } else {
            const absY = pool2dForward(matrix(c.rows, inSize, abs(x)), g, mode);
            const yTol = Array.from(absY.y.data, (v) => gamma(n + 1) * v);
            expectClose(y, ref.y.data, { atol: yTol, rtol: 0 }, { label: `${c.name} y`, family: "pool2d" });
          }
          // Each of at most n terms is a quotient (one rounding) then summed: gamma_{2n}·Σ|terms|.
          const dxTol = Array.from(absDx.data, (v) => gamma(2 * n) * v);
          expectClose(dx, dxRef.data, { atol: dxTol, rtol: 0 }, { label: `${c.name} dX`, family: "pool2d" });
        });
      }
    }

    it("max: NaN in a window propagates to the output, the first largest tap takes the gradient", async () => {
      const ctx = await testContext();
      const g = window2d([2, 2, 1], [2, 2], [2, 2], "valid");
      const x = new Float32Array([1, 3, 3, 2, NaN, 0, 5, 1]); // row 0: tie 3, 3; row 1: NaN
      const dy = new Float32Array([10, 20]);
      const [xb, dyb, yb, ab, dxb] = [
        ctx.upload("x", x),
        ctx.upload("dy", dy),
        ctx.storage("y", 2),
        ctx.storage("a", 2),
        ctx.storage("dx", 8),
      ];
      const common = { geometry: g, rows: 2, mode: "max" as const, argmax: ab };
      const ops = [
        await preparePool2d(ctx, { ...common, label: "fwd", pass: "forward", input: xb, output: yb }),
        await preparePool2d(ctx, { ...common, label: "bwd", pass: "backward", input: dyb, output: dxb }),
      ];
      const [y, dx] = await runOps(ctx, ops, [yb, dxb], { byteLengths: [8, 32] });
      const ref = pool2dForward(matrix(2, 4, x), g, "max");
      expect(y[0]).toBe(3);
      expect(Number.isNaN(y[1]) && Number.isNaN(ref.y.data[1])).toBe(true);
      expect(Array.from(dx)).toEqual([0, 10, 0, 0, 20, 0, 0, 0]);
      expect(Array.from(pool2dBackward(matrix(2, 1, dy), ref.argmax, g, "max").data)).toEqual([
        0,
        10,
        0,
        0,
        20,
        0,
        0,
        0,
      ]);
    });
  },
);

describeKernels(
  ["activation_backward"],
  "in place (IN_PLACE 1: dZ = dZ ⊙ act'(Z), as conv2d runs it)",
  () => {
    for (const activation of ["relu", "sigmoid", "elu"] as ElementwiseActivation[]) {
      it(`${activation}, 1001 elements: the same values as the separate-buffer kernel, bit for bit`, async () => {
        const ctx = await testContext();
        const n = 1001;
        const z = randomF32(`inplace z ${activation}`, n, { scale: 6 });
        const dy = randomF32(`inplace dy ${activation}`, n);
        const [zb, dyb, dzb, inPlace] = [
          ctx.upload("z", z),
          ctx.upload("dy", dy),
          ctx.storage("dz", n),
          ctx.upload("dy → dz", dy),
        ];
        const overrides = activationOverrides(activation);
        const separate = await prepareKernel(ctx, activationBackwardKernel, {
          label: "separate",
          buffers: { dy: dyb, z: zb, dz: dzb },
          uniforms: { count: n },
          overrides,
        });
        const inplace = await prepareKernel(ctx, activationBackwardKernel, {
          label: "in place",
          buffers: { dy: zb, z: zb, dz: inPlace },
          uniforms: { count: n },
          overrides: { ...overrides, IN_PLACE: 1 },
        });
        const [a, b] = await runOps(ctx, [separate, inplace], [dzb, inPlace], {
          byteLengths: [n * 4, n * 4],
        });
        expect(Array.from(b)).toEqual(Array.from(a));
        // And the values are the twin's (one rounding of the product, exp's error for the smooth ones).
        const ref = activationBackward(dy, z, activation);
        const tol = ref.map((
          v,
          i,
        ) => (activation === "relu" ? 0 : (8 + 4 * Math.abs(z[i])) * 2 ** -23 * Math.abs(v)));
        expectClose(b, ref, { atol: tol, rtol: 0 }, {
          label: `${activation} in place`,
          family: "activation backward",
        });
        for (const buf of [zb, dyb, dzb, inPlace]) ctx.pool.release(buf);
        separate.release();
        inplace.release();
      });
    }
  },
);

describeKernel("im2col_forward", () => {
  for (const c of CASES) {
    it(`patches of ${c.name}: a copy, equal to the twin`, async () => {
      const ctx = await testContext();
      const g = window2d(c.input, c.kernel, c.strides, c.padding);
      const inSize = c.input[0] * c.input[1] * c.input[2];
      const depth = c.kernel[0] * c.kernel[1] * c.input[2], count = c.rows * g.outH * g.outW * depth;
      const x = randomF32(`im2col x ${c.name}`, c.rows * inSize);
      const [xb, pb] = [ctx.upload("x", x), ctx.storage("patches", count)];
      const op = await prepareIm2col(ctx, { label: "im2col", geometry: g, rows: c.rows, x: xb, patches: pb });
      const [patches] = await runOps(ctx, [op], [pb], { byteLengths: [count * 4] });
      expect(Array.from(patches)).toEqual(Array.from(im2col(matrix(c.rows, inSize, x), g).data));
      ctx.pool.release(xb);
      ctx.pool.release(pb);
      op.release();
    });
  }
});

describeKernel("activation_forward", () => {
  for (
    const activation of ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"] as ElementwiseActivation[]
  ) {
    for (const count of [1, 127, 1000]) {
      it(`${activation}, ${count} elements, x in [-12, 12)`, async () => {
        const ctx = await testContext();
        const x = randomF32(`af ${activation} ${count}`, count, { scale: 12 });
        const [xb, yb] = [ctx.upload("x", x), ctx.storage("y", count)];
        const op = await prepareKernel(ctx, activationForwardKernel, {
          label: activation,
          buffers: { x: xb, y: yb },
          uniforms: { count },
          overrides: activationOverrides(activation),
        });
        const [y] = await runOps(ctx, [op], [yb], { byteLengths: [count * 4] });
        const ref = activationForward(matrix(1, count, x), activation).data;
        // Header: relu exact; leaky-relu one rounding of the product plus ALPHA's rounding to f32
        // (2u relative); sigmoid/tanh: exp within 3 + 2|x| ULP plus <= 3 roundings, tanh ~1e-7
        // absolute near 0; elu = ALPHA·(e^x - 1): exp's error is absolute at the scale of e^x, and the
        // subtraction does not shrink it: (5 + 2|x|)·2^-23·e^min(x,0) absolute, plus 2u relative.
        const tol = Array.from(ref, (v, i) => {
          const a = Math.abs(x[i]);
          switch (activation) {
            case "elu":
              return (5 + 2 * a) * 2 ** -23 * Math.exp(Math.min(x[i], 0)) + 2 ** -23 * Math.abs(v);
            case "sigmoid":
            case "tanh":
              return (6 + 2 * a) * 2 ** -23 * Math.abs(v) + (activation === "tanh" ? 2e-7 : 0);
            default:
              return 2 ** -23 * Math.abs(v);
          }
        });
        expectClose(y, ref, { atol: tol, rtol: 0 }, {
          label: `${activation} ${count}`,
          family: "activation forward",
        });
        ctx.pool.release(xb);
        ctx.pool.release(yb);
        op.release();
      });
    }
  }
});

it("the filter gradient's chunks: at most 64, at most √positions, and partial sums within 32 MiB", () => {
  expect(filterGradientChunks(64 * 26 * 26, 9 * 16 + 16)).toBe(64);
  expect(filterGradientChunks(2 * 3 * 3, 10)).toBe(4);
  expect(filterGradientChunks(1, 10)).toBe(1);
  // 64·1024 weights and biases: 64 chunks take 16 MiB, within the cap; 8× as many would not fit.
  expect(filterGradientChunks(64 * 32 * 32, 64 * 1024)).toBe(64);
  const sums = 8 * 64 * 1024;
  expect(filterGradientChunks(64 * 32 * 32, sums)).toBe(Math.floor((32 * 2 ** 20) / (4 * sums)));
});
