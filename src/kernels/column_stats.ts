/**
 * Kernel definition of `column_stats_forward.wgsl`: per-column mean, std, min, max, fraction of
 * zeros, fraction beyond ±5 and non-finite count, for the data diagnosis. Decode the output with
 * `decodeColumnStats` (src/reference/stats.ts).
 *
 * @module
 */
import code from "../../shaders/column_stats_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { COLUMN_STATS_WORDS, columnStats } from "../reference/stats.ts";
import { type KernelDef, MAX_WORKGROUPS_PER_DIMENSION, type PreparedOp, prepareKernel } from "./kernel.ts";

/** `column_stats_forward.wgsl`: one workgroup per column. */
export const columnStatsForward: KernelDef<"rows" | "cols"> = {
  name: "column_stats_forward",
  code,
  bindings: [{ name: "x", access: "read" }, { name: "stats", access: "read-write" }],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }],
  overrides: {},
  dispatch: (u) => [u.cols, 1, 1],
  twins: [columnStats],
};

/** Prepares the statistics of `x` (rows × cols f32) into `stats` (cols × 8 words). */
export function prepareColumnStats(
  ctx: GpuContext,
  options: { label: string; x: GPUBuffer; stats: GPUBuffer; rows: number; cols: number },
): Promise<PreparedOp<"rows" | "cols">> {
  if (options.cols > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new RangeError(
      `column stats ${options.label}: at most ${MAX_WORKGROUPS_PER_DIMENSION} columns, got ${options.cols}`,
    );
  }
  return prepareKernel(ctx, columnStatsForward, {
    label: options.label,
    buffers: { x: options.x, stats: options.stats },
    uniforms: { rows: options.rows, cols: options.cols },
  });
}

/** Words the `stats` buffer needs for `cols` columns. */
export function columnStatsWords(cols: number): number {
  return cols * COLUMN_STATS_WORDS;
}
