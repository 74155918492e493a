/**
 * activation_backward and dense_bias_backward against their twins, and the composite dense
 * forward/backward ops (the API training uses) against reference/dense.ts.
 */
import { afterAll, expect, it } from "vitest";
import {
  activationBackwardKernel,
  prepareDenseBackward,
  prepareDenseForward,
} from "../../src/kernels/dense.ts";
import { ACTIVATION_CODES, type MatmulVariant } from "../../src/kernels/matmul.ts";
import { prepareKernel } from "../../src/kernels/kernel.ts";
import {
  activationBackward,
  activationDerivative,
  type ElementwiseActivation,
} from "../../src/reference/activations.ts";
import { columnSums, denseBackward, denseForward } from "../../src/reference/dense.ts";
import { absolute, matmul } from "../../src/reference/matmul.ts";
import { matrix } from "../../src/reference/matrix.ts";
import type { Activation } from "../../src/scenario/types.ts";
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
  await logErrorSummary("test/kernels/dense_backward.test.ts");
  await releaseTestContext();
});

const ELEMENTWISE: ElementwiseActivation[] = ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"];

describeKernel("activation_backward", () => {
  for (const activation of ELEMENTWISE) {
    for (const count of [1, 127, 1000, 70_001]) {
      it(`${activation}, ${count} elements, z in [-12, 12)`, async () => {
        const ctx = await testContext();
        const z = randomF32(`ab z ${activation} ${count}`, count, { scale: 12 });
        if (count > 2) z[1] = 0; // the kink: TF's convention relu'(0) = 0, leaky'(0) = slope
        const dy = randomF32(`ab dy ${activation} ${count}`, count);
        const [zb, dyb, dzb] = [ctx.upload("z", z), ctx.upload("dy", dy), ctx.storage("dz", count)];
        const alpha = activation === "elu" ? 1 : 0.2;
        const op = await prepareKernel(ctx, activationBackwardKernel, {
          label: `${activation}'`,
          buffers: { dy: dyb, z: zb, dz: dzb },
          uniforms: { count },
          overrides: { ACTIVATION: ACTIVATION_CODES[activation], ALPHA: alpha },
        });
        const [gpu] = await runOps(ctx, [op], [dzb], { byteLengths: [count * 4] });
        const ref = activationBackward(dy, z, activation, alpha);
        // Header of activation_backward.wgsl: one rounding for the piecewise-linear ones (leaky-relu
        // also carries ALPHA's rounding to f32, <= u), (8 + 4|z|)·2^-23 relative for those through exp.
        const smooth = activation === "elu" || activation === "sigmoid" || activation === "tanh";
        const tol = ref.map((v, i) =>
          (smooth ? (8 + 4 * Math.abs(z[i])) * 2 ** -23 : 2 * F32_U) * Math.abs(v)
        );
        expectClose(gpu, ref, { atol: tol, rtol: 0 }, {
          label: `${activation}' ${count}`,
          family: "activation backward",
        });
        for (const b of [zb, dyb, dzb]) ctx.pool.release(b);
        op.release();
      });
    }
  }

  it("NaN in z or dY propagates; Inf in z gives the limit derivative", async () => {
    const ctx = await testContext();
    const z = new Float32Array([NaN, 1, Infinity, -Infinity]);
    const dy = new Float32Array([1, NaN, 2, 2]);
    for (const activation of ["relu", "sigmoid", "tanh"] as const) {
      const [zb, dyb, dzb] = [ctx.upload("z", z), ctx.upload("dy", dy), ctx.storage("dz", 4)];
      const op = await prepareKernel(ctx, activationBackwardKernel, {
        label: "nan",
        buffers: { dy: dyb, z: zb, dz: dzb },
        uniforms: { count: 4 },
        overrides: { ACTIVATION: ACTIVATION_CODES[activation] },
      });
      const [gpu] = await runOps(ctx, [op], [dzb], { byteLengths: [16] });
      expect(Number.isNaN(gpu[0]) && Number.isNaN(gpu[1])).toBe(true);
      expect([gpu[2], gpu[3]]).toEqual([
        2 * activationDerivative(Infinity, activation),
        2 * activationDerivative(-Infinity, activation),
      ]);
    }
  });
});

