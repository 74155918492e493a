/**
 * The WGSL kernels against their float64 twins on shapes and values fast-check draws: matmul (both
 * variants, m, n, k in 1..70, transposes, bias), softmax / log-softmax (random rows × cols and logit
 * scales), every loss forward, reduced and backward, the reduce ops over n up to 5000, and conv1d
 * (conv2d's kernels on a height of 1) over random geometries against the independent 1-D twin. The
 * tolerances are the kernel tests' own (test/helpers/kernel_tolerances.ts), so a shape the fixed
 * cases missed is held to the same derived bound.
 *
 * Values come from the seeded Rng (src/random.ts) under a seed fast-check draws: fast-check shrinks
 * the shape and the seed, and the whole file is reproducible from FITCHECK_PROPERTY_SEED. Runs per
 * property are bounded (RUNS): the file takes 3-8 s on the llvmpipe adapter (well under the 60 s budget).
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readback, readbackF32 } from "../../src/gpu/mod.ts";
import { type MatmulVariant, prepareMatmul } from "../../src/kernels/matmul.ts";
import { prepareReduce } from "../../src/kernels/reduce.ts";
import { prepareSoftmax } from "../../src/kernels/softmax.ts";
import { prepareConv2dBackward, prepareConv2dForward } from "../../src/kernels/conv2d.ts";
import { window2d } from "../../src/reference/conv2d.ts";
import {
  conv1dBackward,
  conv1dForward,
  convOutputGeometry,
  type Padding,
} from "../../src/reference/conv1d.ts";
import { absolute, matmul } from "../../src/reference/matmul.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { reduceF64, type ReduceOp, reduceTreeF32 } from "../../src/reference/reductions.ts";
import { logSoftmax, softmax } from "../../src/reference/softmax.ts";
import { Rng } from "../../src/random.ts";
import type { Reduction } from "../../src/scenario/types.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { matmulTolerance, reduceBound, softmaxTolerances } from "../helpers/kernel_tolerances.ts";
import { checkAsyncProperty } from "../helpers/property.ts";
import { expectClose, gamma } from "../helpers/tolerance.ts";
import { expectLossMatchesTwin, LOSS_CONFIGS, lossInputs, lossTag, runLoss } from "../helpers/loss_cases.ts";

afterAll(releaseTestContext);

/** Cases per property: enough to reach shapes the fixed tests do not list, few enough for CI. */
const RUNS = 20;

