/**
 * Kernel definition of the per-step instrumentation: `layer_record_forward.wgsl` writes what the
 * instrumented step records about one layer (‖∂L/∂W‖, ‖∂L/∂b‖, ‖ΔW‖/‖W‖, dead ReLU units or
 * saturated sigmoid/tanh pre-activations) into a per-step record buffer at a word offset the loop
 * derives from the step index, so an epoch of records is read back at once. One dispatch per layer
 * per step: on CPU adapters each dispatch has a fixed cost of ~0.1 ms (see the shader).
 *
 * @module
 */
import layerRecordCode from "../../shaders/layer_record_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { deadFraction, saturatedFraction, SATURATION_CUTOFFS, updateRatio } from "../reference/instrument.ts";
import { reduceF64 } from "../reference/reductions.ts";
import { type BoundBuffer, type KernelDef, type PreparedOp, prepareKernel } from "./kernel.ts";

export { SATURATION_CUTOFFS } from "../reference/instrument.ts";

/** Record words written per layer: ‖∂L/∂W‖ (2), ‖∂L/∂b‖ (2), update ratio (4), statistic (2). */
export const LAYER_RECORD_WORDS = 10;

/** The activation statistic a layer records: see {@linkcode activationStatistic} in train/. */
export type LayerStatistic = "dead" | "saturated" | null;

type LayerRecordUniform = "grads" | "biases" | "weights" | "rows" | "units" | "offset" | "cutoff";

/** `layer_record_forward.wgsl`: record[offset .. offset + 9], see the shader for the layout. */
export const layerRecordForward: KernelDef<LayerRecordUniform> = {
  name: "layer_record_forward",
  code: layerRecordCode,
  bindings: [
    { name: "grads", access: "read" },
    { name: "biasGrads", access: "read" },
    { name: "wNew", access: "read" },
    { name: "wOld", access: "read" },
    { name: "z", access: "read" },
    { name: "record", access: "read-write" },
  ],
  uniforms: [
    { name: "grads", type: "u32" },
    { name: "biases", type: "u32" },
    { name: "weights", type: "u32" },
    { name: "rows", type: "u32" },
    { name: "units", type: "u32" },
    { name: "offset", type: "u32" },
    { name: "cutoff", type: "f32" },
  ],
  overrides: { STAT: 0 },
  dispatch: () => [1, 1, 1],
  twins: [reduceF64, updateRatio, deadFraction, saturatedFraction],
};

/** Options of {@linkcode prepareLayerRecord}. */
export interface LayerRecordOptions {
  label: string;
  /** ∂L/∂W, or the L2 norms of its blocks (their norm is ‖∂L/∂W‖): `gradCount` values. */
  grads: BoundBuffer;
  gradCount: number;
  /** ∂L/∂b: `biasCount` values. */
  biasGrads: BoundBuffer;
  biasCount: number;
  /** W after the step and a copy taken before it: `weightCount` values each. */
  wNew: BoundBuffer;
  wOld: BoundBuffer;
  weightCount: number;
  /** The statistic of the pre-activations `z` (rows × units); null records none. */
  statistic: LayerStatistic;
  z: BoundBuffer;
  rows: number;
  units: number;
  /** |z| beyond which a pre-activation is saturated (SATURATION_CUTOFFS; sigmoid's by default). */
  cutoff?: number;
  record: BoundBuffer;
  /** First of the {@linkcode LAYER_RECORD_WORDS} record words written. */
  offset: number;
}

/** Prepares one layer's record; `set({ rows })` follows a partial batch. */
export function prepareLayerRecord(
  ctx: GpuContext,
  options: LayerRecordOptions,
): Promise<PreparedOp<LayerRecordUniform>> {
  return prepareKernel(ctx, layerRecordForward, {
    label: options.label,
    buffers: {
      grads: options.grads,
      biasGrads: options.biasGrads,
      wNew: options.wNew,
      wOld: options.wOld,
      z: options.z,
      record: options.record,
    },
    uniforms: {
      grads: options.gradCount,
      biases: options.biasCount,
      weights: options.weightCount,
      rows: options.rows,
      units: options.units,
      offset: options.offset,
      cutoff: options.cutoff ?? SATURATION_CUTOFFS.sigmoid,
    },
    overrides: { STAT: options.statistic === null ? 0 : options.statistic === "dead" ? 1 : 2 },
  });
}
