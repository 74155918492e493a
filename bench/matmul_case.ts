/**
 * `matmul-1024`: C = A·B, n×n×n float32, in GFLOP/s (2n³ flops per product), for fitcheck's
 * `prepareMatmul` (its default variant for the adapter), tfjs-webgpu and tfjs-cpu.
 *
 * A repetition encodes `count` products and waits once at the end, so Deno's 10 ms wait granularity
 * does not dominate; `count` per engine is calibrated after the warm-up so one repetition lasts about
 * `repMs`, with at least `minCount`. Every engine's product is checked against float64 on sampled entries before it is timed:
 * a benchmark of a wrong kernel is worthless.
 *
 * @module
 */
import type { GpuContext } from "../src/gpu/context.ts";
import { readbackF32 } from "../src/gpu/readback.ts";
import { chooseMatmulVariant, prepareMatmul } from "../src/kernels/matmul.ts";
import { Rng } from "../src/random.ts";
import type { Check, MatmulCase } from "./schema.ts";
import { interleave, pairedRatio, summarize } from "./stats.ts";
import { settle, type Tfjs, type TfjsEngine } from "./tfjs.ts";

/** Options of {@linkcode benchMatmul}. */
export interface MatmulCaseOptions {
  /** Matrix size (1024 in the real run). */
  n: number;
  reps: number;
  /** Target duration of one repetition, used to calibrate the products per repetition. */
  repMs: number;
  /** The fewest products per repetition: a repetition times several, not one launch and its wait. */
  minCount: number;
  /** The most products per repetition (bounds a run on a fast GPU). */
  maxCount: number;
  seed: number;
  progress: (line: string) => void;
}

/** The target of issue 9: at least 3× tfjs-webgpu's GFLOP/s. */
export const MATMUL_TARGET = 3;

/** Runs the case. */
export async function benchMatmul(
  ctx: GpuContext,
  tfjs: Tfjs,
  options: MatmulCaseOptions,
): Promise<MatmulCase> {
  const { n } = options;
  const rng = Rng.fromSeed(options.seed).stream("matmul");
  const a = uniform(rng.stream("a"), n * n), b = uniform(rng.stream("b"), n * n);
  const flops = 2 * n ** 3;
  const sampled = sampleEntries(rng.stream("sampled entries"), n, 64);

  const { tf } = tfjs;
  const aBuffer = ctx.upload("bench A", a), bBuffer = ctx.upload("bench B", b);
  const yBuffer = ctx.storage("bench C", n * n);
  const product = { m: n, n, k: n };
  const variant = ctx.matmulTuner
    ? await ctx.matmulTuner.choose(product)
    : chooseMatmulVariant(ctx.adapter, product);
  const op = await prepareMatmul(ctx, {
    variant,
    label: "bench A·B",
    a: aBuffer,
    b: bBuffer,
    y: yBuffer,
    m: n,
    n,
    k: n,
  });
  const tensors = new Map<TfjsEngine, [ReturnType<typeof tf.tensor2d>, ReturnType<typeof tf.tensor2d>]>();
  for (const engine of ["webgpu", "cpu"] as const) {
    await tfjs.use(engine);
    tensors.set(engine, [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])]);
  }

  const fitcheck = async (count: number) => {
    const started = performance.now();
    ctx.submit("bench matmuls", (pass) => {
      for (let i = 0; i < count; i++) op.encode(pass);
    });
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - started;
  };
  const peer = (engine: TfjsEngine) => async (count: number) => {
    await tfjs.use(engine);
    const [ta, tb] = tensors.get(engine)!;
    const started = performance.now();
    const results = Array.from({ length: count }, () => tf.matMul(ta, tb));
    await settle(results[count - 1]);
    const ms = performance.now() - started;
    for (const r of results) r.dispose();
    return ms;
  };
  const runners = { fitcheck, tfjsWebgpu: peer("webgpu"), tfjsCpu: peer("cpu") };

  // Correctness first (this also compiles every pipeline), then calibration of products per rep.
  await fitcheck(1);
  ctx.check();
  const [fitcheckC] = await readbackF32(ctx, [yBuffer]);
  const checks: Check[] = [checkProduct("fitcheck", fitcheckC, a, b, n, sampled)];
  for (const [engine, label] of [["webgpu", "tfjs-webgpu"], ["cpu", "tfjs-cpu"]] as const) {
    await tfjs.use(engine);
    const [ta, tb] = tensors.get(engine)!;
    const c = tf.matMul(ta, tb);
    checks.push(checkProduct(label, (await c.data()) as Float32Array, a, b, n, sampled));
    c.dispose();
  }
  const counts = { fitcheck: 1, tfjsWebgpu: 1, tfjsCpu: 1 };
  for (const name of Object.keys(runners) as (keyof typeof runners)[]) {
    const once = await runners[name](1);
    counts[name] = Math.max(options.minCount, Math.min(options.maxCount, Math.round(options.repMs / once)));
  }
  options.progress(
    `matmul-${n}: ${variant} kernel; products per repetition: fitcheck ${counts.fitcheck}, ` +
      `tfjs-webgpu ${counts.tfjsWebgpu}, tfjs-cpu ${counts.tfjsCpu}`,
  );

  const samples = await interleave(
    (Object.keys(runners) as (keyof typeof runners)[]).map((name) => ({
      name,
      run: async () => (counts[name] * flops) / (await runners[name](counts[name])) / 1e6,
    })),
    {
      reps: options.reps,
      // The calibration runs above were the warm-up.
      warmup: 0,
      onRep: (name, rep, value) =>
        options.progress(`matmul-${n} rep ${rep + 1}/${options.reps} ${name}: ${value.toFixed(2)} GFLOP/s`),
    },
  );
  ctx.check();
  op.release();
  for (const b of [aBuffer, bBuffer, yBuffer]) ctx.pool.release(b);
  for (const pair of tensors.values()) pair.forEach((t) => t.dispose());

  const stats = {
    fitcheck: summarize(samples.fitcheck),
    tfjsWebgpu: summarize(samples.tfjsWebgpu),
    tfjsCpu: summarize(samples.tfjsCpu),
  };
  // Paired per repetition: a burst of load from the machine's other processes hits both sides of a ratio.
  const achieved = pairedRatio(samples.fitcheck, samples.tfjsWebgpu).median;
  return {
    name: "matmul-1024",
    unit: "GFLOP/s",
    fitcheck: stats.fitcheck.median,
    tfjsWebgpu: stats.tfjsWebgpu.median,
    tfjsCpu: stats.tfjsCpu.median,
    target: {
      description:
        `fitcheck at least ${MATMUL_TARGET}× tfjs-webgpu's GFLOP/s (median of per-repetition ratios)`,
      quantity: "fitcheck / tfjsWebgpu",
      comparison: ">=",
      threshold: MATMUL_TARGET,
      achieved,
    },
    met: achieved >= MATMUL_TARGET,
    n,
    variant,
    productsPerRep: counts,
    stats,
    checks,
  };
}

