/**
 * The benchmark harness: one process, one WebGPU adapter and device shared by fitcheck and
 * tfjs-webgpu, tfjs-cpu beside them; the four cases of CONTRACT §4 in turn, each with a warm-up, then
 * interleaved repetitions (bench/stats.ts) and medians. `bench/main.ts` is its command line.
 *
 * @module
 */
import { acquireGpu } from "../src/gpu/device.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { TOOL_VERSION } from "../src/report/types.ts";
import { benchMatmul } from "./matmul_case.ts";
import { mlpProblem } from "./mlp.ts";
import { benchCnnStep, benchMlpStep, benchOverhead, OVERHEAD_REPS_FACTOR } from "./mlp_case.ts";
import { cnnProblem } from "./cnn.ts";
import { benchReadbacks } from "./readbacks_case.ts";
import { type BenchResult, BenchResultSchema } from "./schema.ts";
import { setupTfjs } from "./tfjs.ts";

/** Options of {@linkcode runBench}. */
export interface BenchOptions {
  /** Timed repetitions per case (default 5; 3 with `quick`). */
  reps?: number;
  /** Smaller sizes and fewer steps: for the harness's own test, never for reported figures. */
  quick?: boolean;
  /** Seed of the data and weights (default 9, the number). */
  seed?: number;
  /** Progress lines (the CLI writes them to stderr). */
  progress?: (line: string) => void;
  /** The WebGPU entry point; default `navigator.gpu`. */
  gpu?: GPU;
}

/** The sizes of a full and of a quick run. */
export const SIZES = {
  full: {
    n: 1024,
    repMs: 1000,
    minCount: 2,
    maxCount: 64,
    steps: 20,
    trajectorySteps: 3,
    batches: 5,
    epochs: 3,
    reps: 5,
  },
  quick: {
    n: 256,
    repMs: 40,
    minCount: 1,
    maxCount: 4,
    steps: 2,
    trajectorySteps: 2,
    batches: 3,
    epochs: 2,
    reps: 3,
  },
} as const;

/**
 * Runs every case and returns the result, validated against {@linkcode BenchResultSchema}.
 *
 * @throws {NoAdapterError} when there is no WebGPU adapter.
 * @example
 * ```ts
 * const result = await runBench({ quick: true, progress: console.error });
 * console.log(result.cases[1].fitcheck, "ms per step");
 * ```
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const started = performance.now();
  const quick = options.quick ?? false;
  const size = quick ? SIZES.quick : SIZES.full;
  const reps = options.reps ?? size.reps;
  if (!Number.isInteger(reps) || reps < 1) {
    throw new RangeError(`reps must be a positive integer, got ${reps}`);
  }
  const seed = options.seed ?? 9;
  const progress = options.progress ?? (() => {});
  const { adapter, device, report } = await acquireGpu({ gpu: options.gpu, label: "fitcheck bench" });
  const ctx = new GpuContext(device, report);
  try {
    const tfjs = await setupTfjs(adapter, device);
    progress(
      `adapter: ${report.description} (fallback ${report.isFallbackAdapter}); tfjs ${tfjs.version}, ` +
        `tfjs-webgpu on ${tfjs.webgpuDevice === "shared" ? "fitcheck's device" : "its own device"}` +
        (quick ? "; QUICK mode: reduced sizes, figures not comparable" : ""),
    );
    const problem = mlpProblem(seed, size.batches);
    const mlpOptions = { reps, steps: size.steps, trajectorySteps: size.trajectorySteps, progress };
    const matmul = await ctx.scoped(() =>
      benchMatmul(ctx, tfjs, {
        n: size.n,
        reps,
        repMs: size.repMs,
        minCount: size.minCount,
        maxCount: size.maxCount,
        seed,
        progress,
      })
    );
    const mlp = await ctx.scoped(() => benchMlpStep(ctx, tfjs, problem, mlpOptions));
    const overhead = await ctx.scoped(() =>
      benchOverhead(ctx, problem, { ...mlpOptions, repsFactor: quick ? 1 : OVERHEAD_REPS_FACTOR })
    );
    progress("readbacks-per-epoch: training");
    const readbacks = await benchReadbacks(ctx, problem, { epochs: size.epochs, seed });
    const cnn = await ctx.scoped(() => benchCnnStep(ctx, tfjs, cnnProblem(seed, size.batches), mlpOptions));
    const cases = [matmul, mlp, overhead, readbacks, cnn] as const;
    return BenchResultSchema.parse({
      schema: "fitcheck.bench/v1",
      tool: { name: "fitcheck", version: TOOL_VERSION },
      adapter: report,
      tfjs: { version: tfjs.version, webgpuDevice: tfjs.webgpuDevice, prodMode: true },
      environment: runtimeEnvironment(),
      quick,
      reps,
      warmup: "one untimed repetition per engine (matmul: the correctness run and the calibration run; " +
        `MLP: the first ${size.trajectorySteps} steps, checked against float64, then one repetition)`,
      cases,
      checksOk: cases.every((c) => c.checks.every((k) => k.ok)),
      allTargetsMet: cases.every((c) => c.met),
      totalMs: performance.now() - started,
    });
  } finally {
    ctx.destroy();
  }
}

/** The runtime the figures were measured in. */
export function runtimeEnvironment(): BenchResult["environment"] {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    date: new Date().toISOString(),
  };
}
