/**
 * The training-time detectors: `diagnoseTraining` runs every one of them over the records of one
 * run and returns their findings. Pure: recorded numbers in, findings out; no GPU, no I/O.
 *
 * @example
 * ```ts
 * const findings = diagnoseTraining({ scenario, task: "multiclass", targets, records });
 * ```
 *
 * @module
 */
import type { Finding, FindingCode } from "../report/types.ts";
import {
  detectConstantInitialization,
  detectDeadRelu,
  detectExplodingGradients,
  detectInitialLossAnomaly,
  detectLearningRateTooHigh,
  detectLearningRateTooLow,
  detectNonFiniteLoss,
  detectRepeatedBatch,
  detectSaturatedActivations,
  detectVanishingGradients,
} from "./training_dynamics.ts";
import {
  detectAccuracyHidesClassFailure,
  detectMajorityClassCollapse,
  detectNotLearning,
  detectOverfitting,
  detectUnderfitting,
  doubleSoftmaxEvidence,
} from "./training_outcome.ts";
import type { TrainingContext } from "./training_signals.ts";
import { detectStaleBatchNormStatistics } from "./batchnorm_statistics.ts";

export type { ResolvedMetricInfo, TrainingContext, TrainingProbes } from "./training_signals.ts";
export { doubleSoftmaxEvidence };

/**
 * Training causes that explain a model that does not learn: when one of them fires, the fallback
 * `not-learning` is left out (it would only restate the symptom).
 */
const EXPLAINS_NOT_LEARNING: readonly FindingCode[] = [
  "repeated-batch",
  "non-finite-loss",
  "learning-rate-too-high",
  "learning-rate-too-low",
  "vanishing-gradients",
  "exploding-gradients",
  "dead-relu",
  "saturated-activations",
  "constant-initialization",
];

/**
 * Every training-time finding of one run. A run whose training was skipped (the setup made it
 * undefined) has no training findings: the setup finding that skipped it says why.
 */
export function diagnoseTraining(ctx: TrainingContext): Finding[] {
  if (ctx.records.phase.status === "skipped") return [];
  const detectors = [
    detectRepeatedBatch,
    detectNonFiniteLoss,
    detectConstantInitialization,
    detectLearningRateTooHigh,
    detectLearningRateTooLow,
    detectExplodingGradients,
    detectVanishingGradients,
    detectDeadRelu,
    detectSaturatedActivations,
    detectInitialLossAnomaly,
    detectMajorityClassCollapse,
    detectAccuracyHidesClassFailure,
    detectOverfitting,
    detectUnderfitting,
    detectStaleBatchNormStatistics,
  ];
  const findings = detectors.map((d) => d(ctx)).filter((f): f is Finding => f !== null);
  if (!findings.some((f) => EXPLAINS_NOT_LEARNING.includes(f.code))) {
    const f = detectNotLearning(ctx);
    if (f) findings.push(f);
  }
  return findings;
}
