/**
 * `deno run -A scripts/measure_matmul_variants.ts [MxNxK,...] [--reps N]`: times every matmul variant
 * this machine's adapter can run on the given products (`matmulCandidates`: blocked, vec4, tiled, and
 * texture where it fits; default shapes: those behind `packsPayOff` in src/kernels/matmul.ts),
 * interleaved, and prints the median ms per product of each and the median of its per-repetition
 * ratios to the fixed rule's variant.
 *
 * A development aid for the rule and for the tuner (src/kernels/tuning.ts, which does the same
 * briefly at first use), not a benchmark: `deno task bench` is where speed is reported.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interleave, pairedRatio, summarize } from "../bench/stats.ts";
import { createGpuContext } from "../src/gpu/context.ts";
import { chooseMatmulVariant, matmulCandidates, prepareMatmul } from "../src/kernels/matmul.ts";
import { Rng } from "../src/random.ts";

const DEFAULT_SHAPES =
  "1024x1024x1024,1024x256x1024,512x512x512,384x384x384,256x256x256,128x128x128,256x10x256";
/** About this many multiply-adds per repetition, so a repetition is long against Deno's waits. */
const WORK_PER_REP = 2e8;

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string", default: "5" } },
  allowPositionals: true,
});
const reps = Number(values.reps);
const shapes = (positionals[0] ?? DEFAULT_SHAPES).split(",").map((s) => {
  const [m, n, k] = s.split("x").map(Number);
  if (![m, n, k].every((v) => Number.isInteger(v) && v > 0)) {
    console.error(`measure_matmul_variants: "${s}" is not MxNxK`);
    Deno.exit(2);
  }
  return { m, n, k };
});

const ctx = await createGpuContext({ label: "matmul variants" });
console.log(`adapter: ${ctx.adapter.description}; every variant it can run, median of ${reps}`);
const rng = Rng.fromSeed(1).stream("variants");
for (const { m, n, k } of shapes) {
  const a = ctx.upload("a", Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1)));
  const b = ctx.upload("b", Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1)));
  const y = ctx.storage("y", m * n);
  const count = Math.max(3, Math.round(WORK_PER_REP / (m * n * k)));
  const variants = matmulCandidates(ctx, { m, n, k });
  const ruled = chooseMatmulVariant(ctx.adapter, { m, n, k });
  const rule = variants.includes(ruled) ? ruled : "vec4";
  const contenders = [];
  for (const variant of variants) {
    const op = await prepareMatmul(ctx, { label: variant, a, b, y, m, n, k, variant });
    contenders.push({
      name: variant,
      op,
      run: async () => {
        const started = performance.now();
        ctx.submit(variant, (pass) => {
          for (let i = 0; i < count; i++) op.encode(pass);
        });
        await ctx.device.queue.onSubmittedWorkDone();
        return (performance.now() - started) / count;
      },
    });
  }
  const samples = await interleave(contenders, { reps, warmup: 1, alternate: true });
  const figures = variants.map((v) => {
    const ms = summarize(samples[v]).median.toFixed(3);
    return v === rule
      ? `${v} ${ms} ms (rule)`
      : `${v} ${ms} ms (${pairedRatio(samples[v], samples[rule]).median.toFixed(2)}× rule)`;
  });
  console.log(`${m}x${n}x${k}: ${figures.join(", ")}`);
  for (const c of contenders) c.op.release();
  for (const buffer of [a, b, y]) ctx.pool.release(buffer);
}
ctx.destroy();
