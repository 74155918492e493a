/**
 * One model on the GPU: its parameter and activation buffers, and the prepared ops of a training
 * step (batch gather, forward with dropout, loss, backward, optimizer, instrumentation) and of an
 * evaluation pass over a whole split. Everything is prepared once: the split is uploaded once, the
 * epoch's row order once per epoch, and a step writes only the uniforms that change (the batch
 * offset, the dropout step, Adam's step).
 *
 * Parameters, gradients and optimizer state are flat buffers of one layout (./parameters.ts): the
 * layers read and write slices of them, and ONE optimizer dispatch updates every parameter.
 *
 * Step record (u32 words, one per step, copied into the epoch's record buffer after each step):
 *   0-1  loss pair (f32 bits, non-finite count)          2-3  batch fingerprint (two lanes)
 *   per layer l with parameters (the l-th, see parameterLayers) at 4 + 10·l: 0-1 ‖dW‖ pair, 2-3 ‖db‖ pair, 4-7 update ratio record
 *   (ratio, ‖ΔW‖, ‖W_old‖, non-finite words), 8-9 activation statistic (fraction f32, count u32).
 *
 * @module
 */
import type { GpuContext } from "../gpu/context.ts";
import { prepareFingerprint } from "../kernels/fingerprint.ts";
import { prepareGatherRows } from "../kernels/gather.ts";
import {
  LAYER_RECORD_WORDS,
  type LayerStatistic,
  prepareLayerRecord,
  SATURATION_CUTOFFS,
} from "../kernels/instrument.ts";
import type { PreparedOp } from "../kernels/kernel.ts";
import { type LossHead, prepareLossBackward, prepareLossForward } from "../kernels/losses.ts";
import { prepareCorrect } from "../kernels/metrics.ts";
import { type AdamOp, prepareAdam, prepareRmsprop, prepareSgd } from "../kernels/optimizers.ts";
import { prepareReduce } from "../kernels/reduce.ts";
import { columnStatsWords, prepareColumnStats } from "../kernels/column_stats.ts";
import { prepareL2Gradient, preparePenalties } from "../kernels/regularization.ts";
import type { LossConfig } from "../reference/losses.ts";
import type { Activation, LossSpec, OptimizerSpec } from "../scenario/types.ts";
import type { ModelShape } from "./model.ts";
import { type GpuLayer, type GpuTrainLayer, parameterLayers, recordPositions } from "../layers/mod.ts";
import { flatZeros, type GpuParameters, type ParameterLayout, slices } from "./parameters.ts";

export { type GpuParameters, uploadParameters } from "./parameters.ts";

export const STEP_HEADER_WORDS = 4;
export { LAYER_RECORD_WORDS };

export function stepRecordWords(layers: number): number {
  return STEP_HEADER_WORDS + LAYER_RECORD_WORDS * layers;
}

/** A metric the engine computes on the GPU over a whole split. */
export type EngineMetric =
  | { name: string; kind: "correct"; mode: "sparse" | "categorical" | "binary"; threshold: number }
  | { name: string; kind: "elementwise"; loss: "mae" | "mse"; root: boolean };

/** The statistic recorded per layer per step, by activation (null: none). */
export function activationStatistic(activation: Activation): LayerStatistic {
  if (activation === "relu") return "dead";
  if (activation === "sigmoid" || activation === "tanh") return "saturated";
  return null;
}

/** Per layer: the index of its parameters (in GpuParameters, LayerWeights, records), or null. */
export function parameterIndex(shape: ModelShape): (number | null)[] {
  let next = 0;
  return shape.layers.map((l) => (l.parameters ? next++ : null));
}

function lossConfig(loss: LossSpec): LossConfig {
  return { name: loss.name, fromLogits: loss.fromLogits, delta: loss.delta };
}

/** The prepared op of the optimizer update of all parameters. */
type UpdateOp = { op: PreparedOp<string>; adam: AdamOp | null };

