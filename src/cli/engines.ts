/**
 * The engines behind `diagnose run | data | audit` for the command line: src/app/engines.ts over
 * Deno's `navigator.gpu`, with metric modules in permission-less workers and the matmul tuning cache
 * on disk (src/cli/tuning_cache.ts).
 *
 * @module
 */
import { type AppEngines, createEngines as createAppEngines } from "../app/engines.ts";
import { createGpuContext } from "../gpu/mod.ts";
import { MemoryTuningCache, sharedTuningCache } from "../kernels/tuning.ts";
import { denoMetricHost } from "./deno_metric_host.ts";
import { workerLane } from "./lane_worker.ts";
import { FileTuningCache, tuningCacheDir } from "./tuning_cache.ts";

/** Options of {@linkcode createEngines}. */
export interface CliEnginesOptions {
  /** Shows a path as the user would recognise it (relative to where they ran the command). */
  display?: (path: string) => string;
  /** The environment (XDG_CACHE_HOME, HOME, DEBUG); a variable not granted reads as unset. */
  env?: (name: string) => string | undefined;
  /** Receives one line per tuning-cache problem, and with DEBUG=1 the tuner's lines. */
  note?: (line: string) => void;
  /**
   * Where the user ran the command. Given, `fork` (a gallery lane past the first) runs its scenarios in a
   * worker thread on a GPU device of its own (src/cli/lane_worker.ts), showing paths relative to it;
   * absent, forks share this thread.
   */
  workerLanesCwd?: string;
}

/** The engines available to the CLI. */
export function createEngines(options: CliEnginesOptions = {}): AppEngines {
  const env = options.env ?? (() => undefined);
  const note = options.note ?? (() => {});
  const dir = tuningCacheDir(env);
  // Without a cache directory (no HOME) the choices last for the process only.
  // One writer and one measuring tuner at a time: the worker lanes tune through this too.
  const cache = sharedTuningCache(dir ? new FileTuningCache(dir, { note }) : new MemoryTuningCache());
  const engines = createAppEngines({
    createGpu: () => createGpuContext({ label: "fitcheck" }),
    metricHost: denoMetricHost({ display: options.display }),
    tuningCache: cache,
    tuningLog: env("DEBUG") ? (line) => note(`fitcheck: ${line}`) : undefined,
  });
  const cwd = options.workerLanesCwd;
  if (cwd === undefined) return engines;
  return {
    ...engines,
    fork: () => workerLane({ cwd, cache, note, debug: Boolean(env("DEBUG")), main: engines }),
  };
}
