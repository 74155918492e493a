/**
 * One model on the GPU: its parameter and activation buffers, and the prepared ops of a training
 * step (batch gather, forward with dropout, loss, backward, optimizer, instrumentation) and of an
 * evaluation pass over a whole split. Everything is prepared once: the split is uploaded once, the
 * epoch's row order once per epoch, and a step writes only the uniforms that change (the batch
 * offset, the dropout step, Adam's step).
 *
 * Step record (u32 words, one per step, copied into the epoch's record buffer after each step):
 *   0-1  loss pair (f32 bits, non-finite count)          2-3  batch fingerprint (two lanes)
 *   per layer l at 4 + 10·l: 0-1 ‖dW‖ pair, 2-3 ‖db‖ pair, 4-7 update ratio record
 *   (ratio, ‖ΔW‖, ‖W_old‖, non-finite words), 8-9 activation statistic (fraction f32, count u32).
 *
 * @module
 */
import type { GpuContext } from "../gpu/context.ts";
import { type DenseOp, prepareDenseBackward, prepareDenseForward } from "../kernels/dense.ts";
import { blockNormCount, fusesBackward } from "../kernels/matmul.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { prepareDropout } from "../kernels/dropout.ts";
import { prepareFingerprint } from "../kernels/fingerprint.ts";
import { prepareGatherRows } from "../kernels/gather.ts";
import {
  LAYER_RECORD_WORDS,
  type LayerStatistic,
  prepareLayerRecord,
  SATURATION_CUTOFFS,
} from "../kernels/instrument.ts";
import type { PreparedOp } from "../kernels/kernel.ts";
import { prepareLossBackward, prepareLossForward, reductionScale } from "../kernels/losses.ts";
import { prepareCorrect } from "../kernels/metrics.ts";
import { type AdamOp, prepareAdam, prepareRmsprop, prepareSgd } from "../kernels/optimizers.ts";
import { prepareReduce } from "../kernels/reduce.ts";
import { columnStatsWords, prepareColumnStats } from "../kernels/column_stats.ts";
import type { LossConfig } from "../reference/losses.ts";
import type { Activation, LossSpec, OptimizerSpec } from "../scenario/types.ts";
import type { ModelShape } from "./model.ts";
import type { LayerWeights } from "./records.ts";

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

/** The model's parameters on the GPU (f32), with the optimizer's state. */
export interface GpuParameters {
  weights: GPUBuffer[];
  biases: GPUBuffer[];
}

export function uploadParameters(ctx: GpuContext, params: LayerWeights[]): GpuParameters {
  return {
    weights: params.map((p, i) => ctx.upload(`layer ${i} W`, Float32Array.from(p.weights))),
    biases: params.map((p, i) => ctx.upload(`layer ${i} b`, Float32Array.from(p.biases))),
  };
}

function lossConfig(loss: LossSpec): LossConfig {
  return { name: loss.name, fromLogits: loss.fromLogits, delta: loss.delta };
}

function zeros(ctx: GpuContext, label: string, count: number): GPUBuffer {
  return ctx.upload(label, new Float32Array(Math.max(count, 1)));
}

/** The prepared ops of one optimizer update of one tensor. */
type UpdateOp = { op: PreparedOp<string>; adam: AdamOp | null };