/**
 * ONE optimizer dispatch over the whole flat parameter buffer `w` (of `layout`), reading the flat
 * gradients `g`; its state (m, v / velocity / ms) lives in zeroed buffers of the same layout. The
 * update is elementwise, so this is bit-identical to one dispatch per tensor, and the padding
 * (zero parameter, gradient and state) stays zero.
 */
async function prepareUpdate(
  ctx: GpuContext,
  label: string,
  opt: OptimizerSpec,
  w: GPUBuffer,
  g: GPUBuffer,
  layout: ParameterLayout,
): Promise<UpdateOp> {
  const count = layout.length;
  const zeros = (state: string) => flatZeros(ctx, `${label} ${state}`, layout).buffer;
  switch (opt.name) {
    case "sgd": {
      const velocity = opt.momentum !== 0 ? zeros("velocity") : undefined;
      const op = await prepareSgd(ctx, {
        label,
        w,
        g,
        velocity,
        count,
        learningRate: opt.learningRate,
        momentum: opt.momentum,
      });
      return { op, adam: null };
    }
    case "adam": {
      const adam = await prepareAdam(ctx, {
        label,
        w,
        g,
        m: zeros("m"),
        v: zeros("v"),
        count,
        learningRate: opt.learningRate,
        beta1: opt.beta1,
        beta2: opt.beta2,
        epsilon: opt.epsilon,
      });
      return { op: adam, adam };
    }
    case "rmsprop": {
      const op = await prepareRmsprop(ctx, {
        label,
        w,
        g,
        ms: zeros("ms"),
        count,
        learningRate: opt.learningRate,
        rho: opt.rho,
        epsilon: opt.epsilon,
      });
      return { op, adam: null };
    }
  }
}

export interface TrainStepSetup {
  shape: ModelShape;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  batchSize: number;
  targetWidth: number;
  dropoutSeed: number;
  /**
   * Record what diagnosis needs (default true): batch fingerprint, activation statistics, gradient
   * norms and update ratios. false is the plain step (forward, loss, backward, optimizer update):
   * its record holds the batch loss only (words 0-1), every other word stays 0. The benchmark
   * measures one against the other.
   */
  instrument?: boolean;
  /**
   * The training split on the GPU (x: rows × inputs, y: rows × targetWidth, f32). With it, each step
   * gathers its batch on the GPU from the epoch's row order ({@linkcode TrainStep.setOrder}): a step
   * uploads nothing. Without it, the caller writes `xBatch` and `yBatch` before each submit.
   */
  data?: { x: GPUBuffer; y: GPUBuffer };
  /** Most row numbers one epoch's order holds (default batchSize): steps per epoch × batch size. */
  orderCapacity?: number;
  /**
   * Per-row loss weights of the training split (rows f32, Keras `class_weight` as row weights),
   * gathered per batch with the rows; needs `data`. Absent: every row weighs 1.
   */
  rowWeights?: GPUBuffer;
}

/** The prepared training step. */
export interface TrainStep {
  /** Batch inputs (batchSize × inputs) and targets (batchSize × targetWidth), f32. */
  xBatch: GPUBuffer;
  yBatch: GPUBuffer;
  /** The step record, cleared and rewritten every step. */
  record: GPUBuffer;
  recordWords: number;
  /**
   * Writes the epoch's row order (its batches concatenated, row numbers of the split given as
   * `data`): one write per epoch. Effective at the next submit.
   */
  setOrder(order: Uint32Array): void;
  /**
   * Sets the batch rows, the 0-based global step and (with `data`) where the batch starts in the
   * epoch's order; effective at the next submit. Writes only the uniforms that change.
   */
  prepare(rows: number, step: number, offset?: number): void;
  /** Encodes the whole step: the copies it needs, then one compute pass. */
  encode(encoder: GPUCommandEncoder): void;
}

