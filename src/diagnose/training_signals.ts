/**
 * What the training detectors read: the {@linkcode TrainingContext} and the signals derived from the
 * records (reference losses of the prediction snapshots, class views, per-layer step statistics).
 * Everything here is a pure function of recorded numbers; losses and metrics are recomputed with the
 * float64 references, never taken from the engine, so a GPU defect cannot hide or fake a symptom.
 *
 * @module
 */
import { type LossConfig, lossPerRow, reduceLoss } from "../reference/losses.ts";
import type { Matrix } from "../reference/matrix.ts";
import { predictedClasses, trueClasses } from "../reference/metrics.ts";
import type { SplitMetrics } from "../report/types.ts";
import type { Scenario, Task } from "../scenario/types.ts";
import type { LayerStepStats, PredictionSnapshot, TrainingRecords } from "../train/records.ts";
import { outputLayer, recordedLayers } from "../layers/mod.ts";
import { median } from "./_stats.ts";

/** A metric as the pipeline resolved it (e.g. `accuracy` → `categorical-accuracy: ...`). */
export interface ResolvedMetricInfo {
  /** As written by the user. */
  name: string;
  /** The reference definition it resolved to, in words. */
  definition: string;
}

/** Results of extra runs the pipeline may make to test a hypothesis (never run by the detectors). */
export interface TrainingProbes {
  /**
   * The same data trained with more capacity / nonlinearity (e.g. a wider ReLU hidden layer): its
   * final loss and metrics, recomputed with the references, keyed as in `SplitMetrics` ("loss",
   * "accuracy").
   */
  capacity?: { train: SplitMetrics; validation: SplitMetrics | null; description?: string };
}

