/**
 * batchnorm_stats_forward, batchnorm_forward, batchnorm_param_backward and batchnorm_input_backward
 * against the float64 twin (src/reference/batchnorm.ts): dense inputs ([N, C], rows = N) and
 * channels-last images ([N, H, W, C], rows = N·H·W) including 1×1 images and a batch of one row,
 * prime and workgroup-straddling row and channel counts, a large case, and edge values (a channel
 * with a large mean and a spread below ε, a constant channel).
 *
 * Tolerances are the bounds in the shaders' headers, evaluated per element: `|gpu - ref| <= atol`
 * with atol from the f32 summation bound gamma_L·Σ|terms| (L = ceil(R/64) + 6 roundings on the
 * longest path of the per-channel sums) and the few roundings of each formula.
 */
import { afterAll, expect, it } from "vitest";
import { prepareBatchNormBackward, prepareBatchNormForward } from "../../src/kernels/batchnorm.ts";
import {
  BATCHNORM_EPSILON,
  batchNormApply,
  batchNormBackward,
  batchNormMoments,
  batchNormMovingUpdate,
} from "../../src/reference/batchnorm.ts";
import type { GpuContext } from "../../src/gpu/mod.ts";
import {
  describeKernel,
  describeKernels,
  randomF32,
  releaseTestContext,
  runOps,
  testContext,
} from "../helpers/gpu.ts";
import { expectClose, F32_U as u, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/batchnorm.test.ts");
  await releaseTestContext();
});

interface Case {
  name: string;
  rows: number;
  channels: number;
  /** Per-channel offsets added to x (edge values: a large mean with a small spread). */
  shift?: (c: number) => number;
  spread?: (c: number) => number;
}

const CASES: Case[] = [
  { name: "dense [1, 1]: a batch of one row", rows: 1, channels: 1 },
  { name: "dense [1, 7]: one row, 7 channels", rows: 1, channels: 7 },
  { name: "1×1 images [5, 1, 1, 3]", rows: 5, channels: 3 },
  { name: "dense [127, 3]", rows: 127, channels: 3 },
  { name: "images [1, 17, 15, 13] (rows 255, 13 channels)", rows: 255, channels: 13 },
  { name: "dense [257, 65]", rows: 257, channels: 65 },
  {
    name: "edge: mean 1000 with spread 1e-2, a constant channel, mean -50 with spread 30",
    rows: 1000,
    channels: 3,
    shift: (c) => [1000, 7, -50][c],
    spread: (c) => [1e-2, 0, 30][c],
  },
  { name: "large: images [64, 28, 28, 16] (rows 50176)", rows: 64 * 28 * 28, channels: 16 },
];

function inputs(c: Case) {
  const raw = randomF32(`bn x ${c.name}`, c.rows * c.channels, { scale: 2 });
  const x = Float32Array.from(raw, (v, i) => {
    const ch = i % c.channels;
    return (c.shift?.(ch) ?? 0.5) + v * (c.spread?.(ch) ?? 1);
  });
  const gammaValues = Float32Array.from(randomF32(`bn g ${c.name}`, c.channels), (v) => 1 + v * 0.5);
  const beta = randomF32(`bn b ${c.name}`, c.channels);
  const dy = randomF32(`bn dy ${c.name}`, c.rows * c.channels);
  const movingMean = randomF32(`bn mm ${c.name}`, c.channels);
  const movingVariance = Float32Array.from(randomF32(`bn mv ${c.name}`, c.channels), (v) => 1 + v * 0.5);
  return { x, gamma: gammaValues, beta, dy, movingMean, movingVariance };
}

/** Per-channel Σ|x| and Σ|terms| helpers over a rows × channels matrix. */
function channelSums(values: (i: number) => number, rows: number, channels: number): Float64Array {
  const out = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) out[c] += values(r * channels + c);
  return out;
}

/** The bounds of batchnorm_stats_forward's header: δ on the mean, then on the variance. */
function statsBounds(
  x: Float32Array,
  rows: number,
  channels: number,
  ref: { mean: Float64Array; variance: Float64Array },
) {
  const L = Math.ceil(rows / 64) + 6;
  const sumAbs = channelSums((i) => Math.abs(x[i]), rows, channels);
  const mean = ref.mean.map((m, c) => {
    const sumErr = gamma(L) * sumAbs[c] / rows;
    return sumErr + 5 * u * (Math.abs(m) + sumErr);
  });
  const variance = ref.variance.map((v, c) => gamma(L + 8) * (v + mean[c] ** 2) + mean[c] ** 2);
  return { mean, variance };
}

function upload(ctx: GpuContext, c: Case) {
  const data = inputs(c);
  const per = c.channels;
  const buffers = {
    x: ctx.upload("x", data.x),
    y: ctx.storage("y", c.rows * per),
    gamma: ctx.upload("gamma", data.gamma),
    beta: ctx.upload("beta", data.beta),
    mean: ctx.storage("mean", per),
    variance: ctx.storage("variance", per),
    movingMean: ctx.upload("moving mean", data.movingMean),
    movingVariance: ctx.upload("moving variance", data.movingVariance),
  };
  return {
    data,
    buffers,
    release() {
      for (const b of Object.values(buffers)) ctx.pool.release(b);
    },
  };
}

