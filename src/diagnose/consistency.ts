/**
 * The consistency check: every loss and metric the engine (the GPU) reported for an epoch is
 * recomputed in float64 from the predictions read back from the GPU and the targets the GPU saw,
 * and compared within a tolerance derived from how the WGSL kernels compute it. A disagreement is a
 * defect of fitcheck itself (`gpu-reference-divergence`), never of the user's setup.
 *
 * The reference takes the same float32 inputs as the kernels (outputs as read back, targets rounded
 * to float32), so the tolerance only has to cover the kernels' own arithmetic, not the forward pass.
 *
 * @module
 */
import type { ConsistencyEntry, SplitMetrics } from "../report/types.ts";
import type { LossSpec, MetricSpec } from "../scenario/types.ts";
import { weightRows } from "../reference/class_weights.ts";
import { lossPerRow, reduceLoss } from "../reference/losses.ts";
import type { Matrix } from "../reference/matrix.ts";
import { computeMetric, METRIC_NAMES, type MetricName } from "../reference/metrics.ts";
import { batchNormMoments, batchNormMovingUpdate, type BatchNormStatistics } from "../reference/batchnorm.ts";
import type { BatchNormRecord } from "../train/records.ts";

/** float32 unit roundoff. */
const U = 2 ** -24;
/**
 * WGSL's log has an absolute error bound of 2^-21 for arguments in [0.5, 2] (3 ULP elsewhere); a
 * per-row cross-entropy takes at most two logs whose argument can sit there.
 */
const LOG_ABS = 2 * 2 ** -21;

/** One split of one epoch as the engine reported it, with what the reference needs. */
export interface EpochSplitValues {
  epoch: number;
  split: "train" | "validation";
  /** Engine values: "loss" and metric names; null where the engine computed nothing. */
  engine: SplitMetrics;
  /** The model outputs read back from the GPU (float32 values). */
  outputs: Matrix;
  /** Targets as encoded for training (float64; rounded to float32 here, as uploaded). */
  targets: Matrix;
  /** Per-row loss weights (the training split under `training.classWeight`); absent: unweighted. */
  rowWeights?: Float64Array | null;
  /**
   * The L2 penalties the engine added to its loss, as Keras reports it (their own value is checked
   * by {@linkcode checkPenaltyConsistency}); absent or null without regularizers.
   */
  penalty?: { value: number; kernels: number } | null;
}

/** Which of the scenario's metrics the engine computes (and so are checked). */
export function engineComputedMetric(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name) && name !== "auc" && name !== "r2";
}

/**
 * Tolerance of a mean- or sum-reduced loss over `rows` rows of `cols` columns, from the kernels'
 * error analysis (shaders/loss_forward.wgsl, shaders/reduce_forward.wgsl): a row sums `cols` terms
 * (gamma_cols relative), each log adds LOG_ABS absolute or 3 ULP relative; the deterministic tree
 * reduction has 12 roundings per 1024-wide pass plus the scale (gamma_L, L = 12 passes + 2); the
 * result is rounded to float32 once more. All per-row loss values are >= 0, so Σ|l| = |Σ l|.
 */
export function lossTolerance(
  rows: number,
  cols: number,
  reduction: "mean" | "sum",
): { atol: number; rtol: number } {
  const passes = Math.max(1, Math.ceil(Math.log(Math.max(rows, 2)) / Math.log(1024)));
  const rtol = (cols + 4 + 12 * passes + 2 + 1) * U;
  const atol = reduction === "mean" ? LOG_ABS : LOG_ABS * rows;
  return { atol, rtol };
}

/**
 * Tolerance of a metric: counts (correct rows, confusion cells) are exact integers on the GPU, then
 * scaled by a float32 1/rows (two roundings) or turned into ratios on the host; element-wise mae/mse
 * follow the loss analysis.
 */
export function metricTolerance(
  name: MetricName,
  rows: number,
  cols: number,
): { atol: number; rtol: number } {
  if (name === "mae" || name === "mse" || name === "rmse") return lossTolerance(rows, cols, "mean");
  return { atol: 0, rtol: 4 * U };
}