/** Everything the training-time detectors look at. */
export interface TrainingContext {
  scenario: Scenario;
  /** The task (declared or inferred). */
  task: Task;
  /**
   * Targets as the loss consumes them: one-hot rows for categorical cross-entropy, one column of
   * class indices for the sparse loss, 0/1 columns for binary / multilabel, values for regression.
   */
  targets: { train: Matrix; validation: Matrix | null };
  records: TrainingRecords;
  /** The metrics as resolved by the pipeline (used in messages). */
  metrics?: readonly ResolvedMetricInfo[];
  probes?: TrainingProbes;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** A number rounded to `digits` significant digits for evidence (non-finite values pass through). */
export function sig(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/** "3.2e-5" / "0.0123" / "12.3": short numbers for messages. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return "n/a";
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

// ---------------------------------------------------------------------------------------------
// Small statistics

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

// ---------------------------------------------------------------------------------------------
// Setup facts

export function lossConfig(s: Scenario): LossConfig {
  return { name: s.loss.name, fromLogits: s.loss.fromLogits, delta: s.loss.delta };
}

export function isClassification(task: Task): boolean {
  return task === "binary" || task === "multiclass";
}

export function outputActivation(s: Scenario): string {
  return outputLayer(s.model.layers).activation;
}

/**
 * "layer 2 (64 relu units)" for record `index` (the index-th layer with parameters, see
 * recordedLayers) — 1-based positions in model.layers, as users count layers.
 */
export function layerName(s: Scenario, index: number): string {
  const recorded = recordedLayers(s.model.layers);
  const l = recorded[index];
  const last = index === recorded.length - 1;
  return l ? `layer ${l.position + 1} (${l.description}${last ? ", output" : ""})` : `layer ${index + 1}`;
}

/**
 * The cut that turns one output unit into a class: 0.5 on probabilities; 0 when the unit is a logit
 * (no squashing activation, loss from logits), the same decision as sigmoid(z) > 0.5.
 */
export function decisionThreshold(s: Scenario): number {
  const act = outputActivation(s);
  return act !== "sigmoid" && act !== "softmax" && s.loss.fromLogits ? 0 : 0.5;
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/** The snapshot of `split` at `epoch` ("first" = the earliest, "last" = the latest). */
export function snapshot(
  r: TrainingRecords,
  split: "train" | "validation",
  epoch: number | "first" | "last",
): PredictionSnapshot | null {
  const of = r.predictions.filter((p) => p.split === split).sort((a, b) => a.epoch - b.epoch);
  if (of.length === 0) return null;
  if (epoch === "first") return of[0];
  if (epoch === "last") return of[of.length - 1];
  return of.find((p) => p.epoch === epoch) ?? null;
}

export function outputsOf(s: PredictionSnapshot): Matrix {
  return { data: s.outputs, rows: s.rows, cols: s.cols };
}

export function logitsOf(s: PredictionSnapshot): Matrix {
  return { data: s.logits, rows: s.rows, cols: s.cols };
}

export function targetsOf(ctx: TrainingContext, split: "train" | "validation"): Matrix | null {
  return split === "train" ? ctx.targets.train : ctx.targets.validation;
}

/**
 * The float64 reference loss (mean over rows, whatever the scenario's reduction, so that epochs and
 * splits compare) of a snapshot; null when the targets do not fit the loss (a setup finding says why)
 * or the shapes disagree.
 */
export function snapshotLoss(ctx: TrainingContext, snap: PredictionSnapshot | null): number | null {
  const per = snapshotLossPerRow(ctx, snap);
  return per === null ? null : reduceLoss(per, "mean");
}

export function snapshotLossPerRow(
  ctx: TrainingContext,
  snap: PredictionSnapshot | null,
): Float64Array | null {
  if (!snap) return null;
  const y = targetsOf(ctx, snap.split);
  if (!y || y.rows !== snap.rows) return null;
  try {
    return lossPerRow(lossConfig(ctx.scenario), y, outputsOf(snap));
  } catch {
    return null;
  }
}

/** True and predicted class indices of a classification snapshot (argmax, or the unit's cut). */
export interface ClassView {
  split: "train" | "validation";
  epoch: number;
  truth: Int32Array;
  predicted: Int32Array;
  classes: number;
}

export function classView(ctx: TrainingContext, snap: PredictionSnapshot | null): ClassView | null {
  if (!snap || !isClassification(ctx.task)) return null;
  const y = targetsOf(ctx, snap.split);
  if (!y || y.rows !== snap.rows) return null;
  const truth = trueClasses(y);
  const predicted = predictedClasses(outputsOf(snap), { threshold: decisionThreshold(ctx.scenario) });
  let classes = Math.max(2, snap.cols, y.cols);
  for (const t of truth) if (t + 1 > classes) classes = t + 1;
  for (const t of truth) if (!(t >= 0)) return null; // labels that are not class indices: a data finding
  return { split: snap.split, epoch: snap.epoch, truth, predicted, classes };
}

export function histogram(labels: Int32Array, classes: number): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const l of labels) if (l >= 0 && l < classes) h[l]++;
  return h;
}

export function accuracyOf(v: ClassView): number {
  let hits = 0;
  for (let i = 0; i < v.truth.length; i++) if (v.truth[i] === v.predicted[i]) hits++;
  return v.truth.length === 0 ? NaN : hits / v.truth.length;
}

/** Share of the most frequent true class: the accuracy of always predicting it. */
export function majorityShare(v: ClassView): number {
  const h = histogram(v.truth, v.classes);
  return v.truth.length === 0 ? NaN : Math.max(...h) / v.truth.length;
}

// ---------------------------------------------------------------------------------------------
// Loss trajectory

/** Start and end of training in the reference loss (mean per row), with the engine history's shape. */
export interface LossTrajectory {
  /** Reference loss of the initial model on the training split (epoch 0 snapshot). */
  start: number | null;
  /** Reference loss of the last training snapshot. */
  end: number | null;
  /** Epoch of the `end` snapshot. */
  endEpoch: number | null;
  /** Engine full-pass training loss per epoch (history), used only for its shape. */
  epochs: number[];
  /** (start - end) / start: the fraction of the initial loss that training removed. */
  improvement: number | null;
}

export function lossTrajectory(ctx: TrainingContext): LossTrajectory {
  const r = ctx.records;
  const first = snapshot(r, "train", 0) ?? snapshot(r, "train", "first");
  const last = snapshot(r, "train", "last");
  let start = first && first.epoch === 0 ? snapshotLoss(ctx, first) : null;
  if (start === null && r.initialLoss !== null) {
    // The first batch's loss, per row: the engine reduced it with the scenario's reduction.
    const rows = r.steps[0]?.batchRows ?? ctx.scenario.training.batchSize;
    start = ctx.scenario.loss.reduction === "sum" ? r.initialLoss / rows : r.initialLoss;
  }
  const end = last && last !== first ? snapshotLoss(ctx, last) : null;
  const epochs = r.history.map((h) => h.train.loss ?? NaN);
  const improvement = start !== null && end !== null && start > 0 ? (start - end) / start : null;
  return { start, end, endEpoch: last?.epoch ?? null, epochs, improvement };
}

// ---------------------------------------------------------------------------------------------
// Per-layer step statistics

export function layerCount(r: TrainingRecords): number {
  return r.steps[0]?.layers.length ?? 0;
}

export function layerSeries(r: TrainingRecords, layer: number, field: keyof LayerStepStats): number[] {
  const out: number[] = [];
  for (const s of r.steps) {
    const v = s.layers[layer]?.[field];
    if (typeof v === "number") out.push(v);
  }
  return out;
}

/** Median over steps of each layer's finite update ratio (‖ΔW‖/‖W‖). */
export function medianUpdateRatios(r: TrainingRecords): number[] {
  const out: number[] = [];
  for (let l = 0; l < layerCount(r); l++) {
    out.push(median(layerSeries(r, l, "updateRatio").filter(Number.isFinite)));
  }
  return out;
}

/** Per layer: the median, the peak of a 3-step running median, and the maximum of the finite update ratios. */
export interface UpdateRatioStats {
  median: number;
  peak: number;
  max: number;
}

export function updateRatioStats(r: TrainingRecords): UpdateRatioStats[] {
  const out: UpdateRatioStats[] = [];
  for (let l = 0; l < layerCount(r); l++) out.push(seriesStats(layerSeries(r, l, "updateRatio")));
  return out;
}

/**
 * The same statistics for the step size against the larger of the weights' current norm and their
 * norm at the first step: ‖ΔW‖ / max(‖W‖, ‖W₀‖). A ratio ‖ΔW‖/‖W‖ is large either because the step
 * is large or because the weights have shrunk; a model whose best weights are near zero (a linear
 * model on data no line separates) shows the second with sensible steps. Measured against the
 * initial scale, only steps that are large in themselves count.
 */
export function updateScaleStats(r: TrainingRecords): UpdateRatioStats[] {
  const out: UpdateRatioStats[] = [];
  for (let l = 0; l < layerCount(r); l++) {
    const initial = r.steps.find((s) => Number.isFinite(s.layers[l]?.weightNorm))?.layers[l].weightNorm ??
      NaN;
    const xs = r.steps.map((s) => {
      const { updateRatio, weightNorm } = s.layers[l];
      return (updateRatio * weightNorm) / Math.max(weightNorm, initial);
    });
    out.push(seriesStats(xs));
  }
  return out;
}

function seriesStats(series: number[]): UpdateRatioStats {
  const xs = series.filter(Number.isFinite);
  let peak = xs.length < 3 ? median(xs) : 0;
  for (let i = 1; i + 1 < xs.length; i++) peak = Math.max(peak, median(xs.slice(i - 1, i + 2)));
  return { median: median(xs), peak, max: xs.length ? Math.max(...xs) : NaN };
}

/** Global gradient norm of each step: sqrt(Σ_layers ‖∂W‖² + ‖∂b‖²). */
export function globalGradNorms(r: TrainingRecords): number[] {
  return r.steps.map((s) =>
    Math.sqrt(s.layers.reduce((a, l) => a + l.gradNorm ** 2 + l.biasGradNorm ** 2, 0))
  );
}

// ---------------------------------------------------------------------------------------------
// Did the model learn?

/**
 * Loss of the best constant predictor on the training targets (the "prior"): class frequencies for
 * cross-entropies (its loss is the label entropy H(π)), column means for BCE and regression; passed
 * through log / logit when the loss reads logits. A model whose loss stays at or above it has learned
 * nothing beyond the label distribution.
 */
export function meanPredictorLoss(ctx: TrainingContext): number | null {
  const s = ctx.scenario, y = ctx.targets.train;
  if (y.rows === 0) return null;
  const units = outputLayer(s.model.layers).units;
  const sparse = s.loss.name === "sparse-categorical-crossentropy";
  const cols = sparse ? units : y.cols;
  const means = new Float64Array(cols);
  for (let r = 0; r < y.rows; r++) {
    if (sparse) {
      const k = y.data[r];
      if (!(k >= 0 && k < cols && Number.isInteger(k))) return null;
      means[k] += 1 / y.rows;
    } else for (let c = 0; c < cols; c++) means[c] += y.data[r * cols + c] / y.rows;
  }
  const clip = (p: number) => Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  if (s.loss.fromLogits && s.loss.name.includes("categorical")) {
    for (let c = 0; c < cols; c++) means[c] = Math.log(clip(means[c]));
  }
  if (s.loss.fromLogits && s.loss.name === "binary-crossentropy") {
    for (let c = 0; c < cols; c++) means[c] = Math.log(clip(means[c]) / (1 - clip(means[c])));
  }
  const pred = new Float64Array(y.rows * cols);
  for (let r = 0; r < y.rows; r++) pred.set(means, r * cols);
  try {
    return reduceLoss(lossPerRow(lossConfig(s), y, { data: pred, rows: y.rows, cols }), "mean");
  } catch {
    return null;
  }
}

/** How far training got: the loss removed, and for classification the accuracy against the baseline. */
export interface Progress {
  trajectory: LossTrajectory;
  /** Final training accuracy (reference, last snapshot); classification only. */
  accuracy: number | null;
  /** Majority-class share of the training labels; classification only. */
  majority: number | null;
  /** Loss of the best constant predictor (see {@linkcode meanPredictorLoss}). */
  meanPredictorLoss: number | null;
  /**
   * True when training left the model about where it started: less than 10% of the initial loss
   * removed, or a final loss at 90% or more of the best constant predictor's, or (classification)
   * accuracy within 5 points of the majority baseline. The 5-point margin is AUTOTRAINER's
   * `not_converge`-style "no better than chance" test made relative to the majority class; 10% of the
   * loss and R² ≤ 0.1 are the matching "barely moved" cut for the loss.
   */
  stalled: boolean;
  why: string[];
}

export function progress(ctx: TrainingContext): Progress {
  const trajectory = lossTrajectory(ctx);
  const why: string[] = [];
  let accuracy: number | null = null, majority: number | null = null, mpl: number | null = null;
  if (trajectory.improvement !== null && trajectory.improvement < 0.1) {
    why.push(`training removed ${fmt(100 * trajectory.improvement)}% of the initial loss`);
  }
  const view = classView(ctx, snapshot(ctx.records, "train", "last"));
  if (view) {
    accuracy = accuracyOf(view);
    majority = majorityShare(view);
    if (accuracy <= majority + 0.05) {
      why.push(
        `training accuracy ${fmt(accuracy)} is within 5 points of the majority-class share ${fmt(majority)}`,
      );
    }
  }
  mpl = meanPredictorLoss(ctx);
  if (mpl !== null && mpl > 0 && trajectory.end !== null && trajectory.end >= 0.9 * mpl) {
    why.push(`the final loss ${fmt(trajectory.end)} is ≥ 90% of the best constant predictor's ${fmt(mpl)}`);
  }
  return { trajectory, accuracy, majority, meanPredictorLoss: mpl, stalled: why.length > 0, why };
}
