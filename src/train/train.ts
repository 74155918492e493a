/**
 * The instrumented training loop on WebGPU. The training split is uploaded once and each epoch's row
 * order once; each step gathers its batch on the GPU, is recorded into a command encoder and
 * submitted without waiting; its record (loss, fingerprint, per-layer gradient norms, update ratios,
 * activation statistics, non-finite counts) is copied on the GPU into the epoch's record buffer. After
 * each epoch one evaluation pass runs per split, and ONE readback brings home the step records, the
 * evaluation values and the predictions. Nothing else waits for the GPU.
 *
 * @module
 */
import type { BatchPlan } from "../data/batches.ts";
import type { GpuContext } from "../gpu/context.ts";
import { GpuLimitError } from "../gpu/errors.ts";
import { readback } from "../gpu/readback.ts";
import { EarlyStopping, type EarlyStoppingSpec, monitorTarget } from "../reference/early_stopping.ts";
import { type Matrix } from "../reference/matrix.ts";
import { computeMetric, type MetricName } from "../reference/metrics.ts";
import { decodeColumnStats } from "../reference/stats.ts";
import type { SplitMetrics } from "../report/types.ts";
import type { LossSpec, OptimizerSpec } from "../scenario/types.ts";
import {
  activationStatistic,
  type EngineMetric,
  type GpuParameters,
  LAYER_RECORD_WORDS,
  prepareEvaluation,
  prepareTrainStep,
  type SplitEvaluation,
  STEP_HEADER_WORDS,
  uploadParameters,
} from "./gpu_network.ts";
import type { ModelShape } from "./model.ts";
import type {
  BatchNormRecord,
  LayerStepStats,
  LayerWeights,
  PredictionSnapshot,
  StepRecord,
  TrainingPhase,
  TrainingRecords,
} from "./records.ts";
import { parameterLayers } from "../layers/mod.ts";
import { unflatten } from "./parameters.ts";

/** What the GPU trainer needs: shapes, data as float64 matrices, the batch plan. */
export interface GpuTrainOptions {
  shape: ModelShape;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  initial: LayerWeights[];
  train: { x: Matrix; y: Matrix };
  validation: { x: Matrix; y: Matrix } | null;
  plan: BatchPlan;
  epochs: number;
  dropoutSeed: number;
  /** Metrics computed on the GPU each epoch (the rest are the pipeline's, in float64). */
  metrics: EngineMetric[];
  /**
   * Called after each epoch's readback (and once for epoch 0, before training) with the engine's
   * values and the predictions of each split: the pipeline checks them against float64 here, while
   * they are in memory.
   */
  onEpoch?: (epoch: EpochReadback) => void;
  /**
   * Record the diagnosis statistics each step (default true; see TrainStepSetup.instrument). When
   * false, step records carry the batch loss only: their layer statistics read 0.
   */
  instrument?: boolean;
  /** Per-row loss weights of the training split (Keras `class_weight`), or null/absent: unweighted. */
  rowWeights?: Float64Array | null;
  /** Keras `EarlyStopping` (threshold: the monitored metric's), or null/absent. */
  earlyStopping?: (EarlyStoppingSpec & { threshold: number }) | null;
}

export interface EpochReadback {
  epoch: number;
  train: SplitReadback;
  validation: SplitReadback | null;
  /** Mean of the epoch's batch losses (null for epoch 0). */
  batchLossMean: number | null;
}

export interface SplitReadback {
  /** Engine values: "loss" and each engine metric's name. */
  engine: SplitMetrics;
  outputs: Matrix;
  logits: Matrix;
  unitActivity: (Float64Array | null)[];
  /** The L2 penalties the engine added to `engine.loss` (their f32 sum, NaN if one is non-finite), or null. */
  penalty: { value: number; kernels: number } | null;
}

function toF32(m: Matrix): Float32Array {
  return Float32Array.from(m.data);
}

/**
 * Trains on the GPU and returns the records. The caller owns `ctx`; every buffer the run acquires is
 * returned to its pool at the end, also on failure.
 */
export function trainOnGpu(ctx: GpuContext, options: GpuTrainOptions): Promise<TrainingRecords> {
  return ctx.scoped(() => train(ctx, options));
}

