/** softmax_forward, log_softmax_forward and softmax_backward against reference/softmax.ts. */
import { afterAll, expect, it } from "vitest";
import type { GpuContext } from "../../src/gpu/mod.ts";
import { prepareSoftmax, prepareSoftmaxBackward } from "../../src/kernels/softmax.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { logSoftmax, softmax, softmaxBackward } from "../../src/reference/softmax.ts";
import { describeKernel, randomF32, releaseTestContext, runOps, testContext } from "../helpers/gpu.ts";
import { softmaxTolerances } from "../helpers/kernel_tolerances.ts";
import { expectClose, F32_U, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/softmax.test.ts");
  await releaseTestContext();
});

const SHAPES: [number, number][] = [[1, 1], [1, 2], [7, 3], [127, 10], [257, 13], [1000, 7], [3, 257], [
  2,
  1000,
], [
  4096,
  100,
]];
async function checkForward(ctx: GpuContext, x: Float32Array, rows: number, cols: number, tag: string) {
  const xb = ctx.upload("x", x);
  const yb = ctx.storage("y", rows * cols);
  const lb = ctx.storage("log y", rows * cols);
  const soft = await prepareSoftmax(ctx, { label: tag, x: xb, y: yb, rows, cols });
  const log = await prepareSoftmax(ctx, { label: tag, x: xb, y: lb, rows, cols, log: true });
  const [gy, gl] = await runOps(ctx, [soft, log], [yb, lb], { byteLengths: [x.length * 4, x.length * 4] });
  const refY = softmax(matrix(rows, cols, x)).data;
  const refL = logSoftmax(matrix(rows, cols, x)).data;
  // softmax: relative (4 + 3|d|)·2^-23 + rho + u (+ 2^-126 for flushed subnormals); log-softmax:
  // |d|·u + rho + 2^-21 (log near 1) + 3 ulp(log s) + u|y|; derived in test/helpers/kernel_tolerances.ts.
  const tol = softmaxTolerances(x, refY, refL, rows, cols);
  expectClose(gy, refY, { atol: tol.y, rtol: 0 }, { label: `${tag} softmax`, family: "softmax" });
  expectClose(gl, refL, { atol: tol.logY, rtol: 0 }, { label: `${tag} log-softmax`, family: "log-softmax" });
  for (const b of [xb, yb, lb]) ctx.pool.release(b);
  soft.release();
  log.release();
  return { gy, gl };
}

describeKernel("softmax_forward", () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}×${cols}, logits in [-8, 8)`, async () => {
      await checkForward(
        await testContext(),
        randomF32(`logits ${rows} ${cols}`, rows * cols, { scale: 8 }),
        rows,
        cols,
        `${rows}×${cols}`,
      );
    });
  }

  it("logits of ±100 and ±1e4 (max shift: no overflow, no NaN)", async () => {
    const ctx = await testContext();
    const x = new Float32Array([100, -100, 0, 1e4, -1e4, 0, -1e4, -1e4 + 1, -1e4 + 2, 1e4, 1e4, -1e4]);
    const { gy } = await checkForward(ctx, x, 4, 3, "extreme");
    expect(gy.every(Number.isFinite)).toBe(true);
    expect(gy[3]).toBe(1);
  });

  it("all-equal rows give exactly uniform probabilities", async () => {
    const ctx = await testContext();
    const x = new Float32Array(5 * 4).fill(3.25);
    const { gy, gl } = await checkForward(ctx, x, 5, 4, "equal");
    expect(Array.from(gy)).toEqual(new Array(20).fill(0.25));
    expect(gl.every((v) => Math.abs(v - Math.log(0.25)) < 2 ** -21)).toBe(true);
  });

  it("a NaN or +Inf logit makes its row NaN, other rows are untouched; -Inf gives probability 0", async () => {
    const ctx = await testContext();
    const x = new Float32Array([1, NaN, 2, 1, Infinity, 2, 1, -Infinity, 2, 0.5, 0.25, 0]);
    const { gy } = await checkForward(ctx, x, 4, 3, "non-finite");
    expect(gy.slice(0, 6).every(Number.isNaN)).toBe(true);
    expect(gy[7]).toBe(0);
    expect(gy.slice(9).every(Number.isFinite)).toBe(true);
  });
});

describeKernel("log_softmax_forward", () => {
  it("is covered with softmax_forward (every case above checks both) and a batch of one", async () => {
    const ctx = await testContext();
    await checkForward(ctx, new Float32Array([2, -1, 0.5, 7]), 1, 4, "batch of one");
  });
});

describeKernel("softmax_backward", () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}×${cols}`, async () => {
      const ctx = await testContext();
      const x = randomF32(`sb x ${rows} ${cols}`, rows * cols, { scale: 4 });
      // y is a float32 softmax output, as the forward kernel produces.
      const y = Float32Array.from(softmax(matrix(rows, cols, x)).data);
      const dy = randomF32(`sb dy ${rows} ${cols}`, rows * cols);
      const yb = ctx.upload("y", y);
      const dyb = ctx.upload("dy", dy);
      const dxb = ctx.storage("dx", rows * cols);
      const op = await prepareSoftmaxBackward(ctx, {
        label: "softmax'",
        y: yb,
        dy: dyb,
        dx: dxb,
        rows,
        cols,
      });
      const [gpu] = await runOps(ctx, [op], [dxb], { byteLengths: [rows * cols * 4] });
      const ref = softmaxBackward(matrix(rows, cols, y), matrix(rows, cols, dy)).data;
      // |y_i|·gamma_{cols+1}·(Σ_k |dY_k y_k| + |dY_i|) + 2u|dX_i| (header of softmax_backward.wgsl).
      const tol = ref.map((v, i) => {
        const r = Math.floor(i / cols);
        let s = 0;
        for (let c = 0; c < cols; c++) s += Math.abs(dy[r * cols + c] * y[r * cols + c]);
        return Math.abs(y[i]) * gamma(cols + 1) * (s + Math.abs(dy[i])) + 2 * F32_U * Math.abs(v);
      });
      expectClose(gpu, ref, { atol: tol, rtol: 0 }, {
        label: `softmax' ${rows}×${cols}`,
        family: "softmax backward",
      });
      for (const b of [yb, dyb, dxb]) ctx.pool.release(b);
      op.release();
    });
  }
});
