/**
 * global_avgpool_forward / global_avgpool_backward (1-D [N, L, C] and 2-D [N, H, W, C] alike) and
 * l2_gradient_backward plus the L2 penalty through reduce_forward, against their float64 twins.
 *
 * Tolerances: pooling forward, a P-term recursive f32 sum then f32(1/P) and the product:
 * gamma_{P-1}·Σ|x|/P + 2u|y|; backward 2u relative (f32(1/P) and the product); the L2 gradient
 * 2u·|2·l2·w| + u·|result| (f32(2·l2), the product, the sum); the penalty is reduce_forward's
 * bound (kernel_tolerances.ts reduceBound, "sumsq" with the scale's rounding).
 */
import { afterAll, expect, it } from "vitest";
import { prepareGlobalAvgPool } from "../../src/kernels/global_pool.ts";
import { prepareL2Gradient, prepareL2Penalty, preparePenalties } from "../../src/kernels/regularization.ts";
import { globalAvgPoolBackward, globalAvgPoolForward } from "../../src/reference/global_pool.ts";
import { l2Gradient, l2Penalty, regularizedLoss } from "../../src/reference/regularization.ts";
import {
  describeKernel,
  describeKernels,
  randomF32,
  releaseTestContext,
  runOps,
  testContext,
} from "../helpers/gpu.ts";
import { reduceBound } from "../helpers/kernel_tolerances.ts";
import { expectClose, F32_U as u, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/global_pool.test.ts");
  await releaseTestContext();
});

const POOL_CASES: [string, number, number, number][] = [
  // name, batch, positions (L or H·W), channels
  ["1×1 image, one channel", 1, 1, 1],
  ["1-D [3, 13, 7]", 3, 13, 7],
  ["2-D [2, 5×5, 127]", 2, 25, 127],
  ["1-D [257, 20, 3]", 257, 20, 3],
  ["2-D [64, 7×7, 65] (64·65 outputs, not a multiple of 64)", 64, 49, 65],
  ["large 2-D [64, 28×28, 32]", 64, 784, 32],
];

describeKernels(["global_avgpool_forward", "global_avgpool_backward"], "1-D and 2-D", () => {
  for (const [name, batch, positions, channels] of POOL_CASES) {
    it(name, async () => {
      const ctx = await testContext();
      const x = randomF32(`gap x ${name}`, batch * positions * channels, { scale: 3 });
      const dy = randomF32(`gap dy ${name}`, batch * channels);
      const [xb, yb, dyb, dxb] = [
        ctx.upload("x", x),
        ctx.storage("y", batch * channels),
        ctx.upload("dy", dy),
        ctx.storage("dx", x.length),
      ];
      const shape = { batch, positions, channels };
      const fwd = await prepareGlobalAvgPool(ctx, {
        label: "gap",
        input: xb,
        output: yb,
        ...shape,
        pass: "forward",
      });
      const bwd = await prepareGlobalAvgPool(ctx, {
        label: "gap'",
        input: dyb,
        output: dxb,
        ...shape,
        pass: "backward",
      });
      const [y, dx] = await runOps(ctx, [fwd, bwd], [yb, dxb], {
        byteLengths: [batch * channels * 4, x.length * 4],
      });
      const ref = globalAvgPoolForward(x, batch, positions, channels);
      const absMean = globalAvgPoolForward(x.map(Math.abs), batch, positions, channels);
      expectClose(y, ref, {
        atol: absMean.map((s, i) => gamma(Math.max(positions - 1, 0)) * s + 2 * u * Math.abs(ref[i]) + 1e-30),
        rtol: 0,
      }, { label: `${name} y`, family: "global avgpool" });
      expectClose(dx, globalAvgPoolBackward(dy, batch, positions, channels), { atol: 1e-30, rtol: 2 * u }, {
        label: `${name} dx`,
        family: "global avgpool",
      });
      fwd.release();
      bwd.release();
      for (const b of [xb, yb, dyb, dxb]) ctx.pool.release(b);
    });
  }
});