describeKernels(
  ["batchnorm_stats_forward", "batchnorm_forward"],
  "training forward: batch statistics, moving update, normalisation",
  () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const ctx = await testContext();
        const { data, buffers, release } = upload(ctx, c);
        const op = await prepareBatchNormForward(ctx, {
          label: "bn",
          rows: c.rows,
          channels: c.channels,
          training: true,
          ...buffers,
        });
        const n = c.rows * c.channels * 4, k = c.channels * 4;
        const [y, mean, variance, mm, mv] = await runOps(
          ctx,
          [op],
          [buffers.y, buffers.mean, buffers.variance, buffers.movingMean, buffers.movingVariance],
          { byteLengths: [n, k, k, k, k] },
        );
        const ref = batchNormMoments(data.x, c.rows, c.channels);
        const bound = statsBounds(data.x, c.rows, c.channels, ref);
        expectClose(mean, ref.mean, { atol: bound.mean, rtol: 0 }, {
          label: `${c.name} mean`,
          family: "batchnorm stats",
        });
        expectClose(variance, ref.variance, { atol: bound.variance, rtol: 0 }, {
          label: `${c.name} variance`,
          family: "batchnorm stats",
        });
        // Moving update: f32(0.99) is within u of 0.99, so f32(1 - momentum) errs by up to u
        // absolute (100u relative to 0.01): |Δ| <= 4u(|moving| + |batch|) + 0.01·δ_batch.
        const moving = batchNormMovingUpdate(
          { mean: Float64Array.from(data.movingMean), variance: Float64Array.from(data.movingVariance) },
          ref,
        );
        const movingTol = (old: Float32Array, batch: Float64Array, delta: Float64Array) =>
          batch.map((b, i) => 4 * u * (Math.abs(old[i]) + Math.abs(b)) + 0.01 * delta[i]);
        expectClose(mm, moving.mean, { atol: movingTol(data.movingMean, ref.mean, bound.mean), rtol: 0 }, {
          label: `${c.name} moving mean`,
          family: "batchnorm stats",
        });
        expectClose(mv, moving.variance, {
          atol: movingTol(data.movingVariance, ref.variance, bound.variance),
          rtol: 0,
        }, { label: `${c.name} moving variance`, family: "batchnorm stats" });
        // y against the twin given the GPU's own (f32) statistics, within the header's
        // 10u·|γ(x - mean)/√(var + ε)| + u|y|; the statistics' own error is checked above.
        const stats = { mean: Float64Array.from(mean), variance: Float64Array.from(variance) };
        const yRef = batchNormApply(data.x, c.rows, c.channels, stats, data.gamma, data.beta);
        const yTol = yRef.map((v, i) => {
          const ch = i % c.channels;
          const scaled = data.gamma[ch] * (data.x[i] - stats.mean[ch]) /
            Math.sqrt(stats.variance[ch] + BATCHNORM_EPSILON);
          return 10 * u * Math.abs(scaled) + u * Math.abs(v) + 1e-30;
        });
        expectClose(y, yRef, { atol: yTol, rtol: 0 }, { label: `${c.name} y`, family: "batchnorm forward" });
        if (c.rows === 1) {
          // One row: x - mean is exactly 0, so every output is β exactly (nothing left to learn).
          expect(Array.from(y)).toEqual(Array.from(data.beta));
        }
        op.release();
        release();
      });
    }

    it("the kernel is deterministic: two runs give the same bits", async () => {
      const ctx = await testContext();
      const c = CASES[5];
      const { buffers, release } = upload(ctx, c);
      const op = await prepareBatchNormForward(ctx, {
        label: "bn",
        rows: c.rows,
        channels: c.channels,
        training: true,
        ...buffers,
      });
      const [a] = await runOps(ctx, [op], [buffers.variance]);
      // The second run starts from the same input, so it must end in the same bits.
      const [b] = await runOps(ctx, [op], [buffers.variance]);
      expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));
      op.release();
      release();
    });
  },
);

describeKernel("batchnorm_forward", () => {
  it("evaluation normalises with the moving statistics and writes nothing else; setRows shrinks the batch", async () => {
    const ctx = await testContext();
    const c: Case = { name: "eval [37, 5]", rows: 37, channels: 5 };
    const { data, buffers, release } = upload(ctx, c);
    const before = new Float32Array(c.channels).fill(-7);
    ctx.device.queue.writeBuffer(buffers.mean, 0, before);
    const op = await prepareBatchNormForward(ctx, {
      label: "bn eval",
      rows: 37,
      channels: 5,
      training: false,
      ...buffers,
    });
    op.setRows(30);
    const [y, mean, mm] = await runOps(ctx, [op], [buffers.y, buffers.mean, buffers.movingMean], {
      byteLengths: [37 * 5 * 4, 20, 20],
    });
    const moving = {
      mean: Float64Array.from(data.movingMean),
      variance: Float64Array.from(data.movingVariance),
    };
    const yRef = batchNormApply(data.x.subarray(0, 30 * 5), 30, 5, moving, data.gamma, data.beta);
    const tol = yRef.map((v, i) => {
      const ch = i % 5;
      return 10 * u *
          Math.abs(data.gamma[ch] * (data.x[i] - moving.mean[ch]) / Math.sqrt(moving.variance[ch] + 1e-3)) +
        u * Math.abs(v);
    });
    expectClose(y.subarray(0, 150), yRef, { atol: tol, rtol: 0 }, {
      label: "eval y",
      family: "batchnorm forward",
    });
    expect(Array.from(mean)).toEqual(Array.from(before));
    expect(Array.from(mm)).toEqual(Array.from(data.movingMean));
    op.release();
    release();
  });
});

