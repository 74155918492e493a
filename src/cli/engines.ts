/**
 * The engines behind `diagnose run | data | audit`, wired for the command line. One GPU context is
 * created on first use and shared by every run of the process (the gallery, --verify re-runs), so
 * shaders compile once; each run returns its buffers to the context's pool.
 *
 * @module
 */
import { checkDataFiles } from "../app/data_check.ts";
import { runScenarioFile } from "../app/run.ts";
import type { Engines } from "../app/types.ts";
import { audit } from "../audit/mod.ts";
import { createGpuContext, type GpuContext } from "../gpu/mod.ts";

/** The engines available to the CLI. */
export function createEngines(): Engines {
  let context: Promise<GpuContext> | null = null;
  const gpu = () => (context ??= createGpuContext({ label: "fitcheck" }));
  return {
    runScenario: (path, o) =>
      runScenarioFile(path, {
        source: o.source,
        gpu,
        epochs: o.epochs,
        verify: o.verify,
        progress: o.progress,
      }),
    checkData: (o) => checkDataFiles(o),
    audit: (o) =>
      audit({
        labels: o.labels,
        predictions: o.predictions,
        history: o.history,
        epoch: o.epoch,
        split: o.split,
        task: o.task,
        loss: o.loss,
        // Absent --from-logits means "infer from the values"; the audit treats false as "they are probabilities".
        fromLogits: o.fromLogits ? true : undefined,
      }, o.source),
  };
}
