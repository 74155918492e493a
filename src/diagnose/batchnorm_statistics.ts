/**
 * `batchnorm-stale-statistics`: a batch-normalization layer evaluates with moving statistics that
 * have not yet forgotten their start. Keras keeps moving = moving·momentum + batch·(1 - momentum),
 * starting at mean 0 and variance 1; with the default momentum 0.99 the start still weighs
 * 0.99^k after k steps (0.86 after 15 steps, 0.37 after 100, 0.05 only after 300). Every inference
 * pass (validation, predict, and fitcheck's evaluation of the training split after each epoch)
 * normalises with those statistics, so when the layer's real inputs are far from mean 0 and variance
 * 1 the evaluated model is another model than the one training fitted: its loss on the very rows it
 * trained on is much worse than the training (batch-statistics) loss of the same epoch.
 *
 * Read from `TrainingRecords.batchNorm` (the moving and the last training batch's statistics per
 * channel, read back after each epoch), the step losses and the float64 losses of the prediction
 * snapshots. Fires only when BOTH hold at the last epoch:
 *
 * 1. The statistics disagree: per channel, the inference normalisation of a value drawn from the
 *    batch's distribution is x̂_inf = s·x̂ + δ with s = √((v_b + ε)/(v_m + ε)) and
 *    δ = (m_b - m_m)/√(v_m + ε), so its RMS error in units of the normalised value is
 *    D = √((s - 1)² + δ²). The median channel's D must reach max(0.5, 2·√(1.5/R)): 0.5 is an error of
 *    half a standard deviation on every normalised value (the next layer sees inputs shifted or
 *    scaled by half their spread), and 2·√(1.5/R) is twice the D that sampling noise alone gives
 *    between one batch of R values per channel and the true statistics (the batch mean errs by
 *    1/√R standard deviations, the variance by √(2/R) relative, i.e. s by √(1/(2R))).
 * 2. Inference is hurt: the float64 loss of the training split evaluated in inference mode after
 *    the last epoch (class-weighted like the step losses under `training.classWeight`) is ≥ 1.5×
 *    the mean training-mode batch loss of that epoch, and above it by at
 *    least a tenth of the first batch's loss. A healthy model evaluates at or below its epoch's batch
 *    loss mean (that mean is taken while the weights still improve, and dropout only raises it), so
 *    1.5× is far outside what a healthy setup produces; the absolute margin keeps a model that fits
 *    its rows almost perfectly (losses near 0) from tripping on a ratio of tiny numbers.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { buildModel } from "../layers/mod.ts";
import type { Finding } from "../report/types.ts";
import type { BatchNormRecord } from "../train/records.ts";
import { median } from "./_stats.ts";
import { makeFinding } from "./finding.ts";
import { fmt, sig, snapshot, snapshotLoss, type TrainingContext } from "./training_signals.ts";

/** The median channel's normalisation error D (in standard deviations) that counts as stale. */
export const STALE_DISTORTION = 0.5;
/** Inference loss over training-mode loss that counts as hurt. */
export const HURT_LOSS_RATIO = 1.5;
/** The start's weight in the moving statistics the suggested momentum leaves after the run's steps. */
const START_WEIGHT_TARGET = 0.05;

/** Per-channel comparison of one layer's moving statistics with its last training batch's. */
export interface StatisticsGap {
  /** D per channel: √((s - 1)² + δ²), see the module's documentation. */
  distortion: number[];
  /** |m_m - m_b| / √(v_b + ε) per channel. */
  meanGap: number[];
  /** (v_m + ε) / (v_b + ε) per channel. */
  varianceRatio: number[];
}

