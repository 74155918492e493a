/**
 * Detectors of how training moved: the batches it saw, the loss curve, gradient and update
 * magnitudes per layer, unit activity, symmetry of the initial weights, and the first loss.
 *
 * Calibration sources, cited at each threshold:
 * - AUTOTRAINER (Zhang et al., ICSE 2021), `utils/monitor.py` defaults: vanishing when
 *   ‖∇W_first‖/‖∇W_last‖ < β1 = 1e-3 (and ‖∇W_first‖ < β2 = 1e-4); exploding when that ratio > β3 = 70;
 *   dying ReLU when ≥ γ = 0.7 of gradients are zero; unstable loss when swings of ≥ ζ = 0.03 occur in
 *   ≥ η = 0.2 of the epochs; slow convergence when no epoch gains δ = 0.01; satisfied accuracy Θ = 0.7.
 * - TheDeepChecker (Ben Braiek & Khomh, TOSEM 2023), activation checks: a layer is flagged when more
 *   than 50% of its neurons are dead (`neurons_ratio_max_thresh` 0.5) or saturated (same 0.5).
 * - DeepDiagnosis (Wardat et al., ICSE 2022): the symptom-then-cause order used here (numerical
 *   error → exploding tensor → dead / saturated units → loss not decreasing → accuracy not increasing).
 * - Karpathy, CS231n "Neural Networks Part 3" (babysitting the learning process): the ratio of the
 *   update magnitude to the weight magnitude should be around 1e-3; much lower means the learning
 *   rate is probably too low, much higher that it is probably too high.
 *
 * @module
 */
import { lossPerRow, reduceLoss } from "../reference/losses.ts";
import type { Matrix } from "../reference/matrix.ts";
import { Rng } from "../random.ts";
import { DEFAULT_LEARNING_RATE } from "../scenario/schema.ts";
import type { Finding } from "../report/types.ts";
import { median } from "./_stats.ts";
import { makeFinding } from "./finding.ts";
import {
  fmt,
  globalGradNorms,
  layerCount,
  layerName,
  layerSeries,
  lossConfig,
  lossTrajectory,
  mean,
  medianUpdateRatios,
  outputActivation,
  outputsOf,
  progress,
  sig,
  snapshot,
  std,
  type TrainingContext,
  updateRatioStats,
  updateScaleStats,
} from "./training_signals.ts";
import { outputLayer, recordedLayers } from "../layers/mod.ts";

/** Karpathy's rule of thumb for ‖ΔW‖/‖W‖ per step (CS231n). */
export const HEALTHY_UPDATE_RATIO = 1e-3;

// ---------------------------------------------------------------------------------------------
// repeated-batch

/**
 * One batch fingerprint over most steps although the training split holds more rows than a batch.
 * In a correct epoch loop each batch occurs once per epoch, so no fingerprint can hold more than
 * 1/⌈rows/batch⌉ of the steps; we require a share of at least twice that (and at least half of all
 * steps, and 3 occurrences), which a correct loader cannot produce even without shuffling.
 */
export function detectRepeatedBatch(ctx: TrainingContext): Finding | null {
  const steps = ctx.records.steps;
  const rows = ctx.targets.train.rows, batch = ctx.scenario.training.batchSize;
  if (steps.length < 3 || rows <= batch) return null;
  const seen = new Map<number, { count: number; first: number; last: number }>();
  for (const s of steps) {
    const e = seen.get(s.fingerprint);
    if (e) {
      e.count++;
      e.last = s.step;
    } else seen.set(s.fingerprint, { count: 1, first: s.step, last: s.step });
  }
  let top: [number, { count: number; first: number; last: number }] | null = null;
  for (const entry of seen) if (!top || entry[1].count > top[1].count) top = entry;
  if (!top) return null;
  const expectedDistinct = Math.ceil(rows / batch);
  const share = top[1].count / steps.length;
  const bound = Math.min(1, Math.max(0.5, 2 / expectedDistinct));
  if (share < bound || top[1].count < 3) return null;
  const lastStep = steps[steps.length - 1];
  const lastHistory = ctx.records.history[ctx.records.history.length - 1];
  const fullLoss = lastHistory?.train.loss ?? null;
  return makeFinding("repeated-batch", {
    title: `The same batch was used in ${top[1].count} of ${steps.length} steps`,
    message: `Batch fingerprint ${hex(top[0])} appears at ${top[1].count} of ${steps.length} ` +
      `steps (${seen.size} distinct batches in all), but ${rows} training rows in batches of ${batch} give ` +
      `${expectedDistinct} different batches per epoch. The model fits that one batch: its batch loss ` +
      `(${fmt(lastStep.loss)} at the last step) says nothing about the other rows` +
      (fullLoss !== null ? ` (full training split: ${fmt(fullLoss)})` : "") + ".",
    evidence: {
      fingerprint: hex(top[0]),
      steps: top[1].count,
      totalSteps: steps.length,
      share: sig(share),
      firstStep: top[1].first,
      lastStep: top[1].last,
      distinctFingerprints: seen.size,
      expectedDistinctPerEpoch: expectedDistinct,
      trainRows: rows,
      batchSize: batch,
      lastBatchLoss: sig(lastStep.loss),
      lastFullTrainLoss: fullLoss === null ? null : sig(fullLoss),
    },
    fix: "Iterate over the whole training set each epoch (a new batch every step, shuffled), e.g. " +
      "`training.sameBatchEveryStep: false`; in a hand-written loop, index the batch by the step.",
  });
}

