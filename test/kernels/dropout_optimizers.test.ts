/** dropout_forward/backward (bit-identical masks) and sgd/adam/rmsprop updates against their twins. */
import { afterAll, expect, it } from "vitest";
import { prepareDropout } from "../../src/kernels/dropout.ts";
import { prepareAdam, prepareRmsprop, prepareSgd } from "../../src/kernels/optimizers.ts";
import { dropoutApply, dropoutMask } from "../../src/reference/dropout.ts";
import { adamStep, rmspropStep, sgdStep } from "../../src/reference/optimizers.ts";
import { describeKernel, randomF32, releaseTestContext, runOps, testContext } from "../helpers/gpu.ts";
import { expectClose, F32_U, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/dropout_optimizers.test.ts");
  await releaseTestContext();
});

describeKernel("dropout_forward", () => dropoutCases("forward"));
describeKernel("dropout_backward", () => dropoutCases("backward"));

function dropoutCases(pass: "forward" | "backward") {
  for (
    const [count, rate] of [[1, 0.5], [127, 0.1], [1000, 0.5], [257, 0.9], [4_200_000, 0.3], [
      97,
      0,
    ]] as const
  ) {
    it(`${count} elements, rate ${rate}: the mask matches the twin bit for bit`, async () => {
      const ctx = await testContext();
      const x = randomF32(`drop ${count}`, count, { scale: 3 });
      const key = { rate, seed: 7, step: 12, layer: 2 };
      const [xb, yb] = [ctx.upload("x", x), ctx.storage("y", count)];
      const op = await prepareDropout(ctx, { label: "drop", input: xb, output: yb, count, ...key, pass });
      const [gpu] = await runOps(ctx, [op], [yb], { byteLengths: [count * 4] });
      const mask = dropoutMask(count, key);
      for (let i = 0; i < count; i++) {
        if ((gpu[i] !== 0) !== (mask[i] === 1 && x[i] !== 0)) {
          expect.fail(`mask differs at ${i}: gpu ${gpu[i]}, twin keep ${mask[i]}`);
        }
      }
      // f32(1/(1-rate)) and the product round once each: 2u relative.
      expectClose(gpu, dropoutApply(x, key), { atol: 0, rtol: 2 * F32_U }, {
        label: `dropout ${count}`,
        family: "dropout",
      });
      if (count >= 1000) {
        // The keep fraction is Binomial(count, 1 - rate): within 5 standard deviations.
        const kept = mask.reduce((s, v) => s + v, 0);
        const sd = Math.sqrt(count * rate * (1 - rate));
        expect(Math.abs(kept - count * (1 - rate))).toBeLessThan(5 * sd + 1);
      }
      ctx.pool.release(xb);
      ctx.pool.release(yb);
      op.release();
    });
  }

  it("a new step or layer draws a new mask; NaN under a dropped unit stays NaN", async () => {
    const ctx = await testContext();
    const count = 64;
    const x = new Float32Array(count).fill(1);
    x[0] = NaN;
    const [xb, yb] = [ctx.upload("x", x), ctx.storage("y", count)];
    const op = await prepareDropout(ctx, {
      label: "drop",
      input: xb,
      output: yb,
      count,
      rate: 0.5,
      seed: 1,
      step: 0,
      layer: 0,
      pass,
    });
    const [a] = await runOps(ctx, [op], [yb], { byteLengths: [count * 4] });
    op.set({ step: 1 });
    const [b] = await runOps(ctx, [op], [yb], { byteLengths: [count * 4] });
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Number.isNaN(a[0]) && Number.isNaN(b[0])).toBe(true);
    expect(Array.from(b.subarray(1))).toEqual(
      Array.from(dropoutApply(x, { rate: 0.5, seed: 1, step: 1, layer: 0 }).subarray(1)),
    );
  });
}

const COUNTS = [1, 127, 1000, 70_001];

describeKernel("sgd_update", () => {
  for (const momentum of [0, 0.9]) {
    for (const count of COUNTS) {
      it(`${count} parameters, momentum ${momentum}, three steps`, async () => {
        const ctx = await testContext();
        const w0 = randomF32(`sgd w ${count}`, count);
        const [w, g, v] = [
          ctx.upload("w", w0),
          ctx.storage("g", count),
          ctx.upload("v", new Float32Array(count)),
        ];
        const op = await prepareSgd(ctx, {
          label: "sgd",
          w,
          g,
          velocity: v,
          count,
          learningRate: 0.05,
          momentum,
        });
        let ref: { w: Float64Array; velocity: Float64Array } = {
          w: Float64Array.from(w0),
          velocity: new Float64Array(count),
        };
        for (let step = 0; step < 3; step++) {
          const grad = randomF32(`sgd g ${count} ${step}`, count);
          ctx.device.queue.writeBuffer(g, 0, grad);
          const [gw] = await runOps(ctx, [op], [w], { byteLengths: [count * 4] });
          const prev = ref;
          ref = sgdStep(prev, grad, { learningRate: 0.05, momentum });
          // Per step <= 3 roundings on lr·g and v plus one on w; the GPU state carries its own
          // rounding forward, so allow the sum over steps: (step+1)·(2u(|lr·g| + |v|) + u|w|) with
          // lr and momentum rounded to f32 (u each).
          const tol = ref.w.map((wv, i) =>
            (step + 1) *
            (4 * F32_U * (0.05 * Math.abs(grad[i]) + Math.abs(ref.velocity[i])) + 2 * F32_U * Math.abs(wv))
          );
          expectClose(gw, ref.w, { atol: tol, rtol: 0 }, {
            label: `sgd step ${step}`,
            family: "optimizer sgd",
          });
          ref = { w: Float64Array.from(gw), velocity: ref.velocity }; // continue from the GPU's weights
          if (momentum !== 0) {
            ref.velocity = Float64Array.from((await runOps(ctx, [], [v], { byteLengths: [count * 4] }))[0]);
          }
        }
        op.release();
      });
    }
  }
});

