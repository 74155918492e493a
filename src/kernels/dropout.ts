/**
 * Dropout forward and backward with the mask hashed on the GPU from (seed, step, layer, index).
 * @module
 */
import dropoutBackwardCode from "../../shaders/dropout_backward.wgsl" with { type: "text" };
import dropoutForwardCode from "../../shaders/dropout_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { dropoutApply, dropoutMask, dropoutThreshold } from "../reference/dropout.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

/** Dropout uniforms: element count, mask key and the precomputed threshold and scale. */
export type DropoutUniform = "count" | "seed" | "step" | "layer" | "threshold" | "scale";

const DROPOUT_UNIFORMS = [
  { name: "count", type: "u32" },
  { name: "seed", type: "u32" },
  { name: "step", type: "u32" },
  { name: "layer", type: "u32" },
  { name: "threshold", type: "u32" },
  { name: "scale", type: "f32" },
] as const;

export const dropoutForward: KernelDef<DropoutUniform> = {
  name: "dropout_forward",
  code: dropoutForwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: DROPOUT_UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [dropoutApply, dropoutMask],
};

export const dropoutBackward: KernelDef<DropoutUniform> = {
  name: "dropout_backward",
  code: dropoutBackwardCode,
  bindings: [{ name: "dy", access: "read" }, { name: "dx", access: "read-write" }],
  uniforms: DROPOUT_UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [dropoutApply, dropoutMask],
};

/** Options of {@linkcode prepareDropout}. */
export interface DropoutOptions {
  label: string;
  /** x (forward) or dY (backward). */
  input: GPUBuffer;
  /** y (forward) or dX (backward). */
  output: GPUBuffer;
  count: number;
  /** In [0, 1). */
  rate: number;
  /** The run's dropout seed (derive it from the scenario's Rng stream "dropout"). */
  seed: number;
  /** The layer's index: each layer draws an independent mask. */
  layer: number;
  /** The global training step: a new mask each step; forward and backward of a step must agree. */
  step: number;
  pass: "forward" | "backward";
}

/**
 * Prepares inverted dropout (or its backward pass). Per step: `op.set({ step, count })`.
 *
 * @example
 * ```ts
 * const drop = await prepareDropout(ctx, { label: "drop 1", input: h, output: hd, count: 32 * 64, rate: 0.5, seed: 7, layer: 1, step: 0, pass: "forward" });
 * ```
 */
export function prepareDropout(
  ctx: GpuContext,
  options: DropoutOptions,
): Promise<PreparedOp<DropoutUniform>> {
  const threshold = dropoutThreshold(options.rate);
  const forward = options.pass === "forward";
  return prepareKernel(ctx, forward ? dropoutForward : dropoutBackward, {
    label: options.label,
    buffers: forward ? { x: options.input, y: options.output } : { dy: options.input, dx: options.output },
    uniforms: {
      count: options.count,
      seed: options.seed >>> 0,
      step: options.step >>> 0,
      layer: options.layer >>> 0,
      threshold,
      scale: 1 / (1 - options.rate),
    },
  });
}