function hex(x: number): string {
  return "0x" + (x >>> 0).toString(16).padStart(8, "0");
}

// ---------------------------------------------------------------------------------------------
// non-finite-loss

/** Where the loss or the weights first became NaN/Inf: the training phase, else the per-step counts. */
export function detectNonFiniteLoss(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  let step: number | null = null, epoch: number | null = null, layer: number | null = null, what = "";
  if (r.phase.status === "diverged") {
    ({ step, epoch, layer } = r.phase);
    what = r.phase.what;
  } else {
    if (r.initialLoss !== null && !Number.isFinite(r.initialLoss)) {
      step = 0, epoch = 1, what = `the loss of the first batch was ${r.initialLoss}`;
    }
    for (const s of step === null ? r.steps : []) {
      const bad = s.layers.findIndex((l) => l.nonFinite > 0);
      if (!Number.isFinite(s.loss) || bad >= 0) {
        step = s.step, epoch = s.epoch, layer = bad >= 0 ? bad : null;
        what = !Number.isFinite(s.loss)
          ? `the batch loss was ${s.loss}`
          : `${s.layers[bad].nonFinite} non-finite values in the weights or gradients`;
        break;
      }
    }
    if (step === null) {
      const h = r.history.find((e) =>
        [e.train.loss, e.validation?.loss].some((v) => typeof v === "number" && !Number.isFinite(v))
      );
      if (!h) return null;
      epoch = h.epoch, what = `the full-pass loss after epoch ${h.epoch} was not finite`;
    }
  }
  const before = r.steps.filter((s) => step === null || s.step < step);
  const finite = before.map((s) => s.loss).filter(Number.isFinite);
  const norms = globalGradNorms({ ...r, steps: before }).filter(Number.isFinite);
  const growth = norms.length >= 2 && norms[0] > 0 ? Math.max(...norms) / norms[0] : null;
  const lossGrowth = finite.length >= 2 && finite[0] > 0 ? finite[finite.length - 1] / finite[0] : null;
  const where = layer === null ? "" : ` in ${layerName(ctx.scenario, layer)}`;
  const atStart = step === 0 || (step !== null && finite.length === 0);
  return makeFinding("non-finite-loss", {
    title: `Training produced NaN/Inf at step ${step ?? "?"} (epoch ${epoch ?? "?"})${where}`,
    message: `First non-finite value at step ${step ?? "?"}, epoch ${epoch ?? "?"}${where}: ${what}. ` +
      (atStart
        ? "It happened before any finite step, which points at the inputs (NaN/Inf in the data) or a " +
          "loss that takes log(0)/divides by zero on the initial outputs."
        : `Before that the loss went from ${fmt(finite[0])} to ${fmt(finite[finite.length - 1])}` +
          (growth !== null ? ` and the gradient norm grew ${fmt(growth)}×` : "") +
          ": the updates overflowed float32."),
    evidence: {
      step,
      epoch,
      layer: layer === null ? null : layer + 1,
      layerName: layer === null ? null : layerName(ctx.scenario, layer),
      what,
      phase: r.phase.status,
      finiteStepsBefore: finite.length,
      firstLoss: finite.length ? sig(finite[0]) : null,
      lastFiniteLoss: finite.length ? sig(finite[finite.length - 1]) : null,
      lossGrowth: lossGrowth === null ? null : sig(lossGrowth),
      gradNormGrowth: growth === null ? null : sig(growth),
    },
    fix: atStart
      ? "Remove or impute NaN/Inf in the data; use a loss with `fromLogits: true` for numerically stable logs."
      : "Lower the learning rate (÷10), standardize the features, or clip gradients.",
  });
}

// ---------------------------------------------------------------------------------------------
// Loss shape helpers

/**
 * A loss curve with the step noise averaged out: the engine's full-pass training loss per epoch
 * (no dropout, fixed data: only the weights change), or when fewer than 4 epochs exist, the batch
 * losses averaged over 8 equal windows of steps.
 */
function smoothedLoss(ctx: TrainingContext): { values: number[]; source: string } {
  const epochs = ctx.records.history.map((h) => h.train.loss ?? NaN).filter(Number.isFinite);
  if (epochs.length >= 4) return { values: epochs, source: "full-pass training loss per epoch" };
  const losses = ctx.records.steps.map((s) => s.loss).filter(Number.isFinite);
  const windows = 8, size = Math.floor(losses.length / windows);
  if (size < 3) return { values: epochs, source: "full-pass training loss per epoch" };
  const values: number[] = [];
  for (let w = 0; w < windows; w++) values.push(mean(losses.slice(w * size, (w + 1) * size)));
  return { values, source: `batch loss averaged over windows of ${size} steps` };
}

/**
 * Oscillation of a smoothed curve: rises of ≥ 10% over the previous point in at least 20% of the
 * intervals (AUTOTRAINER's η = 0.2 rate; its ζ = 0.03 swing is on accuracy, a bounded scale — on a
 * loss, whose scale is free, we use a relative 10%), and rises that give back at least half of the
 * descent. Averaging over an epoch removes most SGD noise: a noisy but decreasing curve keeps its
 * rises small and its net descent large.
 */
