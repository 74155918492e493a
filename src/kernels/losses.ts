/**
 * Kernel definitions of `loss_forward.wgsl` (per-row loss values: evaluation, where the reduced loss
 * is {@linkcode prepareReduce} over them) and `loss_backward.wgsl` (the training step's loss in one
 * dispatch: the gradient of the reduced loss, optionally carried through the top layer's activation,
 * and the reduced loss itself).
 *
 * @module
 */
import forwardCode from "../../shaders/loss_forward.wgsl" with { type: "text" };
import backwardCode from "../../shaders/loss_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { activationBackward, type ElementwiseActivation } from "../reference/activations.ts";
import { weightRows } from "../reference/class_weights.ts";
import { type LossConfig, lossGradient, lossPerRow } from "../reference/losses.ts";
import { reduceTreeF32 } from "../reference/reductions.ts";
import { softmax, softmaxBackward } from "../reference/softmax.ts";
import type { Reduction } from "../scenario/types.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";
import { activationOverrides } from "./matmul.ts";
import { type PreparedReduce, prepareReduce } from "./reduce.ts";

/** The value of the shaders' `LOSS` override for a loss configuration. */
export function lossKind(cfg: LossConfig): number {
  switch (cfg.name) {
    case "mse":
      return 0;
    case "mae":
      return 1;
    case "huber":
      return 2;
    case "binary-crossentropy":
      return cfg.fromLogits ? 4 : 3;
    case "categorical-crossentropy":
      return cfg.fromLogits ? 6 : 5;
    case "sparse-categorical-crossentropy":
      return cfg.fromLogits ? 8 : 7;
  }
}

const ROW_WG = 64;

/** `loss_forward.wgsl`: perRow[r] = L(yTrue[r], yPred[r]). */
export const lossForward: KernelDef<"rows" | "cols" | "delta"> = {
  name: "loss_forward",
  code: forwardCode,
  bindings: [
    { name: "yTrue", access: "read" },
    { name: "yPred", access: "read" },
    { name: "perRow", access: "read-write" },
    { name: "rowWeight", access: "read" },
  ],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }, { name: "delta", type: "f32" }],
  overrides: { LOSS: 0, TARGET_BROADCAST: 0, ROW_WEIGHTS: 0 },
  dispatch: (u) => linearWorkgroups(u.rows, ROW_WG),
  twins: [lossPerRow, weightRows],
};

/** Rows one workgroup of `loss_backward.wgsl` takes (its first reduction pass: reduce_forward's chunk). */
const LOSS_STEP_CHUNK = 1024;

/**
 * `loss_backward.wgsl`: grad = scale · ∂L_r/∂yPred (scale 1/rows for "mean", 1 for "sum"), carried
 * through the top layer's activation by HEAD, and the first pass of the reduced loss.
 */
export const lossBackward: KernelDef<"rows" | "cols" | "delta" | "scale" | "outOffset"> = {
  name: "loss_backward",
  code: backwardCode,
  bindings: [
    { name: "yTrue", access: "read" },
    { name: "yPred", access: "read-write" },
    { name: "z", access: "read" },
    { name: "grad", access: "read-write" },
    { name: "dz", access: "read-write" },
    { name: "rowWeight", access: "read" },
    { name: "losses", access: "read-write" },
  ],
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "cols", type: "u32" },
    { name: "delta", type: "f32" },
    { name: "scale", type: "f32" },
    { name: "outOffset", type: "u32" },
  ],
  overrides: { LOSS: 0, TARGET_BROADCAST: 0, ROW_WEIGHTS: 0, HEAD: 0, ACTIVATION: 0, ALPHA: 0.2, FINAL: 1 },
  dispatch: (u) => [Math.ceil(u.rows / LOSS_STEP_CHUNK), 1, 1],
  twins: [lossGradient, lossPerRow, weightRows, reduceTreeF32, activationBackward, softmax, softmaxBackward],
};

/** Buffers and shape of a loss op: f32 buffers, yTrue rows × cols (sparse: rows × 1). */
export interface LossOpOptions {
  label: string;
  loss: LossConfig;
  yTrue: GPUBuffer;
  yPred: GPUBuffer;
  rows: number;
  cols: number;
  /**
   * Columns of yTrue: `cols` (the default), or 1 to compare one target column with every column of
   * its row, as Keras broadcasts a (rows, 1) target against (rows, cols) predictions. Sparse losses
   * always read one column of class indices.
   */
  targetCols?: number;
  /**
   * Per-row weights (rows f32, Keras `class_weight` as row weights): each row's loss and gradient is
   * multiplied by its weight. Absent: every row weighs 1 (a one-word placeholder is bound).
   */
  rowWeights?: GPUBuffer;
}

/**
 * Prepares the per-row loss: `perRow` (rows f32) receives one value per row; NaN for a row with a
 * non-finite input or an invalid sparse label. `op.set({ rows })` for a partial last batch.
 */
export function prepareLossForward(
  ctx: GpuContext,
  options: LossOpOptions & { perRow: GPUBuffer },
): Promise<PreparedOp<"rows" | "cols" | "delta">> {
  return prepareKernel(ctx, lossForward, {
    label: options.label,
    buffers: {
      yTrue: options.yTrue,
      yPred: options.yPred,
      perRow: options.perRow,
      rowWeight: options.rowWeights ?? noRowWeights(ctx),
    },
    uniforms: { rows: options.rows, cols: options.cols, delta: options.loss.delta ?? 1 },
    overrides: lossOverrides(options),
  });
}

