/**
 * L2 kernel regularization (Keras `regularizers.L2`): the penalty l2·Σ w² goes into a record slot
 * through the deterministic reduction (sum of squares scaled by l2), and the gradient gains 2·l2·w
 * in place before the optimizer reads it.
 * @module
 */
import code from "../../shaders/l2_gradient_backward.wgsl" with { type: "text" };
import penaltyCode from "../../shaders/loss_penalty_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { l2Gradient, regularizedLoss } from "../reference/regularization.ts";
import {
  type BoundBuffer,
  type KernelDef,
  linearWorkgroups,
  type PreparedOp,
  prepareKernel,
} from "./kernel.ts";
import { type PreparedReduce, prepareReduce } from "./reduce.ts";

export const l2GradientBackward: KernelDef<"count" | "twiceL2"> = {
  name: "l2_gradient_backward",
  code,
  bindings: [{ name: "w", access: "read" }, { name: "g", access: "read-write" }],
  uniforms: [{ name: "count", type: "u32" }, { name: "twiceL2", type: "f32" }],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [l2Gradient],
};

/**
 * Prepares g += 2·l2·w over a kernel of `count` weights (encode after the backward pass wrote g,
 * before the optimizer update).
 */
export function prepareL2Gradient(
  ctx: GpuContext,
  options: { label: string; w: BoundBuffer; g: BoundBuffer; count: number; l2: number },
): Promise<PreparedOp<"count" | "twiceL2">> {
  return prepareKernel(ctx, l2GradientBackward, {
    label: options.label,
    buffers: { w: options.w, g: options.g },
    uniforms: { count: options.count, twiceL2: 2 * options.l2 },
  });
}

/**
 * Prepares the penalty l2·Σ w² of one kernel, written as the pair (value bits, non-finite count)
 * at pair index `outOffset` of `output` (see {@linkcode prepareReduce}); the reported loss adds it
 * to the mean data loss, as Keras does. Encode it before the optimizer update: the penalty belongs
 * to the weights the batch's loss was computed with.
 */
export function prepareL2Penalty(
  ctx: GpuContext,
  options: {
    label: string;
    w: BoundBuffer;
    count: number;
    l2: number;
    output: GPUBuffer;
    outOffset?: number;
  },
): Promise<PreparedReduce> {
  return prepareReduce(ctx, {
    label: options.label,
    op: "sumsq",
    input: options.w,
    n: options.count,
    output: options.output,
    outOffset: options.outOffset,
    scale: options.l2,
  });
}

export const lossPenaltyForward: KernelDef<"count" | "offset"> = {
  name: "loss_penalty_forward",
  code: penaltyCode,
  bindings: [{ name: "penalties", access: "read" }, { name: "total_loss", access: "read-write" }],
  uniforms: [{ name: "count", type: "u32" }, { name: "offset", type: "u32" }],
  overrides: {},
  dispatch: () => [1, 1, 1],
  twins: [regularizedLoss],
};

/** The L2 penalties of a model's regularized kernels, and their sum added to a reduced loss. */
export interface PreparedPenalties {
  /** How many kernels are regularized (0: encode does nothing). */
  readonly count: number;
  /** The penalty pairs (value bits, non-finite count), one per regularized kernel. */
  readonly pairs: GPUBuffer;
  encode(pass: GPUComputePassEncoder): void;
  release(): void;
}

/**
 * Prepares, for every kernel of `kernels`, its penalty l2·Σ w² into `pairs`, then adds their sum to
 * the loss pair at pair index `lossOffset` of `loss` (loss_penalty_forward). Encode it after the
 * loss reduction and before the optimizer updates (the penalty belongs to the weights the loss was
 * computed with).
 */
export async function preparePenalties(
  ctx: GpuContext,
  options: {
    label: string;
    kernels: readonly { w: BoundBuffer; count: number; l2: number }[];
    loss: GPUBuffer;
    lossOffset: number;
  },
): Promise<PreparedPenalties> {
  const n = options.kernels.length;
  const pairs = ctx.storage(`${options.label} penalties`, Math.max(2, 2 * n));
  const reductions: PreparedReduce[] = [];
  for (const [i, k] of options.kernels.entries()) {
    reductions.push(
      await prepareL2Penalty(ctx, {
        label: `${options.label} penalty ${i}`,
        w: k.w,
        count: k.count,
        l2: k.l2,
        output: pairs,
        outOffset: i,
      }),
    );
  }
  const add = n === 0 ? null : await prepareKernel(ctx, lossPenaltyForward, {
    label: `${options.label} loss + penalties`,
    buffers: { penalties: pairs, total_loss: options.loss },
    uniforms: { count: n, offset: options.lossOffset },
  });
  return {
    count: n,
    pairs,
    encode(pass) {
      for (const r of reductions) r.encode(pass);
      add?.encode(pass);
    },
    release() {
      for (const r of reductions) r.release();
      add?.release();
      ctx.pool.release(pairs);
    },
  };
}