describeKernels(["batchnorm_param_backward", "batchnorm_input_backward"], "training backward", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await testContext();
      const { data, buffers, release } = upload(ctx, c);
      const { rows, channels } = c;
      const forward = await prepareBatchNormForward(ctx, {
        label: "bn",
        rows,
        channels,
        training: true,
        ...buffers,
      });
      const dyBuffer = ctx.upload("dy", data.dy);
      const [dgammaBuffer, dbetaBuffer, dxBuffer] = [
        ctx.storage("dgamma", channels),
        ctx.storage("dbeta", channels),
        ctx.storage("dx", rows * channels),
      ];
      const backward = await prepareBatchNormBackward(ctx, {
        label: "bn backward",
        rows,
        channels,
        x: buffers.x,
        gamma: buffers.gamma,
        mean: buffers.mean,
        variance: buffers.variance,
        dy: dyBuffer,
        dgamma: dgammaBuffer,
        dbeta: dbetaBuffer,
        dx: dxBuffer,
      });
      const [dgamma, dbeta, dx] = await runOps(ctx, [forward, backward], [
        dgammaBuffer,
        dbetaBuffer,
        dxBuffer,
      ], {
        byteLengths: [channels * 4, channels * 4, rows * channels * 4],
      });
      const ref = batchNormBackward(data.x, data.dy, rows, channels, data.gamma);
      const moments = batchNormMoments(data.x, rows, channels);
      const bound = statsBounds(data.x, rows, channels, moments);
      const eps = BATCHNORM_EPSILON;
      const s = moments.variance.map((v) => 1 / Math.sqrt(v + eps));
      // Relative error of the GPU's s: the variance's δ through 1/√ (halved), plus 7u
      // (ε's rounding, the addition, inverseSqrt's 2 ULP).
      const sRel = moments.variance.map((v, ch) => bound.variance[ch] / (2 * (v + eps)) + 7 * u);
      const xhat = (i: number) => (data.x[i] - moments.mean[i % channels]) * s[i % channels];
      // |x̂_gpu - x̂| <= δ_mean·s + |x̂|·(sRel + 2u).
      const xhatErr = (i: number) => {
        const ch = i % channels;
        return bound.mean[ch] * s[ch] * (1 + sRel[ch]) + Math.abs(xhat(i)) * (sRel[ch] + 2 * u);
      };
      const L = Math.ceil(rows / 64) + 6;
      const dbetaTol = channelSums((i) => gamma(L) * Math.abs(data.dy[i]), rows, channels);
      const dgammaTol = channelSums(
        (i) => Math.abs(data.dy[i]) * (gamma(L + 2) * Math.abs(xhat(i)) + xhatErr(i) * (1 + gamma(L + 2))),
        rows,
        channels,
      );
      expectClose(dbeta, ref.dbeta, { atol: dbetaTol.map((v) => v + 1e-30), rtol: 0 }, {
        label: `${c.name} dβ`,
        family: "batchnorm backward",
      });
      expectClose(dgamma, ref.dgamma, { atol: dgammaTol.map((v) => v + 1e-30), rtol: 0 }, {
        label: `${c.name} dγ`,
        family: "batchnorm backward",
      });
      // The header's bound of dx, with the given dβ, dγ errors and x̂'s.
      const dxTol = ref.dx.map((v, i) => {
        const ch = i % channels;
        const gs = Math.abs(data.gamma[ch] * s[ch]);
        const terms = Math.abs(data.dy[i]) + Math.abs(ref.dbeta[ch]) / rows +
          Math.abs(xhat(i) * ref.dgamma[ch]) / rows;
        const given =
          (dbetaTol[ch] + Math.abs(xhat(i)) * dgammaTol[ch] + xhatErr(i) * Math.abs(ref.dgamma[ch])) / rows;
        return gs * (1 + sRel[ch]) * (12 * u * terms + given) + (sRel[ch] + 8 * u) * Math.abs(v) + 1e-30;
      });
      expectClose(dx, ref.dx, { atol: dxTol, rtol: 0 }, {
        label: `${c.name} dx`,
        family: "batchnorm backward",
      });
      if (rows === 1) expect(Array.from(dx).every((v) => Math.abs(v) < 1e-6)).toBe(true);
      forward.release();
      backward.release();
      release();
      for (const b of [dyBuffer, dgammaBuffer, dbetaBuffer, dxBuffer]) ctx.pool.release(b);
    });
  }
});