/** How far the moving statistics of one epoch are from its last batch's, per channel. */
export function statisticsGap(record: BatchNormRecord, epochIndex: number): StatisticsGap {
  const e = record.epochs[epochIndex];
  const eps = record.epsilon;
  const distortion: number[] = [], meanGap: number[] = [], varianceRatio: number[] = [];
  e.movingMean.forEach((mm, c) => {
    const vm = e.movingVariance[c] + eps, vb = e.batchVariance[c] + eps, mb = e.batchMean[c];
    const s = Math.sqrt(vb / vm), delta = (mb - mm) / Math.sqrt(vm);
    distortion.push(Math.sqrt((s - 1) ** 2 + delta ** 2));
    meanGap.push(Math.abs(mm - mb) / Math.sqrt(vb));
    varianceRatio.push(vm / vb);
  });
  return { distortion, meanGap, varianceRatio };
}

/** Values per channel in one batch of `rows` rows at each batch-norm layer (rows × positions). */
function positionsPerLayer(ctx: TrainingContext): Map<number, number> {
  const out = new Map<number, number>();
  try {
    // Rank-1 inputs have one position per channel whatever their width, so [1] stands in for an
    // undeclared [features] input.
    const model = buildModel(ctx.scenario.model.input?.shape ?? [1], ctx.scenario.model.layers);
    for (const l of model.layers) out.set(l.position, l.inSize / l.input[l.input.length - 1]);
  } catch (e) {
    if (!(e instanceof InputError)) throw e; // a shape error is reported when the model is built
  }
  return out;
}

/** The suggested momentum: at most 0.9, low enough that the start weighs ≤ 5% after `steps` steps. */
export function suggestedMomentum(steps: number): number {
  const fit = Math.pow(START_WEIGHT_TARGET, 1 / Math.max(steps, 1));
  return Math.min(0.9, Math.floor(fit * 100) / 100);
}

/**
 * Under class weights the step losses are weighted (as Keras logs them), so the inference side must
 * be too: the engine's weighted loss of the training split after the epoch (the consistency check
 * holds it to its float64 recomputation), per row.
 */
function weightedInferenceLoss(ctx: TrainingContext, epoch: number): number | null {
  const loss = ctx.records.history.find((h) => h.epoch === epoch)?.train.loss;
  if (typeof loss !== "number" || !Number.isFinite(loss)) return null;
  return ctx.scenario.loss.reduction === "sum" ? loss / Math.max(ctx.targets.train.rows, 1) : loss;
}

/** "at momentum 0.99 the start weighs 5% after 299 steps" */
function stepsToForget(momentum: number): string {
  if (momentum >= 1) return `at momentum ${momentum} the moving statistics never change`;
  const k = Math.ceil(Math.log(START_WEIGHT_TARGET) / Math.log(momentum));
  return `at momentum ${momentum} the start still weighs 5% after ${k} steps`;
}

