/**
 * The engines behind `diagnose run | data | audit`, wired for the command line.
 *
 * TODO(lead): wire the engines as they land; until then a command whose engine is missing fails as
 * an internal error (exit 70) saying so, never with a made-up report.
 * - runScenario: the run pipeline (loadScenario -> train on WebGPU -> records -> diagnose -> Report).
 *   It should call `options.progress` once per epoch ({phase: "train", epoch, epochs, loss}) and
 *   during --verify ({phase: "verify", message: "retraining with ...", epoch, epochs}), fill
 *   `Report.perClass` / `Report.confusion` (src/report/types.ts) for classification runs, and
 *   `Finding.verification.history` ({before, after}: HistoryEntry[]) under --verify, which the HTML
 *   report draws. Throw an Error named "NoAdapterError" when WebGPU has no adapter (exit 3).
 * - checkData: loadScenarioData / readCsv / readNpy (src/data/, H2) -> diagnoseData (src/diagnose/, H4).
 * - audit: wired to `audit(options, source)` of src/audit/mod.ts.
 *
 * @module
 */
import type { Engines } from "../app/types.ts";
import { audit } from "../audit/mod.ts";

/** The engines available to the CLI. */
export function createEngines(): Engines {
  return {
    runScenario: () => Promise.reject(notWired("run", "the run pipeline (training + diagnosis)")),
    checkData: () => Promise.reject(notWired("data", "the data loaders and data detectors")),
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

function notWired(command: string, what: string): Error {
  return new Error(
    `'diagnose ${command}' is not available in this build: ${what} is not wired into src/cli/engines.ts yet`,
  );
}