describeKernel("adam_update", () => {
  for (const count of COUNTS) {
    it(`${count} parameters, steps 1..3 (bias correction from the step uniform)`, async () => {
      const ctx = await testContext();
      const w0 = randomF32(`adam w ${count}`, count);
      const zeros = new Float32Array(count);
      const [w, g, m, v] = [
        ctx.upload("w", w0),
        ctx.storage("g", count),
        ctx.upload("m", zeros),
        ctx.upload("v", zeros),
      ];
      const op = await prepareAdam(ctx, { label: "adam", w, g, m, v, count, learningRate: 0.01 });
      let state: { w: Float64Array; m: Float64Array; v: Float64Array } = {
        w: Float64Array.from(w0),
        m: new Float64Array(count),
        v: new Float64Array(count),
      };
      for (let step = 1; step <= 3; step++) {
        // Gradients spanning 1e-4..1: small ones make sqrt(v) comparable to epsilon.
        const grad = randomF32(`adam g ${count} ${step}`, count).map((x, i) => x * 10 ** -(i % 5));
        ctx.device.queue.writeBuffer(g, 0, grad);
        op.setStep(step);
        const [gw, gm, gv] = await runOps(ctx, [op], [w, m, v], {
          byteLengths: [count * 4, count * 4, count * 4],
        });
        const ref = adamStep(state, grad, { learningRate: 0.01, step });
        // Header of adam_update.wgsl: e_m = 3u(|m_old| + |g|), e_v = 3u(v_old + g²); the update
        // U = α·m/(√v + ε) carries e_m/|m| + e_v/(2v) + 6u relative, and w rounds once more.
        const em = ref.m.map((_, i) => 3 * F32_U * (Math.abs(state.m[i]) + Math.abs(grad[i])));
        const ev = ref.v.map((_, i) => 3 * F32_U * (state.v[i] + grad[i] * grad[i]));
        const tolW = ref.w.map((wv, i) => {
          const update = Math.abs(state.w[i] - wv);
          const rel = (em[i] / Math.max(Math.abs(ref.m[i]), 1e-30)) + ev[i] / Math.max(2 * ref.v[i], 1e-30) +
            6 * F32_U;
          return update * rel + F32_U * Math.abs(wv);
        });
        expectClose(gm, ref.m, { atol: em, rtol: 0 }, {
          label: `adam m step ${step}`,
          family: "optimizer adam",
        });
        expectClose(gv, ref.v, { atol: ev, rtol: 0 }, {
          label: `adam v step ${step}`,
          family: "optimizer adam",
        });
        expectClose(gw, ref.w, { atol: tolW, rtol: 0 }, {
          label: `adam w step ${step}`,
          family: "optimizer adam",
        });
        state = { w: Float64Array.from(gw), m: Float64Array.from(gm), v: Float64Array.from(gv) };
      }
      op.release();
    });
  }
});

describeKernel("rmsprop_update", () => {
  for (const epsilonInsideSqrt of [true, false]) {
    for (const count of COUNTS) {
      it(`${count} parameters, epsilon ${epsilonInsideSqrt ? "inside the sqrt (Keras 3)" : "outside (tf.keras 2)"}`, async () => {
        const ctx = await testContext();
        const w0 = randomF32(`rms w ${count}`, count);
        const [w, g, ms] = [
          ctx.upload("w", w0),
          ctx.storage("g", count),
          ctx.upload("ms", new Float32Array(count)),
        ];
        const op = await prepareRmsprop(ctx, {
          label: "rmsprop",
          w,
          g,
          ms,
          count,
          learningRate: 0.01,
          epsilonInsideSqrt,
        });
        let state: { w: Float64Array; ms: Float64Array } = {
          w: Float64Array.from(w0),
          ms: new Float64Array(count),
        };
        for (let step = 0; step < 3; step++) {
          const grad = randomF32(`rms g ${count} ${step}`, count).map((x, i) => x * 10 ** -(i % 5));
          ctx.device.queue.writeBuffer(g, 0, grad);
          const [gw, gms] = await runOps(ctx, [op], [w, ms], { byteLengths: [count * 4, count * 4] });
          const ref = rmspropStep(state, grad, { learningRate: 0.01, epsilonInsideSqrt });
          // Header of rmsprop_update.wgsl: e_ms = 3u(ms_old + g²); the update carries
          // e_ms/(2 ms) + 6u relative; w rounds once more.
          const ems = ref.ms.map((_, i) => 3 * F32_U * (state.ms[i] + grad[i] * grad[i]));
          const tolW = ref.w.map((wv, i) =>
            Math.abs(state.w[i] - wv) * (ems[i] / Math.max(2 * ref.ms[i], 1e-30) + 6 * F32_U) +
            F32_U * Math.abs(wv)
          );
          expectClose(gms, ref.ms, { atol: ems, rtol: 0 }, {
            label: `rmsprop ms step ${step}`,
            family: "optimizer rmsprop",
          });
          expectClose(gw, ref.w, { atol: tolW, rtol: 0 }, {
            label: `rmsprop w step ${step}`,
            family: "optimizer rmsprop",
          });
          state = { w: Float64Array.from(gw), ms: Float64Array.from(gms) };
        }
        op.release();
      });
    }
  }
});