function oscillation(values: number[]): { oscillating: boolean; bigRises: number; giveBack: number } {
  let ups = 0, downs = 0, bigRises = 0, falls = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i] - values[i - 1];
    if (d > 0) ups += d;
    else downs -= d;
    if (d < 0) falls++;
    if (d > 0 && values[i - 1] > 0 && d / values[i - 1] >= 0.1) bigRises++;
  }
  const intervals = values.length - 1;
  const giveBack = downs > 0 ? ups / downs : ups > 0 ? Infinity : 0;
  // A curve that only rises diverges; oscillation needs falls between the rises.
  const oscillating = intervals >= 3 && bigRises >= Math.max(2, Math.ceil(0.2 * intervals)) &&
    falls >= 2 && giveBack >= 0.5;
  return { oscillating, bigRises, giveBack };
}

// ---------------------------------------------------------------------------------------------
// learning-rate-too-high / learning-rate-too-low

/**
 * Whether the optimizer steps no larger than Keras's default for it (SGD with momentum β steps like
 * lr/(1-β) once the velocity builds up). Keras's defaults train sane setups, so a run that diverges at
 * or below one had its gradients made large by something else (initialisation, unscaled inputs or
 * targets): exploding-gradients and the data detectors name that cause, and a smaller learning rate
 * would only slow the blow-up down.
 */
function atOrBelowDefaultRate(optimizer: TrainingContext["scenario"]["optimizer"]): boolean {
  const effective = optimizer.name === "sgd"
    ? optimizer.learningRate / (1 - Math.min(optimizer.momentum, 0.99))
    : optimizer.learningRate;
  // 1e-9: 0.001 / (1 - 0.9) is 0.010000000000000002 in binary floating point.
  return effective <= DEFAULT_LEARNING_RATE[optimizer.name] * (1 + 1e-9);
}

/**
 * The loss diverges (becomes non-finite after finite steps, ends 10% above where it started, or
 * spikes to twice its start and does not come back below half of it), oscillates, or stays flat,
 * while the updates are large against the weights. "Large", per layer, against Karpathy's ~1e-3:
 * a median ‖ΔW‖/‖W‖ ≥ 1e-2 (10×), or a burst (peak of a 3-step running median) ≥ 1e-1 (100×), or a
 * single step that moved the weights by more than their own norm (ratio ≥ 1). A flat loss has many
 * other causes, so it needs the burst or the single step, measured against the weights' initial
 * scale (updateScaleStats). Divergence at or below Keras's default rate is left to the detectors of
 * its cause (atOrBelowDefaultRate). Divergence is an error; oscillation and a flat loss are warnings.
 */
export function detectLearningRateTooHigh(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const stats = updateRatioStats(r).filter((x) => Number.isFinite(x.median));
  if (stats.length === 0) return null;
  const maxMedian = Math.max(...stats.map((x) => x.median));
  const maxPeak = Math.max(...stats.map((x) => x.peak));
  const maxStep = Math.max(...stats.map((x) => x.max));
  const large = maxMedian >= 1e-2 || maxPeak >= 1e-1 || maxStep >= 1;
  // A flat loss has many causes, so it needs steps that are large in themselves, not ratios that
  // are large because the weights shrank towards zero (see updateScaleStats).
  const scale = updateScaleStats(r).filter((x) => Number.isFinite(x.median));
  const burst = scale.some((x) => x.peak >= 1e-1 || x.max >= 1);
  if (!large) return null;
  const traj = lossTrajectory(ctx);
  const firstBad = r.steps.findIndex((s) =>
    !Number.isFinite(s.loss) || s.layers.some((l) => l.nonFinite > 0)
  );
  const blewUp = (r.phase.status === "diverged" || firstBad > 0) && firstBad !== 0;
  const rising = traj.start !== null && traj.end !== null && traj.end > 1.1 * traj.start;
  const perRow = historyPerRow(ctx);
  const spike = perRow.length ? Math.max(...perRow) : NaN;
  const spiked = traj.start !== null && traj.end !== null && spike >= 2 * traj.start &&
    traj.end >= 0.5 * traj.start;
  const smooth = smoothedLoss(ctx);
  const osc = oscillation(smooth.values);
  const flat = traj.improvement !== null && traj.improvement < 0.1;
  let kind: "diverges" | "oscillates" | "stays flat" | null = null;
  if ((blewUp || rising || spiked) && !atOrBelowDefaultRate(ctx.scenario.optimizer)) kind = "diverges";
  else if (osc.oscillating) kind = "oscillates";
  else if (flat && burst) kind = "stays flat";
  if (!kind) return null;
  const lr = ctx.scenario.optimizer.learningRate;
  const worst = updateRatioStats(r).findIndex((x) => x.peak === maxPeak);
  const curve = smooth.values.slice(0, 12).map((v) => sig(v, 3));
  const sizeText = maxMedian >= 1e-2
    ? `a median ${fmt(maxMedian)} of their norm per step`
    : maxPeak >= 1e-1
    ? `${fmt(maxPeak)} of their norm per step during a burst`
    : `${fmt(maxStep)}× their norm in a single step`;
  return makeFinding("learning-rate-too-high", {
    severity: kind === "diverges" ? "error" : "warning",
    title: `The loss ${kind} while the updates reach ${
      fmt(Math.max(maxMedian, maxPeak, maxStep) / HEALTHY_UPDATE_RATIO)
    }× the ~1e-3 rule of thumb`,
    message:
      `With ${ctx.scenario.optimizer.name} at learning rate ${lr}, the updates change the weights of ` +
      `${
        layerName(ctx.scenario, Math.max(0, worst))
      } by ${sizeText} (‖ΔW‖/‖W‖; CS231n's rule of thumb is ~1e-3). ` +
      `The loss ${kind}: ` +
      (kind === "diverges"
        ? blewUp
          ? "it became non-finite after finite steps."
          : spiked && !rising
          ? `it jumped to ${fmt(spike)} from ${fmt(traj.start)} and ended at ${fmt(traj.end)}.`
          : `it ended at ${fmt(traj.end)} against ${fmt(traj.start)} at the start.`
        : kind === "oscillates"
        ? `${osc.bigRises} rises of 10% or more in the ${smooth.source}, giving back ${
          fmt(100 * osc.giveBack)
        }% of the descent.`
        : `it removed only ${fmt(100 * (traj.improvement ?? 0))}% of the initial loss.`),
    evidence: {
      learningRate: lr,
      optimizer: ctx.scenario.optimizer.name,
      updateRatioPerLayer: updateRatioStats(r).map((x) => ({
        median: sig(x.median, 3),
        peak: sig(x.peak, 3),
        max: sig(x.max, 3),
      })),
      ruleOfThumb: HEALTHY_UPDATE_RATIO,
      pattern: kind,
      initialLoss: traj.start === null ? null : sig(traj.start),
      finalLoss: traj.end === null ? null : sig(traj.end),
      peakEpochLoss: Number.isFinite(spike) ? sig(spike) : null,
      becameNonFinite: blewUp,
      smoothedLoss: curve,
      smoothedLossSource: smooth.source,
      bigRises: osc.bigRises,
      explains: blewUp ? ["non-finite-loss", "exploding-gradients"] : ["not-learning", "dead-relu"],
    },
    remedy: { kind: "scale-learning-rate", factor: 0.1 },
    fix: `Divide the learning rate by 10 (${lr} → ${
      sig(lr / 10)
    }) and retrain; watch ‖ΔW‖/‖W‖ settle near 1e-3.`,
  });
}