async function train(ctx: GpuContext, options: GpuTrainOptions): Promise<TrainingRecords> {
  const started = performance.now();
  const { shape, plan } = options;
  checkBindingLimits(ctx, options);
  const params = uploadParameters(ctx, options.initial);
  const targetWidth = options.train.y.cols;
  // Each split goes up once: the train split feeds both the batch gather and its evaluation.
  const upload = (name: string, data: { x: Matrix; y: Matrix }) => ({
    x: ctx.upload(`${name} x`, toF32(data.x)),
    y: ctx.upload(`${name} y`, toF32(data.y)),
  });
  const trainData = upload("train", options.train);
  const rowWeights = options.rowWeights
    ? ctx.upload("train row weights", Float32Array.from(options.rowWeights))
    : undefined;
  const step = await prepareTrainStep(ctx, params, {
    shape,
    loss: options.loss,
    optimizer: options.optimizer,
    batchSize: plan.batchSize,
    targetWidth,
    dropoutSeed: options.dropoutSeed,
    instrument: options.instrument,
    data: trainData,
    orderCapacity: plan.stepsPerEpoch * plan.batchSize,
    rowWeights,
  });
  const evaluation = async (
    name: "train" | "validation",
    data: { x: GPUBuffer; y: GPUBuffer },
    rows: number,
    weights?: GPUBuffer,
  ) =>
    await prepareEvaluation(ctx, params, {
      label: name,
      shape,
      loss: options.loss,
      x: data.x,
      y: data.y,
      rows,
      targetCols: options.train.y.cols,
      metrics: options.metrics,
      rowWeights: weights,
    });
  // The training split's loss is weighted as training weights it (Keras logs the weighted `loss`);
  // validation is never weighted (Keras applies class_weight to the training data only).
  const evalTrain = await evaluation("train", trainData, options.train.x.rows, rowWeights);
  const evalValidation = options.validation
    ? await evaluation("validation", upload("validation", options.validation), options.validation.x.rows)
    : null;
  const normalization = normalizationSources(ctx, shape);
  const stepsPerEpoch = plan.stepsPerEpoch;
  const epochRecords = ctx.storage("epoch step records", stepsPerEpoch * step.recordWords);
  const readbacksAtStart = ctx.readbacks;

  const steps: StepRecord[] = [];
  const history: TrainingRecords["history"] = [];
  const predictions: PredictionSnapshot[] = [];
  let phase: TrainingPhase = { status: "completed" };
  let initialLoss: number | null = null;

  const evaluate = async (epoch: number, withSteps: boolean) => {
    const encoder = ctx.device.createCommandEncoder({ label: `epoch ${epoch} evaluation` });
    evalTrain.encode(encoder);
    evalValidation?.encode(encoder);
    ctx.device.queue.submit([encoder.finish()]);
    const sources = [...splitSources(evalTrain), ...(evalValidation ? splitSources(evalValidation) : [])];
    if (withSteps) sources.push(...normalization.sources, epochRecords);
    const buffers = await readback(ctx, sources);
    ctx.check();
    if (withSteps) {
      normalization.record(epoch, buffers.slice(buffers.length - 1 - normalization.sources.length, -1));
    }
    const train = decodeSplit(evalTrain, buffers, 0, options);
    const validation = evalValidation
      ? decodeSplit(evalValidation, buffers, splitSources(evalTrain).length, options)
      : null;
    return { train, validation, records: withSteps ? buffers[buffers.length - 1] : null };
  };

  const keep = (epoch: number, result: { train: SplitReadback; validation: SplitReadback | null }) => {
    predictions.push(snapshot(epoch, "train", result.train));
    if (result.validation) predictions.push(snapshot(epoch, "validation", result.validation));
  };

  const initial = await evaluate(0, false);
  options.onEpoch?.({ epoch: 0, train: initial.train, validation: initial.validation, batchLossMean: null });
  keep(0, initial);

  const stopper = options.earlyStopping ? new EarlyStopping(options.earlyStopping) : null;
  const best = stopper?.spec.restoreBestWeights ? stash(ctx, params) : null;
  let earlyStopping: TrainingRecords["earlyStopping"];

  let globalStep = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const batches = plan.epoch(epoch);
    const rowsPerStep: number[] = [];
    step.setOrder(concat(batches));
    let offset = 0;
    for (let s = 0; s < batches.length; s++) {
      const rows = batches[s];
      step.prepare(rows.length, globalStep, offset);
      offset += rows.length;
      const encoder = ctx.device.createCommandEncoder({ label: `step ${globalStep}` });
      step.encode(encoder);
      encoder.copyBufferToBuffer(
        step.record,
        0,
        epochRecords,
        s * step.recordWords * 4,
        step.recordWords * 4,
      );
      ctx.device.queue.submit([encoder.finish()]);
      rowsPerStep.push(rows.length);
      globalStep++;
    }
    const result = await evaluate(epoch, true);
    const decoded = decodeSteps(result.records!, rowsPerStep, epoch, globalStep - batches.length, shape);
    steps.push(...decoded);
    if (initialLoss === null && decoded.length > 0) initialLoss = decoded[0].loss;
    const batchLossMean = decoded.reduce((s, r) => s + r.loss, 0) / Math.max(decoded.length, 1);
    history.push({
      epoch,
      train: result.train.engine,
      validation: result.validation?.engine ?? null,
      batchLossMean,
    });
    options.onEpoch?.({ epoch, train: result.train, validation: result.validation, batchLossMean });
    if (epoch === 1 || epoch === options.epochs) keep(epoch, result);
    const bad = firstNonFinite(decoded, shape);
    if (bad) {
      phase = { status: "diverged", ...bad, epoch };
      if (epoch !== 1) keep(epoch, result);
      break;
    }
    if (stopper) {
      const decision = stopper.update(epoch, monitored(options.earlyStopping!, result, options));
      if (decision.improved && best) best.save();
      if (decision.stop) {
        if (epoch !== 1 && epoch !== options.epochs) keep(epoch, result);
        const restored = best !== null && stopper.bestEpoch > 0;
        if (restored) {
          best!.restore();
          // The model the run ends with is the best epoch's: its predictions are the last snapshot.
          keep(epoch, await evaluate(epoch, false));
        }
        earlyStopping = { stoppedEpoch: epoch, bestEpoch: stopper.bestEpoch, best: stopper.best, restored };
        break;
      }
    }
  }
  if (stopper && !earlyStopping) {
    earlyStopping = { stoppedEpoch: null, bestEpoch: stopper.bestEpoch, best: stopper.best, restored: false };
  }
  const epochsRun = Math.max(history.length, 1);
  const readbacksPerEpoch = (ctx.readbacks - readbacksAtStart - 1) / epochsRun;
  const finalWeights = await readParameters(ctx, params, options.initial);
  return {
    phase,
    initialLoss,
    steps,
    stepsPerEpoch,
    history,
    predictions,
    initialWeights: options.initial,
    finalWeights,
    batchNorm: normalization.records,
    readbacksPerEpoch,
    trainMs: performance.now() - started,
    ...(earlyStopping ? { earlyStopping } : {}),
  };
}