describeKernel("l2_gradient_backward", () => {
  for (const [count, l2] of [[1, 0.01], [127, 1e-4], [1000, 0.5], [70_001, 0.001]] as const) {
    it(`${count} weights, l2 ${l2}: g += 2·l2·w in place; the penalty l2·Σw² through reduce_forward`, async () => {
      const ctx = await testContext();
      const w = randomF32(`l2 w ${count}`, count, { scale: 2 });
      const g = randomF32(`l2 g ${count}`, count);
      const [wb, gb, record] = [ctx.upload("w", w), ctx.upload("g", g), ctx.storage("record", 8)];
      const grad = await prepareL2Gradient(ctx, { label: "l2'", w: wb, g: gb, count, l2 });
      const penalty = await prepareL2Penalty(ctx, {
        label: "l2",
        w: wb,
        count,
        l2,
        output: record,
        outOffset: 1,
      });
      const [gpu, pair] = await runOps(ctx, [penalty, grad], [gb, record], { byteLengths: [count * 4, 16] });
      const ref = l2Gradient(g, w, l2);
      expectClose(gpu, ref, {
        atol: ref.map((v, i) => 2 * u * Math.abs(2 * l2 * w[i]) + u * Math.abs(v) + 1e-30),
        rtol: 0,
      }, { label: `l2 gradient ${count}`, family: "l2" });
      const exact = l2Penalty(w, l2);
      // reduce_forward's sumsq bound on Σw², scaled by l2, plus f32(l2)'s rounding (u relative).
      const tol = l2 * reduceBound("sumsq", w, exact / l2) + u * exact;
      const value = pair[2];
      expect(new Uint32Array(pair.buffer)[3], "no non-finite weight").toBe(0);
      expectClose([value], [exact], { atol: tol, rtol: 0 }, { label: `l2 penalty ${count}`, family: "l2" });
      grad.release();
      penalty.release();
      for (const b of [wb, gb, record]) ctx.pool.release(b);
    });
  }
});

describeKernel("loss_penalty_forward", () => {
  for (const counts of [[1], [127, 1000], [5, 70_001, 3]]) {
    it(`the loss plus the penalties of ${counts.length} kernel(s) (${counts.join(", ")} weights), Keras's reported loss`, async () => {
      const ctx = await testContext();
      const kernels = counts.map((n, i) => ({
        w: randomF32(`pen w ${n} ${i}`, n),
        l2: [0.01, 1e-4, 0.3][i],
      }));
      const buffers = kernels.map((k) => ctx.upload("w", k.w));
      const record = ctx.upload("record", new Uint32Array(8));
      const loss = 0.6931471824645996; // an f32 value, as the loss reduction would have written it
      ctx.device.queue.writeBuffer(record, 8, Float32Array.of(loss));
      const op = await preparePenalties(ctx, {
        label: "penalties",
        kernels: kernels.map((k, i) => ({ w: buffers[i], count: k.w.length, l2: k.l2 })),
        loss: record,
        lossOffset: 1,
      });
      const [pairs] = await runOps(ctx, [op], [record], { byteLengths: [32] });
      const exact = regularizedLoss(loss, kernels);
      // Each penalty within reduce_forward's sumsq bound (times l2, plus f32(l2)'s u), then
      // kernels.length correctly rounded additions to the total.
      const tol = kernels.reduce((s, k) =>
        s + k.l2 * reduceBound("sumsq", k.w, l2Penalty(k.w, 1)) + u * l2Penalty(k.w, k.l2), 0) +
        gamma(kernels.length) * exact;
      expect(new Uint32Array(pairs.buffer)[3]).toBe(0);
      expectClose([pairs[2]], [exact], { atol: tol, rtol: 0 }, { label: "loss + penalties", family: "l2" });
      // The pairs around the target are untouched.
      expect([pairs[0], pairs[4]]).toEqual([0, 0]);
      op.release();
      for (const b of [...buffers, record]) {
        ctx.pool.release(b);
      }
    });
  }

  it("a non-finite weight makes the loss NaN and is counted", async () => {
    const ctx = await testContext();
    const w = Float32Array.of(1, NaN, 2);
    const [wb, record] = [ctx.upload("w", w), ctx.upload("record", new Uint32Array(2))];
    const op = await preparePenalties(ctx, {
      label: "nan",
      kernels: [{ w: wb, count: 3, l2: 0.1 }],
      loss: record,
      lossOffset: 0,
    });
    const [pair] = await runOps(ctx, [op], [record], { byteLengths: [8] });
    expect(Number.isNaN(pair[0])).toBe(true);
    expect(new Uint32Array(pair.buffer)[1]).toBe(1);
    op.release();
    for (const b of [wb, record]) ctx.pool.release(b);
  });
});