/** Recomputes every engine value of one split of one epoch; one entry per value checked. */
export function checkEpochConsistency(
  values: EpochSplitValues,
  setup: { loss: LossSpec; metrics: MetricSpec[] },
): ConsistencyEntry[] {
  const entries: ConsistencyEntry[] = [];
  const targets: Matrix = { ...values.targets, data: values.targets.data.map(Math.fround) };
  const { outputs } = values;
  // The kernels turn a row with any non-finite input into NaN (they test bit patterns, since WGSL may
  // assume finite math), while float64 arithmetic can still produce a number from an infinite output.
  const nonFiniteOutputs = values.outputs.data.some((v) => !Number.isFinite(v));
  const engineLoss = values.engine.loss;
  if (engineLoss !== undefined && engineLoss !== null) {
    const cfg = { name: setup.loss.name, fromLogits: setup.loss.fromLogits, delta: setup.loss.delta };
    const weights = values.rowWeights ? values.rowWeights.map(Math.fround) : null;
    const unweighted = lossPerRow(cfg, targets, outputs);
    const perRow = weights ? weightRows(unweighted, 1, weights) : unweighted;
    const penalty = values.penalty ?? null;
    const reference = reduceLoss(perRow, setup.loss.reduction) + (penalty?.value ?? 0);
    const base = lossTolerance(outputs.rows, outputs.cols, setup.loss.reduction);
    // Weighted rows: each row's value is w_r·l_r, one more correctly rounded product (+1 u relative),
    // and its absolute log error LOG_ABS grows with w_r, so atol scales by the largest weight.
    const maxWeight = weights ? weights.reduce((m, w) => Math.max(m, w), 1) : 1;
    const weighted = weights ? { atol: base.atol * maxWeight, rtol: base.rtol + U } : base;
    // loss_penalty_forward adds the penalties one by one: gamma_kernels of the total, relative.
    const tol = penalty ? { atol: weighted.atol, rtol: weighted.rtol + 2 * penalty.kernels * U } : weighted;
    entries.push(
      entry(`${values.split}.loss`, values.epoch, engineLoss, reference, tol, {
        // The loss kernels turn any non-finite input into NaN; float32 overflows where float64 does not.
        acceptNonFinite: nonFiniteOutputs || beyondFloat32(perRow, outputs.cols),
      }),
    );
  }
  for (const metric of setup.metrics) {
    if (metric.module || !engineComputedMetric(metric.name)) continue;
    const engine = values.engine[metric.name];
    if (engine === undefined || engine === null) continue;
    const reference = computeMetric(metric.name, targets, outputs, { threshold: metric.threshold }).value;
    const tol = metricTolerance(metric.name, outputs.rows, outputs.cols);
    entries.push(
      entry(`${values.split}.${metric.name}`, values.epoch, engine, reference, tol, {
        // With NaN outputs an argmax is a convention (the GPU, like numpy, takes the first NaN; the
        // float64 reference never picks one), so the engine's value cannot be judged: accept it.
        acceptAny: nonFiniteOutputs,
      }),
    );
  }
  return entries;
}

/**
 * The engine's L2 penalty (Σ over regularized kernels of l2·Σw², f32 on the GPU) against float64 on
 * the same weights. Tolerance: reduce_forward's sum of squares errs by gamma_L·Σw² with
 * L = 12·passes + 1 (passes = ceil(log_1024 n)), f32(l2) by u, and the sum over kernels adds one
 * rounding per kernel.
 */
export function checkPenaltyConsistency(
  epoch: number,
  split: "train" | "validation",
  engine: { value: number; kernels: number },
  kernels: readonly { weights: ArrayLike<number>; l2: number }[],
): ConsistencyEntry {
  let reference = 0, atol = 0;
  for (const k of kernels) {
    let sq = 0;
    for (let i = 0; i < k.weights.length; i++) sq += k.weights[i] * k.weights[i];
    const passes = Math.max(1, Math.ceil(Math.log(Math.max(k.weights.length, 2)) / Math.log(1024)));
    const L = 12 * passes + 1;
    reference += k.l2 * sq;
    atol += k.l2 * ((L * U) / (1 - L * U)) * sq + 2 * U * k.l2 * sq;
  }
  return entry(`${split}.l2-penalty`, epoch, engine.value, reference, {
    atol: atol + 1e-30,
    rtol: (kernels.length + 1) * U,
  }, {});
}

/**
 * Tolerance of batchnorm_stats_forward's statistics of one channel whose values are bounded by S in
 * magnitude, R values per channel in a batch, after `steps` moving updates at `momentum`: each sum
 * has L = ceil(R/64) + 6 roundings, the division 5u and the float32 input u relative, so
 * |Δmean| <= (L + 6)·u·S; the variance adds 2 roundings per term on deviations up to 2S (and the
 * mean's error squared, far below): |Δvar| <= (L + 10)·u·4S². Each moving update blends the batch's
 * (weight 1 - m) into the old with 3u + u relative roundings, so over k steps the moving statistics
 * err by at most k·((1 - m)·Δbatch + 4u·max|moving|), max|moving| <= max(1, S, S²) (start 0 and 1).
 */
export function batchNormStatisticsTolerance(
  S: number,
  rowsPerChannel: number,
  steps: number,
  momentum: number,
): { batchMean: number; batchVariance: number; movingMean: number; movingVariance: number } {
  const L = Math.ceil(rowsPerChannel / 64) + 6;
  const batchMean = (L + 6) * U * S;
  const batchVariance = (L + 10) * U * 4 * S * S;
  const movingMax = Math.max(1, S, S * S);
  return {
    batchMean,
    batchVariance,
    movingMean: steps * ((1 - momentum) * batchMean + 4 * U * movingMax),
    movingVariance: steps * ((1 - momentum) * batchVariance + 4 * U * movingMax),
  };
}