/**
 * The value `spec.monitor` names after an epoch: the engine's when it computes it, else the float64
 * reference metric on the read-back predictions (precision, AUC, ...).
 */
function monitored(
  spec: EarlyStoppingSpec & { threshold: number },
  result: { train: SplitReadback; validation: SplitReadback | null },
  options: GpuTrainOptions,
): number {
  const { split, metric } = monitorTarget(spec.monitor);
  const r = split === "validation" ? result.validation : result.train;
  if (!r) return NaN;
  const engine = r.engine[metric];
  if (typeof engine === "number") return engine;
  const y = split === "validation" ? options.validation!.y : options.train.y;
  return computeMetric(metric as MetricName, y, r.outputs, { threshold: spec.threshold }).value;
}

/** A copy of the parameters on the GPU: `save` takes the current ones, `restore` puts them back. */
function stash(ctx: GpuContext, params: GpuParameters) {
  const bytes = params.layout.length * 4;
  const copy = ctx.storage("best weights", params.layout.length);
  const transfer = (from: GPUBuffer, to: GPUBuffer) => {
    const encoder = ctx.device.createCommandEncoder({ label: "early stopping weights copy" });
    encoder.copyBufferToBuffer(from, 0, to, 0, bytes);
    ctx.device.queue.submit([encoder.finish()]);
  };
  return { save: () => transfer(params.buffer, copy), restore: () => transfer(copy, params.buffer) };
}

