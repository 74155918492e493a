/**
 * The engines behind `diagnose run | data | audit` for the command line: src/app/engines.ts over
 * Deno's `navigator.gpu`.
 *
 * @module
 */
import { type AppEngines, createEngines as createAppEngines } from "../app/engines.ts";
import { createGpuContext } from "../gpu/mod.ts";

/** The engines available to the CLI. */
export function createEngines(): AppEngines {
  return createAppEngines({ createGpu: () => createGpuContext({ label: "fitcheck" }) });
}