/**
 * The engine's full-pass training loss per epoch, per row: divided by the batch size under `sum`
 * reduction (Keras evaluates a summed loss per batch and averages the batches).
 */
function historyPerRow(ctx: TrainingContext): number[] {
  const k = ctx.scenario.loss.reduction === "sum" ? ctx.scenario.training.batchSize : 1;
  return ctx.records.history.map((h) => (h.train.loss ?? NaN) / k).filter(Number.isFinite);
}

/**
 * The loss barely moves (< 5% of the initial loss removed), every layer's median step update is below
 * 1e-4 of its weights (ten times below Karpathy's ~1e-3) and no layer moved 5% of its initial norm
 * over the whole run. The loss condition keeps small but converging learning rates quiet; the
 * whole-run movement catches Adam, whose per-step ratio is ≈ lr/|w| however small the gradient is.
 */
export function detectLearningRateTooLow(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  if (r.phase.status !== "completed" || r.steps.length === 0) return null;
  // Layers whose weights are 0 have no ratio to speak of, and a run whose gradients are all 0 does not
  // move for a reason other than the learning rate (constant initialization, dead units).
  const ratios = medianUpdateRatios(r);
  const live = ratios.filter((_, l) => median(layerSeries(r, l, "weightNorm")) > 0);
  const grads = ratios.map((_, l) => median(layerSeries(r, l, "gradNorm")));
  if (live.length === 0 || live.some((x) => !Number.isFinite(x)) || !grads.some((g) => g > 0)) return null;
  const maxRatio = Math.max(...live);
  const traj = lossTrajectory(ctx);
  if (traj.improvement === null || traj.improvement >= 0.05 || maxRatio >= 1e-4) return null;
  const moved = r.initialWeights.map((w0, i) => relativeChange(w0.weights, r.finalWeights[i]?.weights));
  if (moved.some((m) => !Number.isFinite(m) || m >= 0.05)) return null;
  const lr = ctx.scenario.optimizer.learningRate;
  return makeFinding("learning-rate-too-low", {
    title: `The loss barely moved: updates are ${fmt(maxRatio)} of the weights per step`,
    message: `In ${r.steps.length} steps the loss went from ${fmt(traj.start)} to ${fmt(traj.end)} ` +
      `(${fmt(100 * traj.improvement)}% removed). The largest median per-step update is ${
        fmt(maxRatio)
      } of a ` +
      `layer's weights, ${
        fmt(HEALTHY_UPDATE_RATIO / maxRatio)
      }× below the ~1e-3 rule of thumb, and over the ` +
      `whole run no layer moved more than ${fmt(100 * Math.max(...moved))}% of its initial norm.`,
    evidence: {
      learningRate: lr,
      optimizer: ctx.scenario.optimizer.name,
      medianUpdateRatioPerLayer: ratios.map((x) => sig(x, 3)),
      maxMedianUpdateRatio: sig(maxRatio, 3),
      ruleOfThumb: HEALTHY_UPDATE_RATIO,
      relativeWeightChangePerLayer: moved.map((x) => sig(x, 3)),
      initialLoss: sig(traj.start ?? NaN),
      finalLoss: sig(traj.end ?? NaN),
      lossRemoved: sig(traj.improvement),
      steps: r.steps.length,
      explains: ["not-learning"],
    },
    remedy: { kind: "scale-learning-rate", factor: 10 },
    fix: `Multiply the learning rate by 10 (${lr} → ${sig(lr * 10)}), or train for many more epochs.`,
  });
}