/**
 * The normalization statistics of the layers that keep them (LayerDefinition.normalization), as
 * extra sources of the epoch's one readback, and their per-epoch records.
 */
function normalizationSources(ctx: GpuContext, shape: ModelShape) {
  const layers = shape.layers.flatMap((layer) => {
    const state = layer.def.normalization;
    const buffers = state?.buffers(ctx, layer);
    return state && buffers ? [{ layer, buffers, settings: state.settings(layer.spec) }] : [];
  });
  const records: BatchNormRecord[] = layers.map(({ layer, settings }) => ({
    layer: layer.position,
    ...settings,
    epochs: [],
  }));
  const sources = layers.flatMap((
    { buffers: b },
  ) => [b.movingMean, b.movingVariance, b.batchMean, b.batchVariance]);
  return {
    sources,
    /** Appends one epoch from the read-back `sources` (in their order). */
    record(epoch: number, data: ArrayBuffer[]) {
      layers.forEach(({ buffers: { channels } }, i) => {
        const read = (k: number) => Array.from(new Float32Array(data[4 * i + k], 0, channels));
        records[i].epochs.push({
          epoch,
          movingMean: read(0),
          movingVariance: read(1),
          batchMean: read(2),
          batchVariance: read(3),
        });
      });
    },
    records,
  };
}

function splitSources(e: SplitEvaluation): GPUBuffer[] {
  return [
    e.values,
    e.outputs,
    e.logits,
    ...e.activationStats.filter((b): b is GPUBuffer => b !== null),
    ...(e.penalties ? [e.penalties.pairs] : []),
  ];
}

function decodeSplit(
  e: SplitEvaluation,
  buffers: ArrayBuffer[],
  start: number,
  options: GpuTrainOptions,
): SplitReadback {
  const K = options.shape.layers[options.shape.layers.length - 1].outSize;
  const words = new Uint32Array(buffers[start]);
  const floats = new Float32Array(buffers[start]);
  const value = (i: number) => (words[2 * i + 1] > 0 ? NaN : floats[2 * i]);
  const engine: SplitMetrics = { loss: value(0) };
  options.metrics.forEach((m, i) => {
    const v = value(1 + i);
    engine[m.name] = m.kind === "elementwise" && m.root ? Math.sqrt(v) : v;
  });
  const outputs = {
    rows: e.rows,
    cols: K,
    data: Float64Array.from(new Float32Array(buffers[start + 1], 0, e.rows * K)),
  };
  const logits = {
    rows: e.rows,
    cols: K,
    data: Float64Array.from(new Float32Array(buffers[start + 2], 0, e.rows * K)),
  };
  let next = start + 3;
  const recorded = parameterLayers(options.shape);
  const unitActivity = e.activationStats.map((b, r) => {
    if (b === null) return null;
    const units = recorded[r].parameters!.units;
    const stats = decodeColumnStats(buffers[next++], units);
    // A ReLU unit is active on a row when its output is non-zero: activity = 1 - fraction of zeros.
    return Float64Array.from(stats, (s) => (s.finite > 0 ? 1 - s.zeroFraction : 0));
  });
  let penalty: SplitReadback["penalty"] = null;
  if (e.penalties) {
    const pw = new Uint32Array(buffers[next]), pf = new Float32Array(buffers[next]);
    let sum = 0;
    for (let i = 0; i < e.penalties.count; i++) sum += pw[2 * i + 1] > 0 ? NaN : pf[2 * i];
    penalty = { value: sum, kernels: e.penalties.count };
  }
  return { engine, outputs, logits, unitActivity, penalty };
}

function snapshot(epoch: number, split: "train" | "validation", r: SplitReadback): PredictionSnapshot {
  return {
    epoch,
    split,
    rows: r.outputs.rows,
    cols: r.outputs.cols,
    outputs: r.outputs.data,
    logits: r.logits.data,
    unitActivity: r.unitActivity,
  };
}

