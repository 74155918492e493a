/**
 * Batch normalization on the GPU (Keras semantics: momentum 0.99, epsilon 1e-3, biased batch
 * variance, moving statistics at evaluation), over a rows × channels matrix: rows = N for a dense
 * input, N·H·W (or N·L) for a channels-last one. Four kernels: the batch statistics (and the moving
 * update), the normalisation itself, and the two backward passes.
 * @module
 */
import statsCode from "../../shaders/batchnorm_stats_forward.wgsl" with { type: "text" };
import applyCode from "../../shaders/batchnorm_forward.wgsl" with { type: "text" };
import paramBackwardCode from "../../shaders/batchnorm_param_backward.wgsl" with { type: "text" };
import inputBackwardCode from "../../shaders/batchnorm_input_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import {
  BATCHNORM_EPSILON,
  BATCHNORM_MOMENTUM,
  batchNormApply,
  batchNormBackward,
  batchNormMoments,
  batchNormMovingUpdate,
} from "../reference/batchnorm.ts";
import {
  type BoundBuffer,
  type KernelDef,
  linearWorkgroups,
  MAX_WORKGROUPS_PER_DIMENSION,
  type PreparedOp,
  prepareKernel,
  type RowsOp,
  rowsSequence,
} from "./kernel.ts";

function perChannel(channels: number): [number, number, number] {
  if (channels > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new RangeError(`batch normalization over ${channels} channels: at most 65535 supported`);
  }
  return [channels, 1, 1];
}

export const batchnormStatsForward: KernelDef<"rows" | "channels" | "momentum" | "update"> = {
  name: "batchnorm_stats_forward",
  code: statsCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "mean", access: "read-write" },
    { name: "variance", access: "read-write" },
    { name: "movingMean", access: "read-write" },
    { name: "movingVariance", access: "read-write" },
  ],
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "channels", type: "u32" },
    { name: "momentum", type: "f32" },
    { name: "update", type: "u32" },
  ],
  overrides: {},
  dispatch: (u) => (u.rows === 0 ? [0, 1, 1] : perChannel(u.channels)),
  twins: [batchNormMoments, batchNormMovingUpdate],
};

export const batchnormForward: KernelDef<"count" | "channels" | "epsilon"> = {
  name: "batchnorm_forward",
  code: applyCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "mean", access: "read" },
    { name: "variance", access: "read" },
    { name: "gamma", access: "read" },
    { name: "beta", access: "read" },
    { name: "y", access: "read-write" },
  ],
  uniforms: [{ name: "count", type: "u32" }, { name: "channels", type: "u32" }, {
    name: "epsilon",
    type: "f32",
  }],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [batchNormApply],
};

export const batchnormParamBackward: KernelDef<"rows" | "channels" | "epsilon"> = {
  name: "batchnorm_param_backward",
  code: paramBackwardCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "dy", access: "read" },
    { name: "mean", access: "read" },
    { name: "variance", access: "read" },
    { name: "dgamma", access: "read-write" },
    { name: "dbeta", access: "read-write" },
  ],
  uniforms: [{ name: "rows", type: "u32" }, { name: "channels", type: "u32" }, {
    name: "epsilon",
    type: "f32",
  }],
  overrides: {},
  dispatch: (u) => perChannel(u.channels),
  twins: [batchNormBackward],
};

export const batchnormInputBackward: KernelDef<"count" | "channels" | "rows" | "epsilon"> = {
  name: "batchnorm_input_backward",
  code: inputBackwardCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "dy", access: "read" },
    { name: "mean", access: "read" },
    { name: "variance", access: "read" },
    { name: "gamma", access: "read" },
    { name: "dgamma", access: "read" },
    { name: "dbeta", access: "read" },
    { name: "dx", access: "read-write" },
  ],
  uniforms: [
    { name: "count", type: "u32" },
    { name: "channels", type: "u32" },
    { name: "rows", type: "u32" },
    { name: "epsilon", type: "f32" },
  ],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [batchNormBackward],
};

/** A prepared sequence whose row count (a partial last batch) may change between submits. */
export type BatchNormOp = RowsOp;

