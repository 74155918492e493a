/**
 * The engines behind `diagnose run | data | audit` and the browser playground, wired once for every
 * runtime. What differs per runtime is injected: how the GPU context is made (Deno's or the page's
 * `navigator.gpu`, or a test double) and a default progress sink. The context is created on first use
 * and shared by every run (the gallery, `--verify` re-runs, the playground's "apply fix"), so shaders
 * compile once; each run returns its buffers to the context's pool.
 *
 * @module
 */
import { checkDataFiles } from "./data_check.ts";
import { auditModelFile, initModelFile, runModelFile } from "./model_file.ts";
import { runScenario, runScenarioFile } from "./run.ts";
import type { MetricHost } from "./metric_sandbox.ts";
import { modelGalleryEntry, runModelGalleryEntry } from "./model_gallery.ts";
import type { Engines, ModelEngines, ProgressSink, RunOptions } from "./types.ts";
import { audit } from "../audit/mod.ts";
import type { GpuContext } from "../gpu/context.ts";
import { MatmulTuner, sharedTuningCache, type TuningCache } from "../kernels/tuning.ts";
import type { Report } from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";

/** Options of {@linkcode createEngines}. */
export interface CreateEnginesOptions {
  /** Makes the GPU context; called at most once, on the first run that trains. */
  createGpu: () => Promise<GpuContext>;
  /** Receives progress of runs whose own options carry no `progress`. */
  progress?: ProgressSink;
  /**
   * Runs scenario metric modules in a sandbox (a worker without permissions). Without one, a scenario
   * with a `module` metric is an input error: user code never runs in-process.
   */
  metricHost?: MetricHost;
  /**
   * Where measured matmul choices persist (src/kernels/tuning.ts): on disk for the CLI, in memory in
   * the browser. Absent: no tuning, the fixed rule (as with `tune: false` on a run).
   */
  tuningCache?: TuningCache;
  /** Receives the tuner's lines (one per measured product class). */
  tuningLog?: (line: string) => void;
}

/** The engines, plus what a long-lived front end (the playground) needs besides. */
export interface AppEngines extends Engines {
  /**
   * Diagnoses a scenario already parsed (the playground's form builds one and validates it with
   * `parseScenario`); otherwise the same as `runScenario`.
   */
  runParsed(scenario: Scenario, options: RunOptions): Promise<Report>;
  /** The shared GPU context (created now if no run made it yet). */
  gpu(): Promise<GpuContext>;
  /** Destroys the GPU context if one was made; the engines may be used again afterwards. */
  dispose(): Promise<void>;
}

/**
 * Engines over one lazily created GPU context.
 *
 * @example
 * ```ts ignore
 * import { createGpuContext } from "../gpu/mod.ts";
 * const engines = createEngines({ createGpu: () => createGpuContext({ label: "fitcheck" }) });
 * const report = await engines.runScenario("/abs/scenario.json", { source });
 * await engines.dispose();
 * ```
 */
export function createEngines(options: CreateEnginesOptions): AppEngines {
  // Forks (the gallery's lanes) tune on their own contexts but share one cache: one write and one
  // measuring tuner at a time (a cache that is already shared, as the CLI's, is kept as it is).
  const given = options.tuningCache;
  const cache = given ? (given.exclusive ? given : sharedTuningCache(given)) : undefined;
  return enginesOver({ ...options, tuningCache: cache });
}

function enginesOver(options: CreateEnginesOptions): AppEngines {
  let context: Promise<GpuContext> | null = null;
  const gpu = () => (context ??= options.createGpu());
  const tuners = new WeakMap<GpuContext, MatmulTuner>();
  // The context is shared; each run says whether its products are tuned (--no-tune: the rule).
  const gpuFor = (o: RunOptions) => async () => {
    const ctx = await gpu();
    const cache = options.tuningCache;
    if (o.tune === false || !cache) ctx.matmulTuner = null;
    else {
      if (!tuners.has(ctx)) tuners.set(ctx, new MatmulTuner(ctx, { cache, log: options.tuningLog }));
      ctx.matmulTuner = tuners.get(ctx)!;
    }
    return ctx;
  };
  const runOptions = (o: RunOptions) => ({
    source: o.source,
    gpu: gpuFor(o),
    budget: o.budget,
    epochs: o.epochs,
    verify: o.verify,
    progress: o.progress ?? options.progress,
    metricHost: options.metricHost,
    metricTimeoutMs: o.metricTimeoutMs,
  });
  const models: ModelEngines = {
    run: (o) => runModelFile({ ...o, gpu, progress: o.progress ?? options.progress }),
    init: (o) => initModelFile(o),
    audit: (o) => auditModelFile({ ...o, gpu }),
  };
  return {
    // Dispatch by kind: a model-file entry ("kind": "model") runs as `run --model` would.
    runScenario: async (path, o) => {
      const entry = modelGalleryEntry(await o.source.readText(path), path, o.source);
      return entry
        ? await runModelGalleryEntry(entry, models, { ...o, progress: o.progress ?? options.progress })
        : await runScenarioFile(path, runOptions(o));
    },
    runParsed: (scenario, o) => runScenario(scenario, runOptions(o)),
    checkData: (o) => checkDataFiles(o),
    audit: (o) =>
      audit({
        labels: o.labels,
        predictions: o.predictions,
        history: o.history,
        classes: o.classes,
        epoch: o.epoch,
        split: o.split,
        task: o.task,
        loss: o.loss,
        // Absent --from-logits means "infer from the values"; the audit treats false as "they are probabilities".
        fromLogits: o.fromLogits ? true : undefined,
      }, o.source),
    models,
    gpu,
    fork: () => enginesOver(options),
    dispose: async () => {
      const made = context;
      context = null;
      if (made) (await made.catch(() => null))?.destroy();
    },
  };
}
