/**
 * Optimizer updates (Keras semantics; formulas in the shaders' headers and src/reference/optimizers.ts).
 * Each prepared op updates `count` parameters in place: the training step prepares one over the
 * model's whole flat parameter buffer (src/train/parameters.ts).
 * @module
 */
import adamCode from "../../shaders/adam_update.wgsl" with { type: "text" };
import rmspropCode from "../../shaders/rmsprop_update.wgsl" with { type: "text" };
import sgdCode from "../../shaders/sgd_update.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { ADAM_DEFAULTS, adamStep, RMSPROP_DEFAULTS, rmspropStep, sgdStep } from "../reference/optimizers.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";

const byCount = (u: { count: number }) => linearWorkgroups(u.count, 64);

export const sgdUpdate: KernelDef<"count" | "lr"> = {
  name: "sgd_update",
  code: sgdCode,
  bindings: [{ name: "w", access: "read-write" }, { name: "g", access: "read" }, {
    name: "velocity",
    access: "read-write",
  }],
  uniforms: [{ name: "count", type: "u32" }, { name: "lr", type: "f32" }],
  overrides: { MOMENTUM: 0 },
  dispatch: byCount,
  twins: [sgdStep],
};

export const adamUpdate: KernelDef<"count" | "alpha" | "step"> = {
  name: "adam_update",
  code: adamCode,
  bindings: [
    { name: "w", access: "read-write" },
    { name: "g", access: "read" },
    { name: "m", access: "read-write" },
    { name: "v", access: "read-write" },
  ],
  uniforms: [{ name: "count", type: "u32" }, { name: "alpha", type: "f32" }, { name: "step", type: "u32" }],
  overrides: { ONE_MINUS_BETA1: 0.1, ONE_MINUS_BETA2: 0.001, EPSILON: 1e-7 },
  dispatch: byCount,
  twins: [adamStep],
};

export const rmspropUpdate: KernelDef<"count" | "lr"> = {
  name: "rmsprop_update",
  code: rmspropCode,
  bindings: [{ name: "w", access: "read-write" }, { name: "g", access: "read" }, {
    name: "ms",
    access: "read-write",
  }],
  uniforms: [{ name: "count", type: "u32" }, { name: "lr", type: "f32" }],
  overrides: { RHO: 0.9, ONE_MINUS_RHO: 0.1, EPSILON: 1e-7, EPSILON_INSIDE_SQRT: 1 },
  dispatch: byCount,
  twins: [rmspropStep],
};

/** Prepares an SGD step on `count` parameters. `op.set({ lr })` changes the learning rate. */
export function prepareSgd(
  ctx: GpuContext,
  options: {
    label: string;
    w: GPUBuffer;
    g: GPUBuffer;
    /** Needed when momentum > 0 (zero-initialised by the caller). */
    velocity?: GPUBuffer;
    count: number;
    learningRate: number;
    momentum?: number;
  },
): Promise<PreparedOp<"count" | "lr">> {
  const { count } = options;
  const momentum = options.momentum ?? 0;
  if (momentum !== 0 && !options.velocity) {
    throw new Error(`${options.label}: SGD with momentum needs a velocity buffer`);
  }
  return prepareKernel(ctx, sgdUpdate, {
    label: options.label,
    buffers: {
      w: options.w,
      g: options.g,
      velocity: options.velocity ? options.velocity : ctx.placeholder("velocity"),
    },
    uniforms: { count, lr: options.learningRate },
    overrides: { MOMENTUM: momentum },
  });
}

/** A prepared Adam step: call `setStep(t)` (t = 1, 2, ...) before each submit. */
export interface AdamOp extends PreparedOp<"count" | "alpha" | "step"> {
  /** Writes step t and alpha = lr·√(1 - β2^t)/(1 - β1^t), computed in float64. */
  setStep(step: number, learningRate?: number): void;
}

/** Prepares an Adam step on `count` parameters (m and v zero-initialised by the caller). */
export async function prepareAdam(
  ctx: GpuContext,
  options: {
    label: string;
    w: GPUBuffer;
    g: GPUBuffer;
    m: GPUBuffer;
    v: GPUBuffer;
    count: number;
    learningRate: number;
    beta1?: number;
    beta2?: number;
    epsilon?: number;
  },
): Promise<AdamOp> {
  const { count } = options;
  const b1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
  const b2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
  let lr = options.learningRate;
  const alpha = (t: number) => lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
  const op = await prepareKernel(ctx, adamUpdate, {
    label: options.label,
    buffers: { w: options.w, g: options.g, m: options.m, v: options.v },
    uniforms: { count, alpha: alpha(1), step: 1 },
    overrides: {
      ONE_MINUS_BETA1: 1 - b1,
      ONE_MINUS_BETA2: 1 - b2,
      EPSILON: options.epsilon ?? ADAM_DEFAULTS.epsilon,
    },
  });
  return Object.assign(op, {
    setStep(step: number, learningRate?: number) {
      if (!(Number.isInteger(step) && step >= 1)) {
        throw new RangeError(`${options.label}: Adam step must be >= 1, got ${step}`);
      }
      if (learningRate !== undefined) lr = learningRate;
      op.set({ step, alpha: alpha(step) });
    },
  });
}

/** Prepares an RMSprop step on `count` parameters (ms zero-initialised by the caller). */
export function prepareRmsprop(
  ctx: GpuContext,
  options: {
    label: string;
    w: GPUBuffer;
    g: GPUBuffer;
    ms: GPUBuffer;
    count: number;
    learningRate: number;
    rho?: number;
    epsilon?: number;
    /** Keras 3 (true, default): √(ms + ε); tf.keras 2 (false): √ms + ε. */
    epsilonInsideSqrt?: boolean;
  },
): Promise<PreparedOp<"count" | "lr">> {
  const { count } = options;
  const rho = options.rho ?? RMSPROP_DEFAULTS.rho;
  return prepareKernel(ctx, rmspropUpdate, {
    label: options.label,
    buffers: { w: options.w, g: options.g, ms: options.ms },
    uniforms: { count, lr: options.learningRate },
    overrides: {
      RHO: rho,
      ONE_MINUS_RHO: 1 - rho,
      EPSILON: options.epsilon ?? RMSPROP_DEFAULTS.epsilon,
      EPSILON_INSIDE_SQRT: (options.epsilonInsideSqrt ?? true) ? 1 : 0,
    },
  });
}