function uniform(rng: Rng, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

function sampleEntries(rng: Rng, n: number, count: number): [number, number][] {
  // The corners catch a kernel that mishandles the edges of the tiling; the rest are random.
  const out: [number, number][] = [[0, 0], [0, n - 1], [n - 1, 0], [n - 1, n - 1]];
  while (out.length < count) out.push([rng.int(n), rng.int(n)]);
  return out;
}

/**
 * Checks C = A·B on the sampled entries against float64 sums of the same float32 inputs. The bound is
 * the classic one for a float32 dot product of length n in any summation order:
 * |ĉ − c| <= γ_n Σ|a_ik b_kj|, γ_n = n·u / (1 − n·u), u = 2^-24. For n = 1024 and entries uniform in
 * [-1, 1] it is ~0.016 while an entry is ~10 in size: one missing or doubled term (~0.25) fails it.
 */
export function checkProduct(
  engine: string,
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  n: number,
  entries: readonly [number, number][],
): Check {
  const u = 2 ** -24;
  const gamma = (n * u) / (1 - n * u);
  let worst = 0, worstBound = 0, bad = 0;
  for (const [i, j] of entries) {
    let exact = 0, magnitude = 0;
    for (let k = 0; k < n; k++) {
      const p = a[i * n + k] * b[k * n + j];
      exact += p;
      magnitude += Math.abs(p);
    }
    const error = Math.abs(c[i * n + j] - exact);
    const bound = gamma * magnitude;
    if (!(error <= bound)) bad++;
    if (!(error <= worst)) {
      worst = error;
      worstBound = bound;
    }
  }
  return {
    name: `${engine} matmul against float64`,
    ok: bad === 0,
    detail:
      `${entries.length} sampled entries, ${bad} beyond γ_n·Σ|a·b|; largest error ${
        worst.toExponential(2)
      } ` +
      `(bound there ${worstBound.toExponential(2)})`,
  };
}