/** See the module documentation. */
export function detectStaleBatchNormStatistics(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  if (r.phase.status !== "completed" || !r.batchNorm || r.batchNorm.length === 0) return null;
  const lastEpoch = r.history[r.history.length - 1]?.epoch;
  const lastSteps = r.steps.filter((s) => s.epoch === lastEpoch);
  if (lastEpoch === undefined || lastSteps.length === 0) return null;

  // Training-mode loss: each step's batch loss as a per-row mean (a "sum" reduction sums the rows).
  const perRow = (s: { loss: number; batchRows: number }) =>
    ctx.scenario.loss.reduction === "sum" ? s.loss / Math.max(s.batchRows, 1) : s.loss;
  const rowsSeen = lastSteps.reduce((n, s) => n + s.batchRows, 0);
  const trainingLoss = lastSteps.reduce((sum, s) => sum + perRow(s) * s.batchRows, 0) / rowsSeen;
  const tLast = snapshot(r, "train", "last");
  const inferenceLoss = ctx.scenario.training.classWeight !== undefined
    ? weightedInferenceLoss(ctx, lastEpoch)
    : tLast && tLast.epoch === lastEpoch
    ? snapshotLoss(ctx, tLast)
    : null;
  const first = r.steps[0] ? perRow(r.steps[0]) : NaN;
  if (inferenceLoss === null || !Number.isFinite(trainingLoss) || !Number.isFinite(first)) return null;
  const hurt = inferenceLoss >= HURT_LOSS_RATIO * trainingLoss && inferenceLoss - trainingLoss >= 0.1 * first;
  if (!hurt) return null;

  const positions = positionsPerLayer(ctx);
  const lastBatchRows = lastSteps[lastSteps.length - 1].batchRows;
  const stale = r.batchNorm.flatMap((record) => {
    const i = record.epochs.findIndex((e) => e.epoch === lastEpoch);
    if (i < 0) return [];
    const gap = statisticsGap(record, i);
    const values = lastBatchRows * (positions.get(record.layer) ?? 1);
    const threshold = Math.max(STALE_DISTORTION, 2 * Math.sqrt(1.5 / values));
    const typical = median(gap.distortion);
    return typical >= threshold ? [{ record, gap, typical, threshold, values }] : [];
  });
  if (stale.length === 0) return null;

  const steps = r.steps.length;
  const names = stale.map((s) => `layer ${s.record.layer + 1}`).join(", ");
  const worst = stale.reduce((a, b) => (b.typical > a.typical ? b : a));
  const momentum = worst.record.momentum;
  const startWeight = Math.pow(momentum, steps);
  const suggested = suggestedMomentum(steps);
  const vLast = snapshot(r, "validation", "last");
  const validationLoss = vLast && vLast.epoch === lastEpoch ? snapshotLoss(ctx, vLast) : null;
  const summary = (xs: number[]) => ({
    median: sig(median(xs)),
    min: sig(Math.min(...xs)),
    max: sig(Math.max(...xs)),
  });
  return makeFinding("batchnorm-stale-statistics", {
    title: `batch normalization evaluates with stale moving statistics: ${names} after ${steps} steps ` +
      `at momentum ${momentum}`,
    message: `After ${steps} training steps the moving statistics of ${names} still weigh their start ` +
      `(mean 0, variance 1) by ${fmt(startWeight)} (momentum ${momentum}^${steps}), and they are far ` +
      `from the statistics of the batches: evaluation normalises each value with an error of ` +
      `${fmt(worst.typical)} standard deviations in the median channel. In inference mode the model ` +
      `loses ${fmt(inferenceLoss)} on its own training rows against ${fmt(trainingLoss)} in training ` +
      `mode in the same epoch` +
      (validationLoss !== null ? ` (validation: ${fmt(validationLoss)})` : "") +
      `: the model that is evaluated and shipped is not the one training fitted.`,
    evidence: {
      layers: stale.map((s) => ({
        layer: s.record.layer + 1,
        momentum: s.record.momentum,
        channels: s.gap.distortion.length,
        valuesPerChannelInLastBatch: s.values,
        distortion: summary(s.gap.distortion),
        distortionThreshold: sig(s.threshold),
        standardisedMeanGap: summary(s.gap.meanGap),
        varianceRatio: summary(s.gap.varianceRatio),
      })),
      stepsTrained: steps,
      startWeightInMovingStatistics: sig(startWeight),
      trainingModeLoss: sig(trainingLoss),
      inferenceModeTrainLoss: sig(inferenceLoss),
      inferenceModeValidationLoss: validationLoss === null ? null : sig(validationLoss),
      lossRatio: sig(inferenceLoss / trainingLoss),
      lossRatioThreshold: HURT_LOSS_RATIO,
    },
    remedy: {
      kind: "set-batchnorm-momentum",
      layers: stale.map((s) => s.record.layer + 1),
      momentum: suggested,
    },
    fix: `Lower the batch-norm momentum to ${suggested} (PyTorch's default momentum 0.1 is 0.9 in ` +
      `Keras's terms) so the moving statistics follow the data within the run's ${steps} steps, or ` +
      `train for many more steps (${stepsToForget(momentum)}).`,
  });
}