/** ‖W1 − W0‖ / ‖W0‖ (Infinity when W0 = 0 and W1 ≠ 0; 0 when both are 0). */
function relativeChange(w0: Float64Array, w1: Float64Array | undefined): number {
  if (!w1 || w1.length !== w0.length) return NaN;
  let d = 0, n = 0;
  for (let i = 0; i < w0.length; i++) {
    d += (w1[i] - w0[i]) ** 2;
    n += w0[i] ** 2;
  }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}

// ---------------------------------------------------------------------------------------------
// vanishing-gradients / exploding-gradients

function medianGradNorms(ctx: TrainingContext): number[] {
  const out: number[] = [];
  for (let l = 0; l < layerCount(ctx.records); l++) {
    out.push(median(layerSeries(ctx.records, l, "gradNorm").filter(Number.isFinite)));
  }
  return out;
}

/**
 * The first layer's median gradient norm is below 1e-3 of the last layer's (AUTOTRAINER β1 = 1e-3),
 * or below 1e-2 through at least two sigmoid/tanh hidden layers (whose shrinking is the known
 * mechanism), in a net with at least two hidden layers, and learning stalls (see `progress`). AUTOTRAINER also
 * asks ‖∇W_first‖ < β2 = 1e-4; an absolute norm depends on the loss and data scale, so it is reported,
 * not required.
 */
export function detectVanishingGradients(ctx: TrainingContext): Finding | null {
  const g = medianGradNorms(ctx);
  if (g.length < 3 || !g.every((x) => Number.isFinite(x))) return null;
  const last = g[g.length - 1];
  if (!(last > 0)) return null;
  const ratio = g[0] / last;
  const acts = recordedLayers(ctx.scenario.model.layers).slice(0, -1).map((l) => l.activation);
  const squashing = acts.filter((a) => a === "sigmoid" || a === "tanh").length;
  // Through a stack of squashing layers the mechanism is known (each sigmoid multiplies the backward
  // signal by at most 0.25), so a 100× shortfall with learning stalled already names it; elsewhere
  // AUTOTRAINER's 1e-3.
  const threshold = squashing >= 2 ? 1e-2 : 1e-3;
  if (ratio >= threshold) return null;
  const p = progress(ctx);
  if (!p.stalled) return null;
  return makeFinding("vanishing-gradients", {
    title: `The first layer's gradients are ${
      fmt(1 / ratio)
    }× smaller than the last layer's and learning stalls`,
    message:
      `Median gradient norm per layer, input to output: ${g.map(fmt).join(", ")}. The first layer gets ` +
      `${fmt(ratio)} of the last layer's gradient (below ${threshold}), so the early layers barely ` +
      `change, and ${p.why.join("; ")}.` +
      (squashing
        ? ` ${squashing} hidden layer(s) use sigmoid/tanh, whose derivative (≤ 0.25 for sigmoid) shrinks the gradient at every layer.`
        : ""),
    evidence: {
      medianGradNormPerLayer: g.map((x) => sig(x, 3)),
      firstToLastRatio: sig(ratio, 3),
      threshold,
      firstLayerBelowAutotrainerBeta2: g[0] < 1e-4,
      hiddenActivations: acts,
      stalled: p.why,
      explains: ["not-learning"],
    },
    fix: "Use ReLU (or leaky-ReLU) hidden layers with he-normal init, fewer layers, or standardized inputs.",
  });
}

/**
 * Gradient norms that grow by at least two orders of magnitude during training (from the median of
 * the first steps to the peak of a 3-step running median, so one spike does not count), while the
 * loss diverges, becomes non-finite or stalls. AUTOTRAINER's other form — first/last layer ratio
 * > β3 = 70 with a stalled run — is used as a second trigger.
 */
export function detectExplodingGradients(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const norms = globalGradNorms(r);
  const firstBad = norms.findIndex((x) => !Number.isFinite(x));
  const finite = firstBad < 0 ? norms : norms.slice(0, firstBad);
  const nonFinite = firstBad >= 0 || r.phase.status === "diverged";
  const traj = lossTrajectory(ctx);
  const p = progress(ctx);
  const diverging = nonFinite || (traj.start !== null && traj.end !== null && traj.end > traj.start);
  let growth: number | null = null, early: number | null = null, peak: number | null = null;
  if (finite.length >= 8) {
    const k = Math.max(3, Math.min(10, Math.floor(finite.length / 10)));
    early = median(finite.slice(0, k));
    peak = 0; // after the early window only: growth is forward in time
    for (let i = k + 1; i + 1 < finite.length; i++) peak = Math.max(peak, median(finite.slice(i - 1, i + 2)));
    growth = early > 0 ? peak / early : null;
  } else if (finite.length >= 2 && nonFinite) {
    // A run that overflowed within a few steps: the whole finite prefix is the evidence, from its
    // first step to its largest.
    early = finite[0];
    peak = Math.max(...finite.slice(1));
    growth = early > 0 ? peak / early : null;
  }
  const g = medianGradNorms(ctx);
  const layerRatio = g.length >= 2 && g[g.length - 1] > 0 ? g[0] / g[g.length - 1] : null;
  const temporal = growth !== null && growth >= 100 && (diverging || p.stalled);
  const spatial = layerRatio !== null && Number.isFinite(layerRatio) && layerRatio > 70 && p.stalled;
  if (!temporal && !spatial) return null;
  return makeFinding("exploding-gradients", {
    severity: nonFinite ? "error" : "warning",
    title: temporal
      ? `Gradient norms grew ${fmt(growth)}× during training`
      : `The first layer's gradients are ${fmt(layerRatio)}× the last layer's and learning stalls`,
    message: (temporal
      ? `The global gradient norm went from ${fmt(early)} in the first steps to ${fmt(peak)}` +
        (nonFinite ? " and then overflowed" : "") + "; "
      : `Median gradient norm per layer, input to output: ${
        g.map(fmt).join(", ")
      } (AUTOTRAINER flags a ratio > 70); `) +
      (diverging ? "the loss diverged." : `${p.why.join("; ")}.`),
    evidence: {
      earlyGradNorm: early === null ? null : sig(early),
      peakGradNorm: peak === null ? null : sig(peak),
      growth: growth === null ? null : sig(growth),
      growthThreshold: 100,
      medianGradNormPerLayer: g.map((x) =>
        sig(x, 3)
      ),
      firstToLastRatio: layerRatio === null ? null : sig(layerRatio, 3),
      becameNonFinite: nonFinite,
      explains: ["non-finite-loss"],
    },
    fix: "Lower the learning rate, standardize the features, or clip the gradient norm.",
  });
}

