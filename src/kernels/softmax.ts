/**
 * Row-wise softmax and log-softmax (max-shifted) and the softmax backward pass.
 * @module
 */
import logSoftmaxCode from "../../shaders/log_softmax_forward.wgsl" with { type: "text" };
import softmaxBackwardCode from "../../shaders/softmax_backward.wgsl" with { type: "text" };
import softmaxCode from "../../shaders/softmax_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { logSoftmax, softmax, softmaxBackward } from "../reference/softmax.ts";
import { type KernelDef, type PreparedOp, prepareKernel } from "./kernel.ts";

/** Row-wise kernels take the matrix shape. */
export type RowsUniform = "rows" | "cols";

const ROW_UNIFORMS = [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }] as const;
const perRow = (u: { rows: number }) => [Math.ceil(u.rows / 64), 1, 1] as [number, number, number];

export const softmaxForward: KernelDef<RowsUniform> = {
  name: "softmax_forward",
  code: softmaxCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: ROW_UNIFORMS,
  overrides: {},
  dispatch: perRow,
  twins: [softmax],
};

export const logSoftmaxForward: KernelDef<RowsUniform> = {
  name: "log_softmax_forward",
  code: logSoftmaxCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: ROW_UNIFORMS,
  overrides: {},
  dispatch: perRow,
  twins: [logSoftmax],
};

export const softmaxBackwardKernel: KernelDef<RowsUniform> = {
  name: "softmax_backward",
  code: softmaxBackwardCode,
  bindings: [{ name: "y", access: "read" }, { name: "dy", access: "read" }, {
    name: "dx",
    access: "read-write",
  }],
  uniforms: ROW_UNIFORMS,
  overrides: {},
  dispatch: perRow,
  twins: [softmaxBackward],
};

/**
 * Prepares y = softmax(x) (or log-softmax with `log: true`) over the rows of a rows×cols matrix.
 * `op.set({ rows })` for a partial batch.
 */
export function prepareSoftmax(
  ctx: GpuContext,
  options: { label: string; x: GPUBuffer; y: GPUBuffer; rows: number; cols: number; log?: boolean },
): Promise<PreparedOp<RowsUniform>> {
  return prepareKernel(ctx, options.log ? logSoftmaxForward : softmaxForward, {
    label: options.label,
    buffers: { x: options.x, y: options.y },
    uniforms: { rows: options.rows, cols: options.cols },
  });
}

/** Prepares dX = y ⊙ (dY - rowsum(dY ⊙ y)) for y = softmax(x). */
export function prepareSoftmaxBackward(
  ctx: GpuContext,
  options: { label: string; y: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer; rows: number; cols: number },
): Promise<PreparedOp<RowsUniform>> {
  return prepareKernel(ctx, softmaxBackwardKernel, {
    label: options.label,
    buffers: { y: options.y, dy: options.dy, dx: options.dx },
    uniforms: { rows: options.rows, cols: options.cols },
  });
}