/** The buffers of one batch-normalization layer (all f32; per-channel ones hold `channels`). */
export interface BatchNormBuffers {
  /** Input and output, rows × channels. */
  x: GPUBuffer;
  y: GPUBuffer;
  gamma: BoundBuffer;
  beta: BoundBuffer;
  /** The batch statistics of the step (written while training, read by backward). */
  mean: GPUBuffer;
  variance: GPUBuffer;
  /** Keras's moving statistics: updated while training, used at evaluation. */
  movingMean: GPUBuffer;
  movingVariance: GPUBuffer;
}

/** Shape and constants shared by forward and backward. */
export interface BatchNormShape {
  label: string;
  rows: number;
  channels: number;
  /** Keras default 0.99. */
  momentum?: number;
  /** Keras default 1e-3. */
  epsilon?: number;
}

/**
 * Prepares the forward pass. `training`: the batch statistics into mean/variance, the moving
 * statistics updated, and y normalised with the batch's; otherwise (evaluation) y normalised with
 * the moving statistics and nothing written but y.
 *
 * @example
 * ```ts
 * const bn = await prepareBatchNormForward(ctx, { label: "bn 2", rows: 32 * 64, channels: 16, training: true, ...buffers });
 * ```
 */
export async function prepareBatchNormForward(
  ctx: GpuContext,
  options: BatchNormShape & BatchNormBuffers & { training: boolean },
): Promise<BatchNormOp> {
  const { rows, channels } = options;
  const epsilon = options.epsilon ?? BATCHNORM_EPSILON;
  const ops: PreparedOp<string>[] = [];
  const setters: ((r: number) => void)[] = [];
  if (options.training) {
    const stats = await prepareKernel(ctx, batchnormStatsForward, {
      label: `${options.label} batch statistics`,
      buffers: {
        x: options.x,
        mean: options.mean,
        variance: options.variance,
        movingMean: options.movingMean,
        movingVariance: options.movingVariance,
      },
      uniforms: { rows, channels, momentum: options.momentum ?? BATCHNORM_MOMENTUM, update: 1 },
    });
    ops.push(stats);
    setters.push((r) => stats.set({ rows: r }));
  }
  const apply = await prepareKernel(ctx, batchnormForward, {
    label: `${options.label} normalise`,
    buffers: {
      x: options.x,
      mean: options.training ? options.mean : options.movingMean,
      variance: options.training ? options.variance : options.movingVariance,
      gamma: options.gamma,
      beta: options.beta,
      y: options.y,
    },
    uniforms: { count: rows * channels, channels, epsilon },
  });
  ops.push(apply);
  setters.push((r) => apply.set({ count: r * channels }));
  return rowsSequence(options.label, ops, (r) => setters.forEach((set) => set(r)));
}

/**
 * Prepares the training-mode backward pass from dY: dγ, dβ, then dx when `dx` is given (a first
 * layer needs none). Reads the batch statistics the forward pass of the same step wrote.
 */
export async function prepareBatchNormBackward(
  ctx: GpuContext,
  options: BatchNormShape & {
    x: GPUBuffer;
    gamma: BoundBuffer;
    mean: GPUBuffer;
    variance: GPUBuffer;
    dy: GPUBuffer;
    dgamma: BoundBuffer;
    dbeta: BoundBuffer;
    dx?: GPUBuffer;
  },
): Promise<BatchNormOp> {
  const { rows, channels } = options;
  const epsilon = options.epsilon ?? BATCHNORM_EPSILON;
  const params = await prepareKernel(ctx, batchnormParamBackward, {
    label: `${options.label} dγ, dβ`,
    buffers: {
      x: options.x,
      dy: options.dy,
      mean: options.mean,
      variance: options.variance,
      dgamma: options.dgamma,
      dbeta: options.dbeta,
    },
    uniforms: { rows, channels, epsilon },
  });
  const ops: PreparedOp<string>[] = [params];
  const setters: ((r: number) => void)[] = [(r) => params.set({ rows: r })];
  if (options.dx) {
    const input = await prepareKernel(ctx, batchnormInputBackward, {
      label: `${options.label} dx`,
      buffers: {
        x: options.x,
        dy: options.dy,
        mean: options.mean,
        variance: options.variance,
        gamma: options.gamma,
        dgamma: options.dgamma,
        dbeta: options.dbeta,
        dx: options.dx,
      },
      uniforms: { count: rows * channels, channels, rows, epsilon },
    });
    ops.push(input);
    setters.push((r) => input.set({ count: r * channels, rows: r }));
  }
  return rowsSequence(options.label, ops, (r) => setters.forEach((set) => set(r)));
}