// ---------------------------------------------------------------------------------------------
// dead-relu / saturated-activations

/**
 * More than half of a ReLU hidden layer's units are never active on the whole training split
 * (TheDeepChecker's `neurons_ratio_max_thresh` 0.5; AUTOTRAINER uses γ = 0.7 on zero gradients),
 * with at least 2 dead units. From the last training snapshot's per-unit activity; an error when the
 * whole layer is dead, because the output then no longer depends on the input.
 */
export function detectDeadRelu(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const last = snapshot(r, "train", "last");
  // After a blow-up the activity is NaN-driven, not dead units: non-finite-loss says what happened.
  if (!last || r.phase.status === "diverged" || last.outputs.some((v) => !Number.isFinite(v))) return null;
  const first = snapshot(r, "train", 0);
  const layers: Record<string, unknown>[] = [];
  let worstFrac = 0, worstLayer = -1;
  const recorded = recordedLayers(ctx.scenario.model.layers);
  recorded.forEach((spec, l) => {
    if (spec.activation !== "relu" || l === recorded.length - 1) return;
    const act = last.unitActivity[l];
    if (!act) return;
    const dead = countDead(act);
    const frac = dead / act.length;
    const init = first?.unitActivity[l] ? countDead(first.unitActivity[l]!) : null;
    if (dead >= 2 && frac > 0.5) {
      layers.push({ layer: l + 1, units: act.length, dead, deadFraction: sig(frac, 3), deadAtInit: init });
      if (frac > worstFrac) (worstFrac = frac), (worstLayer = l);
    }
  });
  if (worstLayer < 0) return null;
  const w = layers.find((x) => x.layer === worstLayer + 1)!;
  const diedInTraining = typeof w.deadAtInit === "number" && (w.dead as number) > (w.deadAtInit as number);
  return makeFinding("dead-relu", {
    severity: worstFrac === 1 ? "error" : "warning",
    title: `${w.dead} of ${w.units} ReLU units in ${layerName(ctx.scenario, worstLayer)} never activate`,
    message:
      `On all ${last.rows} training rows after epoch ${last.epoch}, ${w.dead} of ${w.units} units of ` +
      `${layerName(ctx.scenario, worstLayer)} output 0 (dead units get no gradient and never recover)` +
      (w.deadAtInit === null
        ? "."
        : diedInTraining
        ? `; only ${w.deadAtInit} were dead at initialization, so training killed them (large updates pushed their biases negative).`
        : `; ${w.deadAtInit} were already dead at initialization (init scale or unscaled inputs).`) +
      (worstFrac === 1 ? " The whole layer is dead: the output no longer depends on the input." : ""),
    evidence: {
      layers,
      snapshotEpoch: last.epoch,
      rows: last.rows,
      threshold: 0.5,
      explains: ["not-learning"],
    },
    fix: diedInTraining
      ? "Lower the learning rate; or use leaky-relu / elu, which keep a gradient for negative inputs."
      : "Use he-normal initialization and standardized inputs; or leaky-relu / elu.",
  });
}

function countDead(activity: Float64Array): number {
  let n = 0;
  for (const a of activity) if (a === 0) n++;
  return n;
}

/**
 * At least half of a sigmoid/tanh/softmax hidden layer's pre-activations sit in the flat tails
 * (TheDeepChecker's saturation `neurons_ratio_max_thresh` 0.5), as the median over the last epoch's
 * steps. Output layers are skipped: a confident classifier's output is saturated by design.
 */
export function detectSaturatedActivations(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  if (r.steps.length === 0) return null;
  const lastEpoch = r.steps[r.steps.length - 1].epoch;
  const firstEpoch = r.steps[0].epoch;
  const layers: { layer: number; activation: string; saturated: number; atStart: number }[] = [];
  const recorded = recordedLayers(ctx.scenario.model.layers);
  recorded.forEach((spec, l) => {
    if (l === recorded.length - 1) return;
    if (spec.activation !== "sigmoid" && spec.activation !== "tanh" && spec.activation !== "softmax") return;
    const at = (epoch: number) =>
      median(r.steps.filter((s) => s.epoch === epoch).map((s) => s.layers[l]?.saturatedFraction ?? NaN));
    const end = at(lastEpoch);
    if (end >= 0.5) {
      layers.push({
        layer: l + 1,
        activation: spec.activation,
        saturated: sig(end, 3),
        atStart: sig(at(firstEpoch), 3),
      });
    }
  });
  if (layers.length === 0) return null;
  const w = layers.reduce((a, b) => (b.saturated > a.saturated ? b : a));
  return makeFinding("saturated-activations", {
    title: `${fmt(100 * w.saturated)}% of ${
      layerName(ctx.scenario, w.layer - 1)
    }'s pre-activations are in the flat tails`,
    message:
      `In the last epoch a median ${fmt(100 * w.saturated)}% of the ${w.activation} pre-activations of ` +
      `${layerName(ctx.scenario, w.layer - 1)} sit where the derivative is below ~2% of its peak ` +
      `(${fmt(100 * w.atStart)}% in the first epoch), so almost no gradient flows through the layer.`,
    evidence: { layers, threshold: 0.5, explains: ["vanishing-gradients", "not-learning"] },
    fix:
      "Standardize the inputs, use glorot/he initialization (smaller initial weights), or ReLU hidden layers.",
  });
}

