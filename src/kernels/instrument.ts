/**
 * Kernel definitions of the per-step instrumentation: `update_ratio_forward.wgsl` (‖Δw‖/‖w‖) and
 * `activation_stats_forward.wgsl` (dead ReLU units, saturated sigmoid/tanh pre-activations). Both
 * write into a per-step record buffer at a word offset the loop derives from the step index, so an
 * epoch of records is read back at once. Gradient norms are prepareReduce with op "norm".
 *
 * @module
 */
import ratioCode from "../../shaders/update_ratio_forward.wgsl" with { type: "text" };
import activationCode from "../../shaders/activation_stats_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { deadFraction, saturatedFraction, SATURATION_CUTOFFS, updateRatio } from "../reference/instrument.ts";
import { type KernelDef, type PreparedOp, prepareKernel } from "./kernel.ts";

export { SATURATION_CUTOFFS } from "../reference/instrument.ts";

/** Record words written by each op. */
export const UPDATE_RATIO_WORDS = 4;
export const ACTIVATION_STATS_WORDS = 2;

/** `update_ratio_forward.wgsl`: record[offset..+3] = ratio, ‖Δw‖, ‖w_old‖ (f32), nonFinite (u32). */
export const updateRatioForward: KernelDef<"n" | "offset"> = {
  name: "update_ratio_forward",
  code: ratioCode,
  bindings: [
    { name: "wNew", access: "read" },
    { name: "wOld", access: "read" },
    { name: "record", access: "read-write" },
  ],
  uniforms: [{ name: "n", type: "u32" }, { name: "offset", type: "u32" }],
  overrides: {},
  dispatch: () => [1, 1, 1],
  twins: [updateRatio],
};

/** `activation_stats_forward.wgsl`: record[offset] = fraction (f32), record[offset + 1] = count (u32). */
export const activationStatsForward: KernelDef<"rows" | "units" | "offset" | "cutoff"> = {
  name: "activation_stats_forward",
  code: activationCode,
  bindings: [{ name: "z", access: "read" }, { name: "record", access: "read-write" }],
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "units", type: "u32" },
    { name: "offset", type: "u32" },
    { name: "cutoff", type: "f32" },
  ],
  overrides: { MODE: 0 },
  dispatch: () => [1, 1, 1],
  twins: [deadFraction, saturatedFraction],
};

/** Prepares ‖w_new − w_old‖/‖w_old‖ over n words; `wOld` is a copy taken before the step. */
export function prepareUpdateRatio(
  ctx: GpuContext,
  options: { label: string; wNew: GPUBuffer; wOld: GPUBuffer; record: GPUBuffer; n: number; offset: number },
): Promise<PreparedOp<"n" | "offset">> {
  return prepareKernel(ctx, updateRatioForward, {
    label: options.label,
    buffers: { wNew: options.wNew, wOld: options.wOld, record: options.record },
    uniforms: { n: options.n, offset: options.offset },
  });
}

/**
 * Prepares the activation statistic of one layer: "dead" for the ReLU family, "saturated" for
 * sigmoid (cutoff 4) or tanh (cutoff 2.5); `z` holds the rows × units pre-activations.
 */
export function prepareActivationStats(
  ctx: GpuContext,
  options: {
    label: string;
    kind: "dead" | "saturated";
    z: GPUBuffer;
    record: GPUBuffer;
    rows: number;
    units: number;
    offset: number;
    cutoff?: number;
  },
): Promise<PreparedOp<"rows" | "units" | "offset" | "cutoff">> {
  return prepareKernel(ctx, activationStatsForward, {
    label: options.label,
    buffers: { z: options.z, record: options.record },
    uniforms: {
      rows: options.rows,
      units: options.units,
      offset: options.offset,
      cutoff: options.cutoff ?? SATURATION_CUTOFFS.sigmoid,
    },
    overrides: { MODE: options.kind === "dead" ? 0 : 1 },
  });
}
