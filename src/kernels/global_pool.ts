/**
 * Global average pooling, 1-D ([N, L, C]) and 2-D ([N, H, W, C]): one kernel pair over
 * `positions` = L or H·W, channels last.
 * @module
 */
import forwardCode from "../../shaders/global_avgpool_forward.wgsl" with { type: "text" };
import backwardCode from "../../shaders/global_avgpool_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { globalAvgPoolBackward, globalAvgPoolForward } from "../reference/global_pool.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

/** Global pooling uniforms. */
export type GlobalPoolUniform = "batch" | "positions" | "channels" | "scale";

const UNIFORMS = [
  { name: "batch", type: "u32" },
  { name: "positions", type: "u32" },
  { name: "channels", type: "u32" },
  { name: "scale", type: "f32" },
] as const;

export const globalAvgPoolForwardKernel: KernelDef<GlobalPoolUniform> = {
  name: "global_avgpool_forward",
  code: forwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.batch * u.channels, 64),
  twins: [globalAvgPoolForward],
};

export const globalAvgPoolBackwardKernel: KernelDef<GlobalPoolUniform> = {
  name: "global_avgpool_backward",
  code: backwardCode,
  bindings: [{ name: "dy", access: "read" }, { name: "dx", access: "read-write" }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.batch * u.positions * u.channels, 64),
  twins: [globalAvgPoolBackward],
};

/** Options of {@linkcode prepareGlobalAvgPool}. */
export interface GlobalPoolOptions {
  label: string;
  /** Forward: x [batch, positions, channels]. Backward: dY [batch, channels]. */
  input: GPUBuffer;
  /** Forward: y [batch, channels]. Backward: dX [batch, positions, channels]. */
  output: GPUBuffer;
  batch: number;
  /** Steps (1-D) or height·width (2-D). */
  positions: number;
  channels: number;
  pass: "forward" | "backward";
}

/**
 * Prepares global average pooling or its gradient; per step `op.set({ batch })` for a partial batch.
 *
 * @example
 * ```ts
 * const gap = await prepareGlobalAvgPool(ctx, { label: "gap", input: x, output: y, batch: 32, positions: 7 * 7, channels: 16, pass: "forward" });
 * ```
 */
export function prepareGlobalAvgPool(
  ctx: GpuContext,
  options: GlobalPoolOptions,
): Promise<PreparedOp<GlobalPoolUniform>> {
  const forward = options.pass === "forward";
  return prepareKernel(ctx, forward ? globalAvgPoolForwardKernel : globalAvgPoolBackwardKernel, {
    label: options.label,
    buffers: forward ? { x: options.input, y: options.output } : { dy: options.input, dx: options.output },
    uniforms: {
      batch: options.batch,
      positions: options.positions,
      channels: options.channels,
      scale: 1 / options.positions,
    },
  });
}