describeKernel("dense_bias_backward", () => {
  for (const [rows, units] of [[1, 1], [7, 3], [127, 65], [1000, 10], [257, 1], [4099, 130]] as const) {
    it(`${rows}×${units} column sums`, async () => {
      const ctx = await testContext();
      const dz = randomF32(`db ${rows} ${units}`, rows * units);
      const dzb = ctx.upload("dz", dz);
      const dbb = ctx.storage("db", units);
      const { denseBiasBackward } = await import("../../src/kernels/dense.ts");
      const op = await prepareKernel(ctx, denseBiasBackward, {
        label: "db",
        buffers: { dz: dzb, db: dbb },
        uniforms: { rows, cols: units },
      });
      const [gpu] = await runOps(ctx, [op], [dbb], { byteLengths: [units * 4] });
      const ref = columnSums(matrix(rows, units, dz));
      // Recursive sum of `rows` terms: gamma_{rows-1}·Σ|dZ_ij|.
      const tol = columnSums(absolute(matrix(rows, units, dz))).map((s) => gamma(Math.max(rows - 1, 0)) * s);
      expectClose(gpu, ref, { atol: tol, rtol: 0 }, {
        label: `db ${rows}×${units}`,
        family: "bias backward",
      });
      ctx.pool.release(dzb);
      ctx.pool.release(dbb);
      op.release();
    });
  }
});

/** The composite ops training uses, checked end to end against the dense twin. */
for (
  const [activation, variant] of [
    ["relu", "vec4"],
    ["tanh", "vec4"],
    ["softmax", "vec4"],
    ["sigmoid", "vec4"],
    ["relu", "blocked"],
    ["softmax", "blocked"],
  ] as [Activation, MatmulVariant][]
) {
  it(`dense layer forward + backward (${activation}, ${variant}), full batch then a partial batch`, async () => {
    const ctx = await testContext();
    const [cap, inputs, units] = [37, 13, activation === "softmax" ? 5 : 11];
    const xd = randomF32(`dl x ${activation}`, cap * inputs);
    const wd = randomF32(`dl w ${activation}`, inputs * units, { scale: 0.5 });
    const bd = randomF32(`dl b ${activation}`, units, { scale: 0.1 });
    const dyd = randomF32(`dl dy ${activation}`, cap * units);
    const [x, w, b, dy] = [
      ctx.upload("x", xd),
      ctx.upload("w", wd),
      ctx.upload("b", bd),
      ctx.upload("dy", dyd),
    ];
    const [z, y, dz, dw, db, dx] = [
      ctx.storage("z", cap * units),
      ctx.storage("y", cap * units),
      ctx.storage("dz", cap * units),
      ctx.storage("dw", inputs * units),
      ctx.storage("db", units),
      ctx.storage("dx", cap * inputs),
    ];
    const shape = { label: `dense ${activation}`, rows: cap, inputs, units, activation, variant };
    const fwd = await prepareDenseForward(ctx, { ...shape, x, w, b, z, y });
    const bwd = await prepareDenseBackward(ctx, { ...shape, x, w, z, y, dy, dz, dw, db, dx });
    for (const rows of [cap, 6]) {
      fwd.setRows(rows);
      bwd.setRows(rows);
      const [gy, gdw, gdb, gdx] = await runOps(ctx, [fwd, bwd], [y, dw, db, dx], {
        byteLengths: [rows * units * 4, inputs * units * 4, units * 4, rows * inputs * 4],
      });
      const X = matrix(rows, inputs, xd.subarray(0, rows * inputs));
      const W = matrix(inputs, units, wd);
      const ref = denseForward(X, W, bd, { activation });
      const grads = denseBackward({
        x: X,
        w: W,
        z: ref.z,
        y: ref.y,
        dy: matrix(rows, units, dyd.subarray(0, rows * units)),
      }, {
        activation,
      });
      // Composite of the per-kernel bounds; the inputs are O(1) and K <= 37, so a bound of
      // gamma_{2K}·(Σ|x||w| + |b|)·(|dY| scale) is generous but still ~1e-5: a wrong index fails it.
      const scaleF = matmul(X, W).data.length ? gamma(2 * (inputs + rows + units)) * 8 : 0;
      expectClose(gy, ref.y.data, { atol: scaleF, rtol: 16 * F32_U }, {
        label: `${activation} y ${rows}`,
        family: "dense layer",
      });
      expectClose(gdw, grads.dw.data, { atol: scaleF * rows, rtol: 16 * F32_U }, {
        label: `${activation} dW ${rows}`,
        family: "dense layer",
      });
      expectClose(gdb, grads.db, { atol: scaleF * rows, rtol: 16 * F32_U }, {
        label: `${activation} db ${rows}`,
        family: "dense layer",
      });
      expectClose(gdx, grads.dx.data, { atol: scaleF * units, rtol: 16 * F32_U }, {
        label: `${activation} dX ${rows}`,
        family: "dense layer",
      });
    }
    fwd.release();
    bwd.release();
  });
}