/** Prepares the ops of one training step over the parameters `params`. */
export async function prepareTrainStep(
  ctx: GpuContext,
  params: GpuParameters,
  setup: TrainStepSetup,
): Promise<TrainStep> {
  const { shape, batchSize: B } = setup;
  const instrument = setup.instrument ?? true;
  const layers = shape.layers;
  const L = layers.length;
  const recorded = parameterLayers(shape);
  const K = layers[L - 1].outSize;
  const recordWords = stepRecordWords(recorded.length);
  const xBatch = ctx.storage("batch x", B * shape.inputs);
  const yBatch = ctx.storage("batch y", B * setup.targetWidth);
  const record = ctx.storage("step record", recordWords);
  const orderCapacity = setup.orderCapacity ?? B;
  const order = setup.data ? ctx.storage("epoch row order", orderCapacity) : null;
  const gather = setup.data
    ? await prepareGatherRows(ctx, {
      label: "batch gather",
      x: setup.data.x,
      y: setup.data.y,
      index: order!,
      xBatch,
      yBatch,
      rows: B,
      offset: 0,
      xCols: shape.inputs,
      yCols: setup.targetWidth,
    })
    : null;

  if (setup.rowWeights && !setup.data) {
    throw new Error("prepareTrainStep: rowWeights are gathered with the rows, so they need setup.data");
  }
  // The batch's row weights: the same gather over a one-column "x" (its y part is empty: yCols 0).
  const wBatch = setup.rowWeights ? ctx.storage("batch row weights", B) : null;
  const gatherWeights = setup.rowWeights
    ? await prepareGatherRows(ctx, {
      label: "batch row weights gather",
      x: setup.rowWeights,
      y: ctx.placeholder("gather y (read)"),
      index: order!,
      xBatch: wBatch!,
      yBatch: ctx.placeholder("gather yBatch (read-write)"),
      rows: B,
      offset: 0,
      xCols: 1,
      yCols: 0,
    })
    : null;
  const cfg = lossConfig(setup.loss);

  const fingerprint = await prepareFingerprint(ctx, {
    label: "batch fingerprint",
    x: xBatch,
    y: yBatch,
    record,
    rows: B,
    xCols: shape.inputs,
    yCols: setup.targetWidth,
    slot: 1,
  });
  // Layer i's input-gradient pass also applies act'(Z) of layer i - 1 (writing that layer's dZ)
  // where both kinds offer it (dense: where the matmul variant fuses, and not after dropout or
  // softmax, whose Jacobian needs Y; pooling above a conv2d).
  const fusedBelow = layers.map((layer, i) =>
    i > 0 && (layer.def.fusion?.accepts(layer.spec, ctx) ?? false) &&
    (layers[i - 1].def.fusion?.exposes(layers[i - 1].spec) ?? null) !== null
  );
  // The loss step also does the top layer's act' (writing its dZ) or, for a softmax output, its
  // softmax forward and backward, where the layer offers them.
  const topLayer = layers[L - 1];
  const headSoftmax = topLayer.def.fusion?.exposesSoftmax?.(topLayer.spec) ?? false;
  const headActivation = headSoftmax ? null : topLayer.def.fusion?.exposes(topLayer.spec) ?? null;
  const headFused = headSoftmax || headActivation !== null;
  const ops: GpuTrainLayer[] = [];
  const paramIndex = parameterIndex(shape);
  // The layers' backward passes write their slices of one flat gradient buffer (the parameters'
  // layout), which the one optimizer dispatch reads.
  const grads = flatZeros(ctx, "gradients (dW, db of every layer)", params.layout);
  for (let i = 0; i < L; i++) {
    const layer = layers[i];
    const p = paramIndex[i];
    const below = i > 0 ? ops[i - 1] : null;
    ops.push(
      await layer.def.prepareTraining(ctx, layer, {
        label: `layer ${i}`,
        rows: B,
        x: below ? below.y : xBatch,
        params: p === null ? null : { w: params.weights[p], b: params.biases[p] },
        grads: p === null ? null : { dw: grads.weights[p], db: grads.biases[p] },
        dx: below ? (fusedBelow[i] ? below.dz! : below.dy) : null,
        dropoutSeed: setup.dropoutSeed,
        instrument,
        fusion: {
          below: fusedBelow[i]
            ? { activation: layers[i - 1].def.fusion!.exposes(layers[i - 1].spec)!, z: below!.z! }
            : null,
          dzReady: i === L - 1 ? headFused : fusedBelow[i + 1],
          softmaxInHead: i === L - 1 && headSoftmax,
        },
        outputFreeInBackward: i < L - 1 && layers[i + 1].def.backwardReadsInput === false,
      }),
    );
  }
  const update = await prepareUpdate(
    ctx,
    "parameters update",
    setup.optimizer,
    params.buffer,
    grads.buffer,
    params.layout,
  );
  // "W before step" of every layer: one copy of the whole flat parameter buffer (instrumented only).
  const before = instrument
    ? slices(ctx.storage("parameters before step", params.layout.length), params.layout)
    : null;
  const layerRecords: (PreparedOp<string> | null)[] = [];
  for (const [r, layer] of recorded.entries()) {
    const op = ops[layer.position], g = op.grads!;
    const { inputs, units } = layer.parameters!;
    const wCount = inputs * units;
    const label = `layer ${layer.position}`;
    // The lean step (instrument: false) records nothing, so it prepares no record. Per-unit
    // statistics read Z as (rows · positions) × units: a filter is one unit over all its positions.
    const positions = recordPositions(layer);
    layerRecords.push(
      !before ? null : await prepareLayerRecord(ctx, {
        label: `${label} record`,
        grads: g.dwBlockNorms ?? g.dw,
        gradCount: g.dwBlockNorms ? g.blockNormCount : wCount,
        biasGrads: g.db,
        biasCount: units,
        wNew: params.weights[r],
        wOld: before.weights[r],
        weightCount: wCount,
        statistic: activationStatistic(layer.activation),
        z: op.z!,
        rows: B * positions,
        units,
        cutoff: layer.activation === "tanh" ? SATURATION_CUTOFFS.tanh : SATURATION_CUTOFFS.sigmoid,
        record,
        offset: STEP_HEADER_WORDS + LAYER_RECORD_WORDS * r,
      }),
    );
  }
  const top = ops[L - 1];
  if (headFused && (!top.z || !top.dz)) {
    throw new Error(
      `prepareTrainStep: layer ${L - 1} offers its activation to the loss step but has no Z or dZ`,
    );
  }
  const head: LossHead | undefined = headSoftmax
    ? { kind: "softmax", z: top.z!, dz: top.dz! }
    : headActivation !== null
    ? { kind: "activation", activation: headActivation, z: top.z! }
    : undefined;
  const lossStep = await prepareLossBackward(ctx, {
    label: "batch loss and its gradient",
    loss: cfg,
    yTrue: yBatch,
    yPred: top.y,
    grad: head?.kind === "activation" ? top.dz! : top.dy,
    rows: B,
    cols: K,
    targetCols: setup.targetWidth,
    reduction: setup.loss.reduction,
    rowWeights: wBatch ?? undefined,
    lossOutput: record,
    lossOffset: 0,
    head,
  });

  // Keras's L2 kernel regularizers: each penalty joins the step's loss (computed with the weights of
  // this forward pass) and 2·l2·w joins dW before the update. Where the fused dense product wrote
  // dW's block norms, the record's ‖dW‖ is the data gradient's.
  const regularized = recorded.flatMap((layer, r) => {
    const l2 = layer.def.l2?.(layer.spec) ?? 0;
    return l2 > 0 ? [{ layer, r, l2, count: layer.parameters!.inputs * layer.parameters!.units }] : [];
  });
  const penalties = await preparePenalties(ctx, {
    label: "batch loss",
    kernels: regularized.map((k) => ({ w: params.weights[k.r], count: k.count, l2: k.l2 })),
    loss: record,
    lossOffset: 0,
  });
  const l2Gradients: PreparedOp<string>[] = [];
  for (const k of regularized) {
    l2Gradients.push(
      await prepareL2Gradient(ctx, {
        label: `layer ${k.layer.position} dW += 2·l2·W`,
        w: params.weights[k.r],
        g: grads.weights[k.r],
        count: k.count,
        l2: k.l2,
      }),
    );
  }

  let rows = B, offset = 0;
  return {
    xBatch,
    yBatch,
    record,
    recordWords,
    setOrder(rowOrder) {
      if (!order) throw new Error("prepareTrainStep: setOrder needs the training split (setup.data)");
      if (rowOrder.length > orderCapacity) {
        throw new RangeError(
          `an epoch order of ${rowOrder.length} rows exceeds its capacity ${orderCapacity}`,
        );
      }
      ctx.device.queue.writeBuffer(order, 0, rowOrder.buffer, rowOrder.byteOffset, rowOrder.byteLength);
    },
    prepare(batchRows, step, batchOffset = 0) {
      if (gather && (batchRows !== rows || batchOffset !== offset)) {
        offset = batchOffset;
        gather.set({ rows: batchRows, offset });
        gatherWeights?.set({ rows: batchRows, offset });
      }
      if (batchRows !== rows) {
        rows = batchRows;
        fingerprint.set({ rows, xLen: rows * shape.inputs, yLen: rows * setup.targetWidth });
        ops.forEach((op) => op.setRows(rows));
        recorded.forEach((layer, r) => layerRecords[r]?.set({ rows: rows * recordPositions(layer) }));
        lossStep.setRows(rows);
      }
      for (const op of ops) op.setStep(step);
      update.adam?.setStep(step + 1);
    },
    encode(encoder) {
      encoder.clearBuffer(record);
      if (before) encoder.copyBufferToBuffer(params.buffer, 0, before.buffer, 0, params.layout.length * 4);
      const pass = encoder.beginComputePass({ label: "train step" });
      gather?.encode(pass);
      gatherWeights?.encode(pass);
      if (instrument) fingerprint.encode(pass);
      for (const op of ops) op.forward(pass);
      lossStep.encode(pass);
      penalties.encode(pass);
      for (let i = L - 1; i >= 0; i--) ops[i].backward(pass);
      for (const op of l2Gradients) op.encode(pass);
      // The update after the whole backward pass (dX of layer i reads W_i before its update), then
      // each layer's record: its gradients, the update it made, and its pre-activations Z (intact
      // since the forward pass).
      update.op.encode(pass);
      for (const op of layerRecords) op?.encode(pass);
      pass.end();
    },
  };
}