/** `n` float32 values uniform in [lo, hi) from stream `label` of `seed`. */
function f32(seed: number, label: string, n: number, lo: number, hi: number): Float32Array {
  const rng = Rng.fromSeed(seed).stream(label);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe("GPU kernels against float64 on random shapes", () => {
  it("matmul (blocked and tiled): any m, n, k in 1..70, transposes and bias", async () => {
    const ctx = await testContext();
    const cases = fc.record({
      m: fc.integer({ min: 1, max: 70 }),
      n: fc.integer({ min: 1, max: 70 }),
      k: fc.integer({ min: 1, max: 70 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      bias: fc.boolean(),
      variant: fc.constantFrom<MatmulVariant>("blocked", "tiled"),
      scale: fc.constantFrom(1e-3, 1, 50),
      seed,
    });
    await checkAsyncProperty(
      fc.asyncProperty(cases, async (c) => {
        const { m, n, k } = c;
        const aData = f32(c.seed, "a", m * k, -c.scale, c.scale);
        const bData = f32(c.seed, "b", k * n, -c.scale, c.scale);
        const biasData = f32(c.seed, "bias", n, -c.scale, c.scale);
        const a = ctx.upload("a", aData);
        const b = ctx.upload("b", bData);
        const bias = c.bias ? ctx.upload("bias", biasData) : undefined;
        const y = ctx.storage("y", m * n);
        const op = await prepareMatmul(ctx, {
          label: "property matmul",
          a,
          b,
          bias,
          y,
          m,
          n,
          k,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          variant: c.variant,
        });
        ctx.submit("property matmul", (pass) => op.encode(pass));
        const [gpu] = await readbackF32(ctx, [{ buffer: y, byteLength: m * n * 4 }]);
        op.release();
        for (const buffer of [a, b, y, ...(bias ? [bias] : [])]) ctx.pool.release(buffer);
        const A = matrix(c.transposeA ? k : m, c.transposeA ? m : k, aData);
        const B = matrix(c.transposeB ? n : k, c.transposeB ? k : n, bData);
        const opts = { transposeA: c.transposeA, transposeB: c.transposeB };
        const ref = matmul(A, B, opts);
        const absZ = matmul(absolute(A), absolute(B), opts);
        if (c.bias) {
          for (let i = 0; i < m * n; i++) {
            ref.data[i] += biasData[i % n];
            absZ.data[i] += Math.abs(biasData[i % n]);
          }
        }
        expectClose(gpu, ref.data, { atol: matmulTolerance(absZ.data, k), rtol: 0 }, {
          label: `${c.variant} ${m}×${k}·${k}×${n} tA ${c.transposeA} tB ${c.transposeB}`,
        });
      }),
      RUNS,
    );
  });

  it("softmax and log-softmax: any rows × cols, logits up to ±100", async () => {
    const ctx = await testContext();
    const cases = fc.record({
      rows: fc.integer({ min: 1, max: 300 }),
      cols: fc.integer({ min: 1, max: 300 }),
      scale: fc.constantFrom(0.5, 8, 100),
      seed,
    });
    await checkAsyncProperty(
      fc.asyncProperty(cases, async ({ rows, cols, scale, seed }) => {
        const x = f32(seed, "logits", rows * cols, -scale, scale);
        const xb = ctx.upload("x", x);
        const yb = ctx.storage("y", rows * cols);
        const lb = ctx.storage("log y", rows * cols);
        const soft = await prepareSoftmax(ctx, { label: "property", x: xb, y: yb, rows, cols });
        const log = await prepareSoftmax(ctx, { label: "property", x: xb, y: lb, rows, cols, log: true });
        ctx.submit("property softmax", (pass) => {
          soft.encode(pass);
          log.encode(pass);
        });
        const [gy, gl] = await readbackF32(ctx, [
          { buffer: yb, byteLength: x.length * 4 },
          { buffer: lb, byteLength: x.length * 4 },
        ]);
        soft.release();
        log.release();
        for (const b of [xb, yb, lb]) ctx.pool.release(b);
        const refY = softmax(matrix(rows, cols, x)).data;
        const refL = logSoftmax(matrix(rows, cols, x)).data;
        const tol = softmaxTolerances(x, refY, refL, rows, cols);
        expectClose(gy, refY, { atol: tol.y, rtol: 0 }, { label: `softmax ${rows}×${cols} ±${scale}` });
        expectClose(gl, refL, { atol: tol.logY, rtol: 0 }, {
          label: `log-softmax ${rows}×${cols} ±${scale}`,
        });
      }),
      RUNS,
    );
  });

  it("every loss: per-row forward, the reduced loss and the gradient, any rows × cols", async () => {
    const ctx = await testContext();
    const cases = fc.record({
      cfg: fc.constantFrom(...LOSS_CONFIGS),
      rows: fc.integer({ min: 1, max: 200 }),
      cols: fc.integer({ min: 1, max: 40 }),
      reduction: fc.constantFrom<Reduction>("mean", "sum"),
      seed,
    });
    await checkAsyncProperty(
      fc.asyncProperty(cases, async ({ cfg, rows, cols, reduction, seed }) => {
        const data = lossInputs(cfg, rows, cols, Rng.fromSeed(seed).stream(`${cfg.name} ${cfg.fromLogits}`));
        const got = await runLoss(ctx, cfg, reduction, { ...data, rows, cols });
        const label = `${lossTag(cfg)} ${rows}×${cols} ${reduction}`;
        expectLossMatchesTwin(cfg, reduction, { ...data, rows, cols }, got, label);
      }),
      2 * RUNS,
    );
  });

  it("reduce: every op over any n up to 5000, within the tree bound and bit-equal to its f32 emulation", async () => {
    const ctx = await testContext();
    const cases = fc.record({
      op: fc.constantFrom<ReduceOp>("sum", "mean", "sumsq", "max", "min", "norm"),
      n: fc.integer({ min: 1, max: 5000 }),
      offset: fc.double({ noNaN: true, min: -1, max: 1 }),
      seed,
    });
    await checkAsyncProperty(
      fc.asyncProperty(cases, async ({ op, n, offset, seed }) => {
        // Mixed signs around a random offset, so sums cancel partly and are not trivially exact.
        const data = f32(seed, "reduce", n, offset - 1, offset + 1);
        const input = ctx.upload("reduce input", data);
        const output = ctx.storage("reduce output", 2);
        const red = await prepareReduce(ctx, { label: `property reduce ${op}`, op, input, n, output });
        ctx.submit("property reduce", (pass) => red.encode(pass));
        const [bytes] = await readback(ctx, [output]);
        red.release();
        ctx.pool.release(input);
        ctx.pool.release(output);
        const value = new Float32Array(bytes)[0];
        const count = new Uint32Array(bytes)[1];
        expect(count, "non-finite count").toBe(0);
        const emulated = reduceTreeF32(op, data).value;
        expect(Object.is(value, emulated), `${op} n=${n}: gpu ${value}, f32 tree ${emulated}`).toBe(true);
        const exact = reduceF64(op, data).value;
        expectClose([value], [exact], { atol: reduceBound(op, data, exact), rtol: 0 }, {
          label: `${op} n=${n}`,
        });
      }),
      RUNS,
    );
  });
  it("conv1d as conv2d with a height of 1: any length, kernel, stride, padding and channels; z, dX, dW against the 1-D twin", async () => {
    const ctx = await testContext();
    const cases = fc.record({
      batch: fc.integer({ min: 1, max: 4 }),
      length: fc.integer({ min: 1, max: 40 }),
      inChannels: fc.integer({ min: 1, max: 6 }),
      filters: fc.integer({ min: 1, max: 6 }),
      kernelSize: fc.integer({ min: 1, max: 7 }),
      stride: fc.integer({ min: 1, max: 4 }),
      padding: fc.constantFrom<Padding>("same", "valid"),
      seed,
    }).filter((c) => convOutputGeometry(c.length, c.kernelSize, c.stride, c.padding).outLength > 0);
    await checkAsyncProperty(
      fc.asyncProperty(cases, async (c) => {
        const { outLength } = convOutputGeometry(c.length, c.kernelSize, c.stride, c.padding);
        const count = c.batch * outLength * c.filters;
        const x = f32(c.seed, "x", c.batch * c.length * c.inChannels, -1, 1);
        const w = f32(c.seed, "w", c.kernelSize * c.inChannels * c.filters, -1, 1);
        const b = f32(c.seed, "b", c.filters, -1, 1);
        const dy = f32(c.seed, "dy", count, -1, 1);
        const buffers = {
          x: ctx.upload("x", x),
          w: ctx.upload("w", w),
          b: ctx.upload("b", b),
          z: ctx.storage("z", count),
          y: ctx.storage("y", count),
          dz: ctx.upload("dz", dy),
          dw: ctx.storage("dw", w.length),
          dx: ctx.storage("dx", x.length),
        };
        // The sequence [L, C] as the image [1, L, C], the kernel [K, C, F] as [1, K, C, F].
        const geometry = window2d([1, c.length, c.inChannels], [1, c.kernelSize], [1, c.stride], c.padding);
        const common = { geometry, filters: c.filters, rows: c.batch };
        const fwd = await prepareConv2dForward(ctx, {
          label: "property conv1d",
          ...common,
          activation: "linear",
          ...buffers,
        });
        const dX = await prepareConv2dBackward(ctx, {
          label: "property dX",
          ...common,
          pass: "input",
          ...buffers,
          out: buffers.dx,
        });
        const dW = await prepareConv2dBackward(ctx, {
          label: "property dW",
          ...common,
          pass: "filter",
          ...buffers,
          out: buffers.dw,
        });
        ctx.submit("property conv1d", (pass) => {
          fwd.encode(pass);
          dX.encode(pass);
          dW.encode(pass);
        });
        const [z, dw, dx] = await readbackF32(
          ctx,
          [buffers.z, buffers.dw, buffers.dx].map((buffer, i) => ({
            buffer,
            byteLength: [count, w.length, x.length][i] * 4,
          })),
        );
        for (const op of [fwd, dX, dW]) op.release();
        for (const buffer of Object.values(buffers)) ctx.pool.release(buffer);
        // Higham's recursive-sum bound on each sum: z over K·C products and the bias, dW over the
        // batch·outLength positions, dX over at most K·F products.
        const ref = conv1dForward(x, w, b, c);
        const abs = conv1dForward(x.map(Math.abs), w.map(Math.abs), b.map(Math.abs), c);
        const label = JSON.stringify(c);
        expectClose(z, ref.z, {
          atol: abs.z.map((v) => gamma(c.kernelSize * c.inChannels + 1) * v + 1e-30),
          rtol: 0,
        }, {
          label: `${label} z`,
        });
        const g = conv1dBackward({ x, w, z: ref.z, dy }, c);
        const ga = conv1dBackward(
          { x: x.map(Math.abs), w: w.map(Math.abs), z: ref.z, dy: dy.map(Math.abs) },
          c,
        );
        expectClose(dw, g.dw, { atol: ga.dw.map((v) => gamma(c.batch * outLength) * v + 1e-30), rtol: 0 }, {
          label: `${label} dW`,
        });
        expectClose(dx, g.dx, {
          atol: ga.dx.map((v) => gamma(c.kernelSize * c.filters) * v + 1e-30),
          rtol: 0,
        }, {
          label: `${label} dX`,
        });
      }),
      RUNS,
    );
  });
});