// ---------------------------------------------------------------------------------------------
// constant-initialization

/**
 * A hidden layer whose units start with identical weight columns (and biases) gets identical
 * gradients, so its units stay copies of one another: the layer has an effective width of 1. We
 * require both halves of the mechanism: identical columns at initialization, and columns still
 * identical (within float32 round-off, 1e-5 relative) in the final weights.
 */
export function detectConstantInitialization(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const hits: Record<string, unknown>[] = [];
  for (let l = 0; l < r.initialWeights.length - 1; l++) {
    const w0 = r.initialWeights[l], w1 = r.finalWeights[l];
    if (!w1 || w0.units < 2) continue;
    if (distinctColumns(w0.weights, w0.biases, w0.inputs, w0.units, 0) !== 1) continue;
    const scale = Math.max(1e-30, ...Array.from(w1.weights, Math.abs));
    const finalDistinct = distinctColumns(w1.weights, w1.biases, w1.inputs, w1.units, 1e-5 * scale);
    if (finalDistinct !== 1) continue;
    hits.push({
      layer: l + 1,
      units: w0.units,
      initialValue: sig(w0.weights[0]),
      distinctColumnsAtInit: 1,
      distinctColumnsAtEnd: finalDistinct,
      finalColumnSpread: sig(columnSpread(w1.weights, w1.inputs, w1.units), 3),
    });
  }
  if (hits.length === 0) return null;
  const h = hits[0];
  const init = ctx.scenario.model.init;
  return makeFinding("constant-initialization", {
    title: `${
      layerName(ctx.scenario, (h.layer as number) - 1)
    } started with identical weights and its units are still copies`,
    message: `Every unit of ${layerName(ctx.scenario, (h.layer as number) - 1)} started with the weight ` +
      `${h.initialValue} (init ${init.kind}); identical units get identical gradients, and after training ` +
      `the layer's ${h.units} weight columns are still identical (largest spread ${h.finalColumnSpread}). ` +
      `The layer works as a single unit.`,
    evidence: { layers: hits, init: init.kind, explains: ["not-learning", "underfitting"] },
    remedy: { kind: "random-init" },
    fix: 'Use a random initializer: "glorot-uniform" (default) or "he-normal" for ReLU layers.',
  });
}

function distinctColumns(
  w: Float64Array,
  b: Float64Array,
  inputs: number,
  units: number,
  tol: number,
): number {
  const reps: number[] = [];
  for (let j = 0; j < units; j++) {
    const same = reps.some((k) => {
      if (Math.abs(b[j] - b[k]) > tol) return false;
      for (let i = 0; i < inputs; i++) if (Math.abs(w[i * units + j] - w[i * units + k]) > tol) return false;
      return true;
    });
    if (!same) reps.push(j);
  }
  return reps.length;
}