/** Results of one evaluation pass, in GPU buffers, for one readback. */
export interface SplitEvaluation {
  rows: number;
  /** Pairs: 0 the loss, then one per engine metric, in order. */
  values: GPUBuffer;
  valueCount: number;
  /** rows × K outputs (after the output activation) and logits (pre-activation). */
  outputs: GPUBuffer;
  logits: GPUBuffer;
  /**
   * Per layer: column statistics of its activations (ReLU layers), else null; over the whole split,
   * or its first chunk of rows where it is evaluated in chunks ({@linkcode evaluationChunkRows}).
   */
  activationStats: (GPUBuffer | null)[];
  /** The L2 penalty pairs already added to the loss (pair 0 of `values`), for the consistency check. */
  penalties: { pairs: GPUBuffer; count: number } | null;
  encode(encoder: GPUCommandEncoder): void;
}

/**
 * Most bytes one evaluation's layer buffers take together (each layer's outputs and pre-activations
 * for the rows of one chunk): a whole split of an image model would need gigabytes (one row of
 * 26×26 × 32 filters is 86.5 KB per buffer; 48,000 rows of it 4.2 GB).
 */
export const EVALUATION_CHUNK_BYTES = 128 * 2 ** 20;

/**
 * Rows an evaluation pass runs at once: the whole split where its layer buffers fit both the
 * adapter's storage binding limit and {@linkcode EVALUATION_CHUNK_BYTES}, else the most rows that do
 * (at least 1).
 */
