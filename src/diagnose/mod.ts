/**
 * The diagnosis API: detectors return findings (they never throw for what they find), the catalogue
 * says how codes relate, and `orderFindings` / `summarize` turn them into the report's list and
 * summary. Setup and data detectors live here; training detectors are added beside them.
 *
 * @example
 * ```ts
 * import { diagnoseData, diagnoseSetup, orderFindings, summarize, summarizeTargets } from "./mod.ts";
 * const findings = orderFindings([
 *   ...diagnoseSetup({ scenario, task, targets: summarizeTargets(train) }),
 *   ...diagnoseData({ train, validation, task, scenario }),
 * ]);
 * const summary = summarize(findings);
 * ```
 *
 * @module
 */
export {
  CATALOGUE,
  type CodeInfo,
  explainedBy,
  type FindingFamily,
  type FindingInit,
  makeFinding,
  type Remedy,
  remedyOf,
  sig,
} from "./finding.ts";
export { orderFindings, summarize } from "./order.ts";
export { diagnoseSetup, type SetupContext, type TaskInfo } from "./setup.ts";
export { type DataContext, diagnoseData } from "./data.ts";
export { classCounts, classIndices, summarizeTargets, type TargetSummary } from "./targets.ts";
