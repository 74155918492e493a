/**
 * The engines behind `diagnose run | data | audit` for the command line: src/app/engines.ts over
 * Deno's `navigator.gpu`, with metric modules in permission-less workers.
 *
 * @module
 */
import { type AppEngines, createEngines as createAppEngines } from "../app/engines.ts";
import { createGpuContext } from "../gpu/mod.ts";
import { denoMetricHost } from "./deno_metric_host.ts";

/** The engines available to the CLI; `display` shows a path as the user would recognise it. */
export function createEngines(options: { display?: (path: string) => string } = {}): AppEngines {
  return createAppEngines({
    createGpu: () => createGpuContext({ label: "fitcheck" }),
    metricHost: denoMetricHost({ display: options.display }),
  });
}
