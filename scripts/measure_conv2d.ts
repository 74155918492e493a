/**
 * `deno run -A scripts/measure_conv2d.ts [--reps N]`: times a conv2d forward (Z and relu(Z), NHWC) two
 * ways on the same shapes, in paired, interleaved repetitions (order alternating): fitcheck's direct
 * convolution (shaders/conv2d_forward.wgsl) and im2col (the patch matrix of
 * (batch·outH·outW) × (kh·kw·cin), shaders/im2col_forward.wgsl) followed by the matmul
 * kernel training uses (src/kernels/matmul.ts, its variant rule, fused bias + relu). Prints each
 * one's median ms and the median, min and max of the per-repetition ratio im2col / direct.
 *
 * The measurement behind the choice stated in conv2d_forward.wgsl's header; a development aid, not
 * a benchmark (`deno task bench` reports speed). Only the forward pass is compared: the backward
 * passes differ too (im2col: the filter gradient and dX as matmul products, plus col2im).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interleave, pairedRatio, summarize } from "../bench/stats.ts";
import { createGpuContext } from "../src/gpu/context.ts";
import { prepareConv2dForward, prepareIm2col } from "../src/kernels/conv2d.ts";
import { prepareMatmul } from "../src/kernels/matmul.ts";
import { window2d } from "../src/reference/conv2d.ts";
import { Rng } from "../src/random.ts";

/** [batch, h, w, cin, filters, k, stride, padding] */
const SHAPES: [number, number, number, number, number, number, number, "valid" | "same"][] = [
  [64, 28, 28, 1, 16, 3, 1, "valid"], // the bench CNN's first layer
  [64, 13, 13, 16, 32, 3, 1, "same"], // a second layer after pooling
  [64, 8, 8, 1, 16, 3, 1, "same"], // the digits CNN
  [64, 13, 13, 4, 16, 3, 1, "same"], // k = 36
  [64, 26, 26, 8, 16, 3, 1, "same"], // k = 72
];

const { values } = parseArgs({ args: Deno.args, options: { reps: { type: "string", default: "15" } } });
const reps = Number(values.reps);
const ctx = await createGpuContext({ label: "conv2d measurement" });
console.log(`adapter: ${ctx.adapter.description}; median of ${reps} paired, interleaved repetitions`);
const rng = Rng.fromSeed(1).stream("conv2d");
const only = Deno.env.get("MEASURE_SHAPES")?.split(",").map(Number);
for (const [index, [B, H, W, C, F, K, S, padding]] of SHAPES.entries()) {
  if (only && !only.includes(index)) continue;
  const g = window2d([H, W, C], [K, K], [S, S], padding);
  const rows = B * g.outH * g.outW, k = K * K * C;
  const x = ctx.upload("x", Float32Array.from({ length: B * H * W * C }, () => rng.uniform(0, 1)));
  const w = ctx.upload("w", Float32Array.from({ length: k * F }, () => rng.uniform(-0.3, 0.3)));
  const b = ctx.upload("b", new Float32Array(F));
  const z = ctx.storage("z", rows * F), y = ctx.storage("y", rows * F);
  const patches = ctx.storage("patches", rows * k);
  const direct = await prepareConv2dForward(ctx, {
    label: "direct",
    geometry: g,
    filters: F,
    rows: B,
    activation: "relu",
    x,
    w,
    b,
    z,
    y,
  });
  const gather = await prepareIm2col(ctx, { label: "im2col", geometry: g, rows: B, x, patches });
  const product = await prepareMatmul(ctx, {
    label: "patches·W",
    a: patches,
    b: w,
    bias: b,
    y,
    z,
    m: rows,
    n: F,
    k,
    activation: "relu",
  });
  const count = 5;
  const timed = (name: string, encode: (pass: GPUComputePassEncoder) => void) => ({
    name,
    run: async () => {
      const started = performance.now();
      ctx.submit(name, (pass) => {
        for (let i = 0; i < count; i++) encode(pass);
      });
      await ctx.device.queue.onSubmittedWorkDone();
      return (performance.now() - started) / count;
    },
  });
  const samples = await interleave([
    timed("direct", (pass) => direct.encode(pass)),
    timed("im2col", (pass) => {
      gather.encode(pass);
      product.encode(pass);
    }),
  ], { reps, warmup: 2, alternate: true });
  const ratio = pairedRatio(samples.im2col, samples.direct);
  const ms = (n: string) => summarize(samples[n]).median.toFixed(3);
  console.log(
    `${B}×${H}×${W}×${C} → ${F} filters ${K}×${K} s${S} ${padding}: direct ${ms("direct")} ms, im2col ${
      ms("im2col")
    } ms; im2col/direct median ${ratio.median.toFixed(2)} (min ${ratio.min.toFixed(2)}, max ${
      ratio.max.toFixed(2)
    })`,
  );
  for (const op of [direct, gather, product]) op.release();
  for (const buffer of [x, w, b, z, y, patches]) ctx.pool.release(buffer);
}
ctx.destroy();
