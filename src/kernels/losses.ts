/**
 * Kernel definitions of `loss_forward.wgsl` (per-row loss values) and `loss_backward.wgsl` (the
 * gradient of the reduced loss w.r.t. predictions or logits). The reduced loss is
 * {@linkcode prepareReduce} ("mean" or "sum") over the per-row values.
 *
 * @module
 */
import forwardCode from "../../shaders/loss_forward.wgsl" with { type: "text" };
import backwardCode from "../../shaders/loss_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { weightRows } from "../reference/class_weights.ts";
import { type LossConfig, lossGradient, lossPerRow } from "../reference/losses.ts";
import type { Reduction } from "../scenario/types.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

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

/** `loss_backward.wgsl`: grad = scale · ∂L_r/∂yPred (scale 1/rows for "mean", 1 for "sum"). */
export const lossBackward: KernelDef<"rows" | "cols" | "delta" | "scale"> = {
  name: "loss_backward",
  code: backwardCode,
  bindings: [
    { name: "yTrue", access: "read" },
    { name: "yPred", access: "read" },
    { name: "grad", access: "read-write" },
    { name: "rowWeight", access: "read" },
  ],
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "cols", type: "u32" },
    { name: "delta", type: "f32" },
    { name: "scale", type: "f32" },
  ],
  overrides: { LOSS: 0, TARGET_BROADCAST: 0, ROW_WEIGHTS: 0 },
  dispatch: (u) => linearWorkgroups(u.rows, ROW_WG),
  twins: [lossGradient, weightRows],
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
 * Prepares the loss gradient into `grad` (rows × cols f32). The scale follows `reduction` and
 * `rows`; after `op.set({ rows })` also set `scale` (use {@linkcode reductionScale}).
 */
export function prepareLossBackward(
  ctx: GpuContext,
  options: LossOpOptions & { grad: GPUBuffer; reduction: Reduction },
): Promise<PreparedOp<"rows" | "cols" | "delta" | "scale">> {
  return prepareKernel(ctx, lossBackward, {
    label: options.label,
    buffers: {
      yTrue: options.yTrue,
      yPred: options.yPred,
      grad: options.grad,
      rowWeight: options.rowWeights ?? noRowWeights(ctx),
    },
    uniforms: {
      rows: options.rows,
      cols: options.cols,
      delta: options.loss.delta ?? 1,
      scale: reductionScale(options.reduction, options.rows),
    },
    overrides: lossOverrides(options),
  });
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