/**
 * The batch-norm statistics the engine recorded after the last epoch, recomputed in float64, for the
 * layers that read the data itself (the model's first layer): their statistics depend only on the
 * batches, so the float64 twin replays them exactly from the training split (as uploaded, float32)
 * and the batch order. Deeper layers normalise what the layers below compute from weights that the
 * engine trained in float32; the pipeline does not replay the float64 trainer over whole runs (the
 * trajectory tests do, on short ones), so they are not checked here. One entry per statistic: its
 * worst channel (largest error over tolerance).
 */
export function checkBatchNormConsistency(
  records: readonly BatchNormRecord[],
  train: Matrix,
  batches: (epoch: number) => Uint32Array[],
): ConsistencyEntry[] {
  const entries: ConsistencyEntry[] = [];
  for (const record of records) {
    const last = record.epochs[record.epochs.length - 1];
    if (record.layer !== 0 || !last) continue;
    const channels = last.movingMean.length;
    const x = train.data.map(Math.fround);
    const S = new Float64Array(channels);
    for (let i = 0; i < x.length; i++) S[i % channels] = Math.max(S[i % channels], Math.abs(x[i]));
    let moving: BatchNormStatistics = {
      mean: new Float64Array(channels),
      variance: new Float64Array(channels).fill(1),
    };
    let batch: BatchNormStatistics | null = null;
    let steps = 0, rowsPerChannel = 0;
    for (let epoch = 1; epoch <= last.epoch; epoch++) {
      for (const rows of batches(epoch)) {
        const values = new Float64Array(rows.length * train.cols);
        rows.forEach((r, i) => values.set(x.subarray(r * train.cols, (r + 1) * train.cols), i * train.cols));
        const R = rows.length * (train.cols / channels);
        batch = batchNormMoments(values, R, channels);
        moving = batchNormMovingUpdate(moving, batch, record.momentum);
        rowsPerChannel = Math.max(rowsPerChannel, R);
        steps++;
      }
    }
    if (!batch) continue;
    const pairs: [
      string,
      number[],
      Float64Array,
      "movingMean" | "movingVariance" | "batchMean" | "batchVariance",
    ][] = [
      ["moving mean", last.movingMean, moving.mean, "movingMean"],
      ["moving variance", last.movingVariance, moving.variance, "movingVariance"],
      ["last batch mean", last.batchMean, batch.mean, "batchMean"],
      ["last batch variance", last.batchVariance, batch.variance, "batchVariance"],
    ];
    for (const [name, engine, reference, key] of pairs) {
      // error / tolerance; a non-finite error (NaN on one side) is the worst of all.
      const badness = (e: ConsistencyEntry) => (e.ok ? (e.absError ?? 0) / e.tolerance : Infinity);
      let worst: ConsistencyEntry | null = null;
      for (let c = 0; c < channels; c++) {
        const tol = batchNormStatisticsTolerance(S[c], rowsPerChannel, steps, record.momentum)[key];
        const e = entry(
          `layer ${record.layer + 1} batchnorm ${name} (channel ${c + 1})`,
          last.epoch,
          engine[c],
          reference[c],
          // S = 0 (a constant-zero channel) leaves no rounding at all: the smallest float32 keeps 0/0 away.
          { atol: Math.max(tol, 2 ** -149), rtol: 0 },
          {},
        );
        if (!worst || badness(e) > badness(worst)) worst = e;
      }
      if (worst) entries.push(worst);
    }
  }
  return entries;
}

/** The largest finite float32. */
const FLT_MAX = 3.4028234663852886e38;

/**
 * Whether a float32 engine must overflow on these per-row losses: an element term (up to the row's
 * mean times its columns) or the batch sum beyond FLT_MAX is Infinity in float32 arithmetic, though
 * float64 still holds it. A non-finite engine value is then correct float32 behaviour.
 */
function beyondFloat32(perRow: Float64Array, cols: number): boolean {
  let sum = 0, max = 0;
  for (const v of perRow) {
    sum += Math.abs(v);
    max = Math.max(max, Math.abs(v));
  }
  return sum > FLT_MAX || max * cols > FLT_MAX;
}

function entry(
  quantity: string,
  epoch: number,
  engine: number,
  reference: number,
  tol: { atol: number; rtol: number },
  accept: { acceptNonFinite?: boolean; acceptAny?: boolean },
): ConsistencyEntry {
  const tolerance = tol.atol + tol.rtol * Math.abs(reference);
  const accepted = (Number.isNaN(engine) && Number.isNaN(reference)) || accept.acceptAny === true ||
    (accept.acceptNonFinite === true && !Number.isFinite(engine));
  const absError = accepted ? 0 : Math.abs(engine - reference);
  // NaN on both sides agrees (a diverged run reports NaN and the reference says so too); NaN on one
  // side only is a disagreement, which `<=` on NaN already gives.
  const ok = accepted || absError <= tolerance;
  return {
    quantity,
    epoch,
    engine: finiteOrNull(engine),
    reference: finiteOrNull(reference),
    absError: Number.isFinite(absError) ? absError : null,
    tolerance,
    ok,
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