/**
 * What of the model's top layer the loss step does too, so that the step needs no dispatch of its own
 * for it (the layer then skips it):
 * - `activation`: `grad` receives dZ = ∂L/∂y ⊙ act'(z) rather than ∂L/∂y;
 * - `softmax`: `yPred` is first written as softmax(z), and `dz` receives softmax's backward of ∂L/∂y
 *   (`grad` still receives ∂L/∂y).
 */
export type LossHead =
  | { kind: "activation"; activation: ElementwiseActivation; activationParameter?: number; z: GPUBuffer }
  | { kind: "softmax"; z: GPUBuffer; dz: GPUBuffer };

/** The prepared loss step: {@linkcode prepareLossBackward}. */
export interface LossStepOp {
  readonly label: string;
  /** The batch rows now (<= the prepared rows; a partial last batch): sets the scale too. */
  setRows(rows: number): void;
  encode(pass: GPUComputePassEncoder): void;
  release(): void;
}

/**
 * Prepares the training step's loss: the gradient into `grad` (rows × cols f32; see `head`), and the
 * reduced loss ("mean" or "sum" per `reduction`) as the pair (value, non-finite count) at pair index
 * `lossOffset` of `lossOutput`. One dispatch for up to 1,024 rows, bit-identical to loss_forward,
 * reduce_forward and the separate backward kernels; larger batches add reduce_forward's later passes.
 */
export async function prepareLossBackward(
  ctx: GpuContext,
  options: LossOpOptions & {
    grad: GPUBuffer;
    reduction: Reduction;
    lossOutput: GPUBuffer;
    lossOffset?: number;
    head?: LossHead;
  },
): Promise<LossStepOp> {
  const { label, rows: maxRows, reduction } = options;
  const head = options.head;
  const groups = Math.ceil(maxRows / LOSS_STEP_CHUNK);
  // Past one workgroup its pairs are partial sums, which reduce_forward's later passes finish.
  const partials = groups > 1 ? ctx.storage(`${label} loss partials`, 2 * groups) : null;
  const op = await prepareKernel(ctx, lossBackward, {
    label,
    buffers: {
      yTrue: options.yTrue,
      yPred: options.yPred,
      z: head ? head.z : ctx.placeholder("loss z (read)"),
      grad: options.grad,
      dz: head?.kind === "softmax" ? head.dz : ctx.placeholder("loss dZ (read-write)"),
      rowWeight: options.rowWeights ?? noRowWeights(ctx),
      losses: partials ?? options.lossOutput,
    },
    uniforms: {
      rows: maxRows,
      cols: options.cols,
      delta: options.loss.delta ?? 1,
      scale: reductionScale(reduction, maxRows),
      outOffset: partials ? 0 : options.lossOffset ?? 0,
    },
    overrides: {
      ...lossOverrides(options),
      HEAD: head === undefined ? 0 : head.kind === "activation" ? 1 : 2,
      ...(head?.kind === "activation"
        ? activationOverrides(head.activation, head.activationParameter)
        : { ACTIVATION: 0, ALPHA: 0.2 }),
      FINAL: partials ? 0 : 1,
    },
  });
  const tail: PreparedReduce | null = partials
    ? await prepareReduce(ctx, {
      label: `${label} reduce`,
      op: "sum",
      input: partials,
      inputPairs: true,
      n: groups,
      output: options.lossOutput,
      outOffset: options.lossOffset ?? 0,
      scale: reductionScale(reduction, maxRows),
    })
    : null;
  return {
    label,
    setRows(rows) {
      if (!(rows >= 1 && rows <= maxRows)) {
        throw new RangeError(`${label}: rows must be in 1..${maxRows}, got ${rows}`);
      }
      const scale = reductionScale(reduction, rows);
      op.set({ rows, scale });
      tail?.set({ n: Math.ceil(rows / LOSS_STEP_CHUNK), scale });
    },
    encode(pass) {
      op.encode(pass);
      tail?.encode(pass);
    },
    release() {
      op.release();
      tail?.release();
      if (partials) ctx.pool.release(partials);
    },
  };
}

function lossOverrides(options: LossOpOptions): Record<string, number> {
  const sparse = options.loss.name === "sparse-categorical-crossentropy";
  const targetCols = options.targetCols ?? options.cols;
  if (!sparse && targetCols !== options.cols && targetCols !== 1) {
    throw new RangeError(
      `${options.label}: targets of ${targetCols} columns cannot be compared with ${options.cols} predictions`,
    );
  }
  return {
    LOSS: lossKind(options.loss),
    TARGET_BROADCAST: !sparse && targetCols !== options.cols ? 1 : 0,
    ROW_WEIGHTS: options.rowWeights ? 1 : 0,
  };
}

/** The placeholder bound as `rowWeight` when rows are unweighted (the shader never reads it then). */
function noRowWeights(ctx: GpuContext): GPUBuffer {
  return ctx.placeholder("loss row weights (read)");
}

/** Weight of one row's loss in the reduced loss: 1/rows for "mean", 1 for "sum". */
export function reductionScale(reduction: Reduction, rows: number): number {
  return reduction === "mean" ? 1 / Math.max(rows, 1) : 1;
}