/**
 * The fused backward of matmul_vec4_forward (bias gradient as column sums of the dW product; the
 * layer below's act' in the dX product's epilogue) must reproduce the separate kernels bit for bit:
 * the same f32 operations in the same order. Two layers: "above" (units 11, relu) over "below"
 * (12 units, each elementwise activation), 37 rows, then a partial batch of 6.
 */
describeKernels(
  ["matmul_vec4_forward", "activation_backward", "dense_bias_backward", "matmul_blocked_forward"],
  "fused dense backward, bit-identical to the separate kernels",
  () => {
    for (const below of ELEMENTWISE) {
      it(`layer below ${below}`, async () => {
        const ctx = await testContext();
        const [cap, inputs, mid, units] = [37, 13, 12, 11];
        const up = (name: string, n: number, scale = 1) =>
          ctx.upload(name, randomF32(`fused ${below} ${name}`, n, { scale }));
        const [x0, zBelow, act, w, zAbove, yAbove, dy] = [
          up("x0", cap * inputs),
          up("z below", cap * mid, 3),
          up("act below", cap * mid),
          up("w above", mid * units, 0.5),
          up("z above", cap * units),
          up("y above", cap * units),
          up("dy", cap * units),
        ];
        const out = (name: string, n: number) => ctx.storage(name, n);
        const [dzAbove, dwAbove, dbAbove, dxU, dzBelowU, dzBelowF] = [
          out("dz above", cap * units),
          out("dw above", mid * units),
          out("db above", units),
          out("dx unfused", cap * mid),
          out("dz below unfused", cap * mid),
          out("dz below fused", cap * mid),
        ];
        const [dw0U, db0U, dw0F, db0F] = [
          out("dw below unfused", inputs * mid),
          out("db below unfused", mid),
          out("dw below fused", inputs * mid),
          out("db below fused", mid),
        ];
        const above = {
          rows: cap,
          inputs: mid,
          units,
          activation: "relu" as const,
          x: act,
          w,
          z: zAbove,
          y: yAbove,
        };
        const common = { ...above, dy, dz: dzAbove, dw: dwAbove, db: dbAbove };
        // Unfused: dX, then dY ⊙ act'(Z) and the bias sums as their own kernels (blocked matmul).
        const aboveU = await prepareDenseBackward(ctx, {
          ...common,
          label: "above unfused",
          variant: "blocked",
          dx: dxU,
        });
        const belowU = await prepareDenseBackward(ctx, {
          label: "below unfused",
          rows: cap,
          inputs,
          units: mid,
          activation: below,
          variant: "blocked",
          x: x0,
          w: out("w below", inputs * mid),
          z: zBelow,
          y: act,
          dy: dxU,
          dz: dzBelowU,
          dw: dw0U,
          db: db0U,
        });
        const aboveF = await prepareDenseBackward(ctx, {
          ...common,
          label: "above fused",
          variant: "vec4",
          dx: dzBelowF,
          inputGradient: { activation: below, z: zBelow },
        });
        const belowF = await prepareDenseBackward(ctx, {
          label: "below fused",
          rows: cap,
          inputs,
          units: mid,
          activation: below,
          variant: "vec4",
          x: x0,
          w: out("w below", inputs * mid),
          z: zBelow,
          y: act,
          dy: dxU,
          dz: dzBelowF,
          dw: dw0F,
          db: db0F,
          dzReady: true,
        });
        const ops = [aboveU, belowU, aboveF, belowF];
        for (const rows of [cap, 6]) {
          for (const op of ops) op.setRows(rows);
          const got = await runOps(ctx, ops, [dzBelowU, dzBelowF, dw0U, dw0F, db0U, db0F, dbAbove], {
            byteLengths: [
              rows * mid * 4,
              rows * mid * 4,
              inputs * mid * 4,
              inputs * mid * 4,
              mid * 4,
              mid * 4,
              units * 4,
            ],
          });
          const bits = got.map((f) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length)));
          expect(bits[1], `dZ below, ${rows} rows`).toEqual(bits[0]);
          expect(bits[3], `dW below, ${rows} rows`).toEqual(bits[2]);
          expect(bits[5], `db below, ${rows} rows`).toEqual(bits[4]);
          // And against the twin: db is the column sums of the dZ both paths produced.
          const dzRef = matrix(rows, mid, Float64Array.from(got[0]));
          const tol = columnSums(absolute(dzRef)).map((v) => gamma(rows) * v);
          expectClose(got[5], columnSums(dzRef), { atol: tol, rtol: 0 }, {
            label: `db below ${below} ${rows}`,
          });
          expect(bits[6].some((b) => b !== 0)).toBe(true);
        }
        for (const op of ops) op.release();
      });
    }
  },
);
