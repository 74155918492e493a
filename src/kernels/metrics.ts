/**
 * Kernel definitions of the metric kernels: `argmax_forward.wgsl`, `threshold_forward.wgsl`,
 * `correct_forward.wgsl` (per-row correctness; accuracy = mean of it, via prepareReduce) and
 * `confusion_forward.wgsl` (integer-atomic confusion counts).
 *
 * @module
 */
import argmaxCode from "../../shaders/argmax_forward.wgsl" with { type: "text" };
import thresholdCode from "../../shaders/threshold_forward.wgsl" with { type: "text" };
import correctCode from "../../shaders/correct_forward.wgsl" with { type: "text" };
import confusionCode from "../../shaders/confusion_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import {
  argmaxRows,
  confusionCounts,
  type CorrectMode,
  correctRows,
  thresholdValues,
} from "../reference/classify.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

/** `argmax_forward.wgsl`: classes[r] = first argmax of row r (u32). */
export const argmaxForward: KernelDef<"rows" | "cols"> = {
  name: "argmax_forward",
  code: argmaxCode,
  bindings: [{ name: "x", access: "read" }, { name: "classes", access: "read-write" }],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows, 64),
  twins: [argmaxRows],
};

/** `threshold_forward.wgsl`: decided[i] = p[i] > threshold (u32 0/1). */
export const thresholdForward: KernelDef<"n" | "threshold"> = {
  name: "threshold_forward",
  code: thresholdCode,
  bindings: [{ name: "p", access: "read" }, { name: "decided", access: "read-write" }],
  uniforms: [{ name: "n", type: "u32" }, { name: "threshold", type: "f32" }],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.n, 256),
  twins: [thresholdValues],
};

/** `correct_forward.wgsl`: per-row correctness (f32) in Keras' accuracy semantics. */
export const correctForward: KernelDef<"rows" | "cols" | "threshold"> = {
  name: "correct_forward",
  code: correctCode,
  bindings: [
    { name: "yTrue", access: "read" },
    { name: "yPred", access: "read" },
    { name: "correct", access: "read-write" },
  ],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }, {
    name: "threshold",
    type: "f32",
  }],
  overrides: { MODE: 0 },
  dispatch: (u) => linearWorkgroups(u.rows, 64),
  twins: [correctRows],
};

/** `confusion_forward.wgsl`: adds each row to counts[true · classes + predicted] (slot classes² = invalid). */
export const confusionForward: KernelDef<"rows" | "classes"> = {
  name: "confusion_forward",
  code: confusionCode,
  bindings: [
    { name: "yTrue", access: "read" },
    { name: "predicted", access: "read" },
    { name: "counts", access: "read-write" },
  ],
  uniforms: [{ name: "rows", type: "u32" }, { name: "classes", type: "u32" }],
  overrides: { TRUE_ONE_HOT: 0 },
  dispatch: (u) => linearWorkgroups(u.rows, 64),
  twins: [confusionCounts],
};

const CORRECT_MODES: Record<CorrectMode, number> = { sparse: 0, categorical: 1, binary: 2 };

/** Prepares argmax of `x` (rows × cols f32) into `classes` (rows u32). */
export function prepareArgmax(
  ctx: GpuContext,
  options: { label: string; x: GPUBuffer; classes: GPUBuffer; rows: number; cols: number },
): Promise<PreparedOp<"rows" | "cols">> {
  return prepareKernel(ctx, argmaxForward, {
    label: options.label,
    buffers: { x: options.x, classes: options.classes },
    uniforms: { rows: options.rows, cols: options.cols },
  });
}

/** Prepares `decided = p > threshold` over n values (u32 0/1). */
export function prepareThreshold(
  ctx: GpuContext,
  options: { label: string; p: GPUBuffer; decided: GPUBuffer; n: number; threshold: number },
): Promise<PreparedOp<"n" | "threshold">> {
  return prepareKernel(ctx, thresholdForward, {
    label: options.label,
    buffers: { p: options.p, decided: options.decided },
    uniforms: { n: options.n, threshold: options.threshold },
  });
}

/** Prepares per-row correctness into `correct` (rows f32); yTrue is rows × 1 for "sparse". */
export function prepareCorrect(
  ctx: GpuContext,
  options: {
    label: string;
    mode: CorrectMode;
    yTrue: GPUBuffer;
    yPred: GPUBuffer;
    correct: GPUBuffer;
    rows: number;
    cols: number;
    threshold?: number;
  },
): Promise<PreparedOp<"rows" | "cols" | "threshold">> {
  return prepareKernel(ctx, correctForward, {
    label: options.label,
    buffers: { yTrue: options.yTrue, yPred: options.yPred, correct: options.correct },
    uniforms: { rows: options.rows, cols: options.cols, threshold: options.threshold ?? 0.5 },
    overrides: { MODE: CORRECT_MODES[options.mode] },
  });
}

/**
 * Prepares the confusion accumulation into `counts` (classes² + 1 u32, ADDED to: clear it first).
 * `predicted` comes from prepareArgmax, or prepareThreshold with classes = 2.
 */
export function prepareConfusion(
  ctx: GpuContext,
  options: {
    label: string;
    yTrue: GPUBuffer;
    predicted: GPUBuffer;
    counts: GPUBuffer;
    rows: number;
    classes: number;
    oneHot: boolean;
  },
): Promise<PreparedOp<"rows" | "classes">> {
  return prepareKernel(ctx, confusionForward, {
    label: options.label,
    buffers: { yTrue: options.yTrue, predicted: options.predicted, counts: options.counts },
    uniforms: { rows: options.rows, classes: options.classes },
    overrides: { TRUE_ONE_HOT: options.oneHot ? 1 : 0 },
  });
}