function columnSpread(w: Float64Array, inputs: number, units: number): number {
  let s = 0;
  for (let i = 0; i < inputs; i++) {
    for (let j = 1; j < units; j++) s = Math.max(s, Math.abs(w[i * units + j] - w[i * units]));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// initial-loss-anomaly

/**
 * The first loss compared with what an untrained model should give, derived with the float64 loss
 * reference: the loss of the neutral output (zero logits / uniform probabilities / 0.5 / zero for
 * regression) on the training targets — ln C for softmax cross-entropy, ln 2 for BCE, E[y²] for MSE.
 * Its spread comes from the actual initial predictions: the loss of those predictions against
 * shuffled targets (what they give while carrying no label information) and its standard error
 * over a batch. Flagged when the first loss (per row) is more than twice that value, or below half of
 * it, beyond 4 standard errors. Why 2×: with iid N(0, σ²) logits, E[CE] ≈ ln C + σ²(C−1)/(2C), so
 * doubling ln C needs logit std ≳ 1.7 (C = 2) to 2.3 (C = 10), beyond what glorot/he init gives on
 * standardized inputs (σ ≈ 0.5–1.5); Karpathy's "verify loss @ init" recipe makes the same check.
 */
export function detectInitialLossAnomaly(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const first = r.initialLoss;
  if (first === null || !Number.isFinite(first)) return null;
  const s = ctx.scenario;
  const y = ctx.targets.train;
  const batchRows = r.steps[0]?.batchRows ?? Math.min(s.training.batchSize, y.rows);
  const perRow = s.loss.reduction === "sum" ? first / batchRows : first;
  const ideal = neutralLoss(ctx);
  if (ideal === null || !(ideal.value > 0)) return null;
  const snap0 = snapshot(r, "train", 0);
  const shuffled = shuffledLoss(ctx, snap0 ? outputsOf(snap0) : null);
  const se = shuffled ? shuffled.sd / Math.sqrt(batchRows) : 0;
  const high = perRow > 2 * ideal.value + 4 * se;
  const low = perRow < 0.5 * ideal.value - 4 * se;
  const summed = s.loss.reduction === "sum" && batchRows > 1 && first > 2 * ideal.value + 4 * se * batchRows;
  if (!high && !low && !summed) return null;
  const explainedBy: string[] = [];
  const act = outputActivation(s);
  const ce = s.loss.name.includes("crossentropy");
  if (summed) explainedBy.push("loss-reduction-sum");
  if (act === "softmax" && s.loss.fromLogits && ce) explainedBy.push("double-softmax");
  if (ce && !s.loss.fromLogits && act !== "softmax" && act !== "sigmoid") {
    explainedBy.push("missing-output-activation");
  }
  if (act === "softmax" && outputLayer(s.model.layers).units === 1) {
    explainedBy.push("single-unit-softmax");
  }
  const classTask = ctx.task === "binary" || ctx.task === "multiclass";
  if ((classTask && !ce) || (ctx.task === "regression" && ce)) explainedBy.push("loss-task-mismatch");
  const confidentInit = shuffled !== null && high && shuffled.mean > 2 * ideal.value;
  if (confidentInit && explainedBy.length === 0) explainedBy.push("init-scale-or-unscaled-features");
  const seen = s.loss.reduction === "sum"
    ? `${fmt(first)} (summed over ${batchRows} rows: ${fmt(perRow)} per row)`
    : fmt(first);
  return makeFinding("initial-loss-anomaly", {
    title: `The first loss ${fmt(first)} is far from the ${fmt(ideal.value)} an untrained model should give`,
    message: `Before any update the loss was ${seen}; an untrained model with ${ideal.formula} should give ` +
      `${fmt(ideal.value)}` +
      (shuffled
        ? `, and these initial predictions against shuffled targets give ${fmt(shuffled.mean)} ± ${
          fmt(se)
        } per batch`
        : "") +
      "." +
      (summed ? " The loss is summed over the batch, so it scales with the batch size." : "") +
      (confidentInit ? " The initial outputs are already confident (large initial logits)." : "") +
      (explainedBy.length ? ` Explained by: ${explainedBy.join(", ")}.` : ""),
    evidence: {
      initialLoss: sig(first),
      perRow: sig(perRow),
      reduction: s.loss.reduction,
      batchRows,
      expected: sig(ideal.value),
      expectedFormula: ideal.formula,
      shuffledTargetsLoss: shuffled ? sig(shuffled.mean) : null,
      batchStandardError: sig(se),
      ratio: sig(perRow / ideal.value),
      explainedBy,
    },
    fix: explainedBy.includes("loss-reduction-sum")
      ? 'Use `"reduction": "mean"` so the loss and the step size do not grow with the batch size.'
      : explainedBy.length && explainedBy[0] !== "init-scale-or-unscaled-features"
      ? `Fix the ${explainedBy[0]} finding; the first loss should then be near ${fmt(ideal.value)}.`
      : "Standardize the inputs and use glorot/he initialization so the initial outputs are close to neutral.",
  });
}

/** The reference loss of the neutral output on the training targets, with its closed form in words. */
function neutralLoss(ctx: TrainingContext): { value: number; formula: string } | null {
  const s = ctx.scenario, y = ctx.targets.train;
  const cols = outputLayer(s.model.layers).units;
  if (y.rows === 0) return null;
  const name = s.loss.name;
  let fill: number, formula: string;
  if (name === "categorical-crossentropy" || name === "sparse-categorical-crossentropy") {
    fill = s.loss.fromLogits ? 0 : 1 / cols;
    formula = `uniform outputs over ${cols} classes (ln ${cols})`;
  } else if (name === "binary-crossentropy") {
    fill = s.loss.fromLogits ? 0 : 0.5;
    formula = "outputs of 0.5 (ln 2)";
  } else {
    fill = 0;
    formula = name === "mse" ? "zero outputs (E[y²])" : "zero outputs";
  }
  const pred: Matrix = { data: new Float64Array(y.rows * cols).fill(fill), rows: y.rows, cols };
  try {
    return { value: reduceLoss(lossPerRow(lossConfig(s), y, pred), "mean"), formula };
  } catch {
    return null;
  }
}

/** Mean and sd of the per-row loss of `outputs` against row-shuffled targets (5 seeded shuffles). */
function shuffledLoss(ctx: TrainingContext, outputs: Matrix | null): { mean: number; sd: number } | null {
  const y = ctx.targets.train;
  if (!outputs || outputs.rows !== y.rows || y.rows < 2) return null;
  const rng = Rng.fromSeed(ctx.scenario.seed).stream("diagnose:initial-loss");
  const values: number[] = [];
  for (let k = 0; k < 5; k++) {
    const perm = rng.permutation(y.rows);
    const data = new Float64Array(y.data.length);
    for (let i = 0; i < y.rows; i++) {
      data.set(y.data.subarray(perm[i] * y.cols, (perm[i] + 1) * y.cols), i * y.cols);
    }
    try {
      const per = lossPerRow(lossConfig(ctx.scenario), { data, rows: y.rows, cols: y.cols }, outputs);
      for (const v of per) values.push(v);
    } catch {
      return null;
    }
  }
  const finite = values.filter(Number.isFinite);
  return finite.length ? { mean: mean(finite), sd: std(finite) } : null;
}