async function prepareUpdate(
  ctx: GpuContext,
  label: string,
  opt: OptimizerSpec,
  w: GPUBuffer,
  g: GPUBuffer,
  count: number,
): Promise<UpdateOp> {
  switch (opt.name) {
    case "sgd": {
      const velocity = opt.momentum !== 0 ? zeros(ctx, `${label} velocity`, count) : undefined;
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
        m: zeros(ctx, `${label} m`, count),
        v: zeros(ctx, `${label} v`, count),
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
        ms: zeros(ctx, `${label} ms`, count),
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
  const L = shape.layers.length;
  const K = shape.layers[L - 1].units;
  const recordWords = stepRecordWords(L);
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

  const z: GPUBuffer[] = [], act: GPUBuffer[] = [], out: GPUBuffer[] = [], dOut: GPUBuffer[] = [];
  const dAct: GPUBuffer[] = [], dz: GPUBuffer[] = [], dw: GPUBuffer[] = [], db: GPUBuffer[] = [];
  const wOld: GPUBuffer[] = [];
  shape.layers.forEach((layer, i) => {
    const n = B * layer.units;
    z.push(ctx.storage(`layer ${i} Z`, n));
    act.push(ctx.storage(`layer ${i} act(Z)`, n));
    out.push(layer.dropout > 0 ? ctx.storage(`layer ${i} dropout(act)`, n) : act[i]);
    dOut.push(ctx.storage(`layer ${i} dL/dout`, n));
    dAct.push(layer.dropout > 0 ? ctx.storage(`layer ${i} dL/dact`, n) : dOut[i]);
    dz.push(ctx.storage(`layer ${i} dZ`, n));
    dw.push(ctx.storage(`layer ${i} dW`, layer.inputs * layer.units));
    db.push(ctx.storage(`layer ${i} db`, layer.units));
    wOld.push(ctx.storage(`layer ${i} W before step`, layer.inputs * layer.units));
  });
  const perRow = ctx.storage("batch loss per row", B);
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
  // Layer i's dX product also applies act'(Z) of layer i - 1 (writing that layer's dZ) where the
  // matmul variant fuses and nothing sits between them (dropout, or softmax's Jacobian needs Y).
  const fuse = fusesBackward(ctx);
  const fusedBelow = shape.layers.map((_, i) =>
    fuse && i > 0 && shape.layers[i - 1].dropout === 0 && shape.layers[i - 1].activation !== "softmax"
  );
  const forward: DenseOp[] = [], backward: DenseOp[] = [];
  const dropFwd: (PreparedOp<string> | null)[] = [], dropBwd: (PreparedOp<string> | null)[] = [];
  const updates: UpdateOp[] = [], layerRecords: (PreparedOp<string> | null)[] = [];
  for (let i = 0; i < L; i++) {
    const layer = shape.layers[i];
    const base = STEP_HEADER_WORDS + LAYER_RECORD_WORDS * i;
    const common = { rows: B, inputs: layer.inputs, units: layer.units, activation: layer.activation };
    const x = i === 0 ? xBatch : out[i - 1];
    forward.push(
      await prepareDenseForward(ctx, {
        ...common,
        label: `layer ${i}`,
        x,
        w: params.weights[i],
        b: params.biases[i],
        z: z[i],
        y: act[i],
      }),
    );
    const dropout = (pass: "forward" | "backward") =>
      prepareDropout(ctx, {
        label: `layer ${i} dropout ${pass}`,
        input: pass === "forward" ? act[i] : dOut[i],
        output: pass === "forward" ? out[i] : dAct[i],
        count: B * layer.units,
        rate: layer.dropout,
        seed: setup.dropoutSeed,
        layer: i,
        step: 0,
        pass,
      });
    dropFwd.push(layer.dropout > 0 ? await dropout("forward") : null);
    dropBwd.push(layer.dropout > 0 ? await dropout("backward") : null);
    // Instrumented and fused: the dW product also writes its 8×8 block norms, so the layer record
    // reads ~64× fewer values for ‖dW‖.
    const dwNorms = instrument && fuse
      ? ctx.storage(`layer ${i} dW block norms`, blockNormCount(layer.inputs, layer.units))
      : null;
    backward.push(
      await prepareDenseBackward(ctx, {
        ...common,
        label: `layer ${i} backward`,
        x,
        w: params.weights[i],
        z: z[i],
        y: act[i],
        dy: dAct[i],
        dz: dz[i],
        dw: dw[i],
        db: db[i],
        dx: i === 0 ? undefined : fusedBelow[i] ? dz[i - 1] : dOut[i - 1],
        inputGradient: fusedBelow[i]
          ? { activation: shape.layers[i - 1].activation as ElementwiseActivation, z: z[i - 1] }
          : undefined,
        dzReady: fusedBelow[i + 1] ?? false,
        dwBlockNorms: dwNorms ?? undefined,
      }),
    );
    const wCount = layer.inputs * layer.units;
    updates.push(
      await prepareUpdate(ctx, `layer ${i} W update`, setup.optimizer, params.weights[i], dw[i], wCount),
    );
    updates.push(
      await prepareUpdate(ctx, `layer ${i} b update`, setup.optimizer, params.biases[i], db[i], layer.units),
    );
    // The lean step (instrument: false) records nothing, so it prepares no record.
    layerRecords.push(
      !instrument ? null : await prepareLayerRecord(ctx, {
        label: `layer ${i} record`,
        grads: dwNorms ?? dw[i],
        gradCount: dwNorms ? blockNormCount(layer.inputs, layer.units) : wCount,
        biasGrads: db[i],
        biasCount: layer.units,
        wNew: params.weights[i],
        wOld: wOld[i],
        weightCount: wCount,
        statistic: activationStatistic(layer.activation),
        z: z[i],
        rows: B,
        units: layer.units,
        cutoff: layer.activation === "tanh" ? SATURATION_CUTOFFS.tanh : SATURATION_CUTOFFS.sigmoid,
        record,
        offset: base,
      }),
    );
  }
  const lossForward = await prepareLossForward(ctx, {
    label: "batch loss",
    loss: cfg,
    yTrue: yBatch,
    yPred: out[L - 1],
    perRow,
    rows: B,
    cols: K,
    targetCols: setup.targetWidth,
    rowWeights: wBatch ?? undefined,
  });
  const lossReduce = await prepareReduce(ctx, {
    label: "batch loss reduce",
    op: setup.loss.reduction === "sum" ? "sum" : "mean",
    input: perRow,
    n: B,
    output: record,
    outOffset: 0,
  });
  const lossBackward = await prepareLossBackward(ctx, {
    label: "batch loss gradient",
    loss: cfg,
    yTrue: yBatch,
    yPred: out[L - 1],
    grad: dOut[L - 1],
    rows: B,
    cols: K,
    targetCols: setup.targetWidth,
    reduction: setup.loss.reduction,
    rowWeights: wBatch ?? undefined,
  });

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
        forward.forEach((op) => op.setRows(rows));
        backward.forEach((op) => op.setRows(rows));
        shape.layers.forEach((layer, i) => {
          dropFwd[i]?.set({ count: rows * layer.units });
          dropBwd[i]?.set({ count: rows * layer.units });
          layerRecords[i]?.set({ rows });
        });
        lossForward.set({ rows });
        lossReduce.set({ n: rows });
        lossBackward.set({ rows, scale: reductionScale(setup.loss.reduction, rows) });
      }
      for (let i = 0; i < L; i++) {
        if (dropFwd[i]) {
          dropFwd[i]!.set({ step: step >>> 0 });
          dropBwd[i]!.set({ step: step >>> 0 });
        }
      }
      for (const u of updates) u.adam?.setStep(step + 1);
    },
    encode(encoder) {
      encoder.clearBuffer(record);
      if (instrument) {
        shape.layers.forEach((layer, i) =>
          encoder.copyBufferToBuffer(params.weights[i], 0, wOld[i], 0, layer.inputs * layer.units * 4)
        );
      }
      const pass = encoder.beginComputePass({ label: "train step" });
      gather?.encode(pass);
      gatherWeights?.encode(pass);
      if (instrument) fingerprint.encode(pass);
      for (let i = 0; i < L; i++) {
        forward[i].encode(pass);
        dropFwd[i]?.encode(pass);
      }
      lossForward.encode(pass);
      lossReduce.encode(pass);
      lossBackward.encode(pass);
      for (let i = L - 1; i >= 0; i--) {
        dropBwd[i]?.encode(pass);
        backward[i].encode(pass);
      }
      // Updates after the whole backward pass (dX of layer i reads W_i before its update), then each
      // layer's record: its gradients, the update it made, and its pre-activations Z (intact since
      // the forward pass).
      for (let i = 0; i < L; i++) {
        updates[2 * i].op.encode(pass);
        updates[2 * i + 1].op.encode(pass);
        layerRecords[i]?.encode(pass);
      }
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
  /** Per layer: column statistics of its activations (ReLU layers), else null. */
  activationStats: (GPUBuffer | null)[];
  encode(encoder: GPUCommandEncoder): void;
}

/**
 * Prepares the evaluation of the whole split (x: rows × inputs, y: rows × targetWidth, f32 on the
 * GPU): forward without dropout, the loss and each engine metric reduced over all rows.
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
  const K = shape.layers[L - 1].units;
  const ops: { encode(p: GPUComputePassEncoder): void }[] = [];
  const zs: GPUBuffer[] = [], acts: GPUBuffer[] = [];
  const activationStats: (GPUBuffer | null)[] = [];
  for (let i = 0; i < L; i++) {
    const layer = shape.layers[i];
    zs.push(ctx.storage(`${label} layer ${i} Z`, N * layer.units));
    acts.push(ctx.storage(`${label} layer ${i} act(Z)`, N * layer.units));
    ops.push(
      await prepareDenseForward(ctx, {
        label: `${label} layer ${i}`,
        rows: N,
        inputs: layer.inputs,
        units: layer.units,
        activation: layer.activation,
        x: i === 0 ? options.x : acts[i - 1],
        w: params.weights[i],
        b: params.biases[i],
        z: zs[i],
        y: acts[i],
      }),
    );
    if (layer.activation === "relu") {
      const stats = ctx.storage(`${label} layer ${i} unit stats`, columnStatsWords(layer.units));
      ops.push(
        await prepareColumnStats(ctx, {
          label: `${label} layer ${i} unit stats`,
          x: acts[i],
          stats,
          rows: N,
          cols: layer.units,
        }),
      );
      activationStats.push(stats);
    } else {
      activationStats.push(null);
    }
  }
  const valueCount = 1 + options.metrics.length;
  const values = ctx.storage(`${label} values`, 2 * valueCount);
  const perRow = ctx.storage(`${label} loss per row`, N);
  const outputs = acts[L - 1];
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
    outputs,
    logits: zs[L - 1],
    activationStats,
    encode(encoder) {
      const pass = encoder.beginComputePass({ label: `${label} evaluation` });
      for (const op of ops) op.encode(pass);
      pass.end();
    },
  };
}
