/**
 * Gathers a training batch from the training split on the GPU (rows picked by an index buffer), so a
 * training step uploads nothing: the split goes up once per run, the row order once per epoch.
 * @module
 */
import code from "../../shaders/gather_rows_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { gatherRows } from "../reference/trainer.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

/** Gather uniforms: batch rows, first position in the index buffer, and the two widths. */
export type GatherUniform = "rows" | "offset" | "xCols" | "yCols";

export const gatherRowsForward: KernelDef<GatherUniform> = {
  name: "gather_rows_forward",
  code,
  bindings: [
    { name: "x", access: "read" },
    { name: "y", access: "read" },
    { name: "index", access: "read" },
    { name: "xBatch", access: "read-write" },
    { name: "yBatch", access: "read-write" },
  ],
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "offset", type: "u32" },
    { name: "xCols", type: "u32" },
    { name: "yCols", type: "u32" },
  ],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows * (u.xCols + u.yCols), 64),
  twins: [gatherRows],
};

/** Options of {@linkcode prepareGatherRows}. */
export interface GatherRowsOptions {
  label: string;
  /** The split: x (splitRows × xCols) and y (splitRows × yCols), f32. */
  x: GPUBuffer;
  y: GPUBuffer;
  /** Row numbers (u32), read from `offset`; every one must be < the split's rows. */
  index: GPUBuffer;
  /** Receive rows × xCols and rows × yCols. */
  xBatch: GPUBuffer;
  yBatch: GPUBuffer;
  rows: number;
  offset: number;
  xCols: number;
  yCols: number;
}

/**
 * Prepares the batch gather; per step `op.set({ offset })` (and `rows` for a partial batch).
 *
 * @example
 * ```ts
 * const gather = await prepareGatherRows(ctx, { label: "batch", x, y, index, xBatch, yBatch, rows: 32, offset: 0, xCols: 4, yCols: 1 });
 * gather.set({ offset: 32 });
 * ```
 */
export function prepareGatherRows(
  ctx: GpuContext,
  options: GatherRowsOptions,
): Promise<PreparedOp<GatherUniform>> {
  return prepareKernel(ctx, gatherRowsForward, {
    label: options.label,
    buffers: {
      x: options.x,
      y: options.y,
      index: options.index,
      xBatch: options.xBatch,
      yBatch: options.yBatch,
    },
    uniforms: { rows: options.rows, offset: options.offset, xCols: options.xCols, yCols: options.yCols },
  });
}