/** An epoch's batches as one row order (batch s starts where batch s - 1 ends). */
function concat(batches: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(batches.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of batches) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function decodeSteps(
  buffer: ArrayBuffer,
  rowsPerStep: number[],
  epoch: number,
  firstStep: number,
  shape: ModelShape,
): StepRecord[] {
  const recorded = parameterLayers(shape);
  const words = STEP_HEADER_WORDS + LAYER_RECORD_WORDS * recorded.length;
  const u = new Uint32Array(buffer), f = new Float32Array(buffer);
  return rowsPerStep.map((batchRows, s) => {
    const o = s * words;
    const layers: LayerStepStats[] = recorded.map((layer, i) => {
      const b = o + STEP_HEADER_WORDS + LAYER_RECORD_WORDS * i;
      const stat = activationStatistic(layer.activation);
      const gradNorm = u[b + 1] > 0 ? NaN : f[b];
      const biasGradNorm = u[b + 3] > 0 ? NaN : f[b + 2];
      return {
        gradNorm,
        biasGradNorm,
        weightNorm: f[b + 6],
        updateRatio: f[b + 4],
        deadFraction: stat === "dead" ? f[b + 8] : null,
        saturatedFraction: stat === "saturated" ? f[b + 8] : null,
        nonFinite: u[b + 1] + u[b + 3] + u[b + 7],
      };
    });
    return {
      step: firstStep + s,
      epoch,
      batchRows,
      loss: u[o + 1] > 0 ? NaN : f[o],
      // Two 32-bit lanes folded into one safe integer (53 bits) so equal batches compare equal.
      fingerprint: (u[o + 2] >>> 0) * 2 ** 21 + (u[o + 3] >>> 11),
      layers,
    };
  });
}

function firstNonFinite(
  steps: StepRecord[],
  shape: ModelShape,
): { step: number; layer: number | null; what: string } | null {
  const recorded = parameterLayers(shape);
  for (const s of steps) {
    const layer = s.layers.findIndex((l) => l.nonFinite > 0);
    if (layer >= 0) {
      return {
        step: s.step,
        layer,
        what: `non-finite values in layer ${recorded[layer].position + 1} (${
          recorded[layer].def.describe(recorded[layer].spec)
        }) weights or gradients`,
      };
    }
    if (!Number.isFinite(s.loss)) return { step: s.step, layer: null, what: `the batch loss is ${s.loss}` };
  }
  return null;
}

async function readParameters(
  ctx: GpuContext,
  params: GpuParameters,
  like: LayerWeights[],
): Promise<LayerWeights[]> {
  // One readback of the flat parameter buffer, sliced per tensor.
  const [flat] = await readback(ctx, [{ buffer: params.buffer, byteLength: params.layout.length * 4 }]);
  return unflatten(new Float32Array(flat), params.layout, like);
}

/**
 * Refuses data whose buffers would exceed the adapter's storage binding limit before anything is
 * allocated, naming the split, the tensor and the limit: a split's inputs, targets and model outputs
 * live in single buffers (the layers' activations do not: evaluation runs over chunks of rows where
 * a whole split's would not fit, src/train/gpu_network.ts evaluationChunkRows).
 */
function checkBindingLimits(ctx: GpuContext, options: GpuTrainOptions) {
  const limit = ctx.device.limits.maxStorageBufferBindingSize;
  for (const [split, data] of [["train", options.train], ["validation", options.validation]] as const) {
    if (!data) continue;
    const tensors: [string, number][] = [
      ["x", data.x.cols],
      ["y", data.y.cols],
      ["outputs", options.shape.layers[options.shape.layers.length - 1].outSize],
    ];
    for (const [tensor, cols] of tensors) {
      const bytes = data.x.rows * cols * 4;
      if (bytes > limit) {
        const buffer = `${split} ${tensor} (${data.x.rows} rows × ${cols} float32)`;
        throw new GpuLimitError({ buffer, bytes, limitName: "maxStorageBufferBindingSize", limit });
      }
    }
  }
}