export function evaluationChunkRows(shape: ModelShape, rows: number, maxBindingBytes: number): number {
  const widest = Math.max(shape.inputs, ...shape.layers.map((l) => l.outSize));
  // Upper bound per row: the input chunk, and each layer's output and pre-activations (or argmax).
  const perRow = shape.inputs + shape.layers.reduce((sum, l) => sum + 2 * l.outSize, 0);
  const byBinding = Math.floor(maxBindingBytes / (4 * widest));
  const byMemory = Math.floor(EVALUATION_CHUNK_BYTES / (4 * perRow));
  return Math.max(1, Math.min(rows, byBinding, byMemory));
}

/**
 * Prepares the evaluation of the whole split (x: rows × inputs, y: rows × targetWidth, f32 on the
 * GPU): forward without dropout, the loss and each engine metric reduced over all rows. Where the
 * layers' buffers for the whole split would not fit ({@linkcode evaluationChunkRows}), the forward
 * pass runs over chunks of rows (each copied from x, its outputs copied into split-sized outputs and
 * logits), then the loss and metrics over the whole split: every row's numbers are the same as in
 * one pass (the layers are row by row at evaluation); the unit statistics cover the first chunk.
 */
export async function prepareEvaluation(
  ctx: GpuContext,
  params: GpuParameters,
  options: {
    label: string;
    shape: ModelShape;
    loss: LossSpec;
    x: GPUBuffer;
    y: GPUBuffer;
    rows: number;
    /** Columns of y: K, or 1 for class indices (sparse) or one column broadcast against K outputs. */
    targetCols: number;
    metrics: EngineMetric[];
    /** Per-row weights of the loss (rows f32; the training split under class weights). */
    rowWeights?: GPUBuffer;
  },
): Promise<SplitEvaluation> {
  const { shape, rows: N, label } = options;
  const L = shape.layers.length;
  const K = shape.layers[L - 1].outSize;
  const chunk = evaluationChunkRows(shape, N, ctx.device.limits.maxStorageBufferBindingSize);
  const chunked = chunk < N;
  const forwardOps: { encode(p: GPUComputePassEncoder): void }[] = [];
  const statsOps: { encode(p: GPUComputePassEncoder): void }[] = [];
  const ops: { encode(p: GPUComputePassEncoder): void }[] = [];
  const activationStats: (GPUBuffer | null)[] = [];
  const paramIndex = parameterIndex(shape);
  const xChunk = chunked ? ctx.storage(`${label} input rows of a chunk`, chunk * shape.inputs) : null;
  let x = xChunk ?? options.x;
  let last: GpuLayer | null = null;
  for (const layer of shape.layers) {
    const p = paramIndex[layer.position];
    const op = await layer.def.prepareEvaluation(ctx, layer, {
      label: `${label} layer ${layer.position}`,
      rows: chunk,
      x,
      params: p === null ? null : { w: params.weights[p], b: params.biases[p] },
    });
    forwardOps.push({ encode: (pass) => op.forward(pass) });
    x = op.y;
    last = op;
    if (!layer.parameters) continue;
    if (layer.activation === "relu") {
      // Per unit (a filter over all its positions): the fraction of rows · positions it is active on.
      const units = layer.parameters.units, rows = chunk * recordPositions(layer);
      const stats = ctx.storage(`${label} layer ${layer.position} unit stats`, columnStatsWords(units));
      statsOps.push(
        await prepareColumnStats(ctx, {
          label: `${label} layer ${layer.position} unit stats`,
          x: op.activations,
          stats,
          rows,
          cols: units,
        }),
      );
      activationStats.push(stats);
    } else {
      activationStats.push(null);
    }
  }
  // Chunked: the split's outputs and logits gather the chunks' (copied after each chunk's pass).
  const outputs = chunked ? ctx.storage(`${label} outputs`, N * K) : last!.y;
  const logits = chunked ? (last!.z ? ctx.storage(`${label} logits`, N * K) : outputs) : last!.z ?? last!.y;
  const valueCount = 1 + options.metrics.length;
  const values = ctx.storage(`${label} values`, 2 * valueCount);
  const perRow = ctx.storage(`${label} loss per row`, N);
  ops.push(
    await prepareLossForward(ctx, {
      label: `${label} loss`,
      loss: lossConfig(options.loss),
      yTrue: options.y,
      yPred: outputs,
      perRow,
      rows: N,
      cols: K,
      targetCols: options.targetCols,
      rowWeights: options.rowWeights,
    }),
  );
  ops.push(
    await prepareReduce(ctx, {
      label: `${label} loss reduce`,
      op: options.loss.reduction === "sum" ? "sum" : "mean",
      input: perRow,
      n: N,
      output: values,
      outOffset: 0,
    }),
  );
  // The loss Keras's evaluate reports includes the regularizers' penalties of the current weights.
  const penalties = await preparePenalties(ctx, {
    label: `${label} loss`,
    kernels: parameterLayers(shape).flatMap((layer, r) => {
      const l2 = layer.def.l2?.(layer.spec) ?? 0;
      return l2 > 0
        ? [{ w: params.weights[r], count: layer.parameters!.inputs * layer.parameters!.units, l2 }]
        : [];
    }),
    loss: values,
    lossOffset: 0,
  });
  ops.push(penalties);
  for (const [m, metric] of options.metrics.entries()) {
    const scratch = ctx.storage(`${label} ${metric.name} per row`, N);
    if (metric.kind === "correct") {
      ops.push(
        await prepareCorrect(ctx, {
          label: `${label} ${metric.name}`,
          mode: metric.mode,
          yTrue: options.y,
          yPred: outputs,
          correct: scratch,
          rows: N,
          cols: K,
          threshold: metric.threshold,
        }),
      );
    } else {
      const cfg: LossConfig = { name: metric.loss, fromLogits: false };
      ops.push(
        await prepareLossForward(ctx, {
          label: `${label} ${metric.name}`,
          loss: cfg,
          yTrue: options.y,
          yPred: outputs,
          perRow: scratch,
          rows: N,
          cols: K,
        }),
      );
    }
    ops.push(
      await prepareReduce(ctx, {
        label: `${label} ${metric.name} reduce`,
        op: "mean",
        input: scratch,
        n: N,
        output: values,
        outOffset: 1 + m,
      }),
    );
  }
  return {
    rows: N,
    values,
    valueCount,
    penalties: penalties.count > 0 ? { pairs: penalties.pairs, count: penalties.count } : null,
    outputs,
    logits,
    activationStats,
    encode(encoder) {
      if (!chunked) {
        const pass = encoder.beginComputePass({ label: `${label} evaluation` });
        for (const op of [...forwardOps, ...statsOps, ...ops]) op.encode(pass);
        pass.end();
        return;
      }
      const inputs = shape.inputs;
      for (let r0 = 0; r0 < N; r0 += chunk) {
        // The last chunk computes a full chunk of rows too (the rest are the previous chunk's
        // inputs): only its own rows are copied out.
        const n = Math.min(chunk, N - r0);
        encoder.copyBufferToBuffer(options.x, r0 * inputs * 4, xChunk!, 0, n * inputs * 4);
        const pass = encoder.beginComputePass({ label: `${label} evaluation rows ${r0}-${r0 + n - 1}` });
        for (const op of forwardOps) op.encode(pass);
        if (r0 === 0) { for (const op of statsOps) op.encode(pass); }
        pass.end();
        encoder.copyBufferToBuffer(last!.y, 0, outputs, r0 * K * 4, n * K * 4);
        if (logits !== outputs) encoder.copyBufferToBuffer(last!.z!, 0, logits, r0 * K * 4, n * K * 4);
      }
      const pass = encoder.beginComputePass({ label: `${label} evaluation loss and metrics` });
      for (const op of ops) op.encode(pass);
      pass.end();
    },
  };
}
