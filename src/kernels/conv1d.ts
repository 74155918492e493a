/**
 * Keras Conv1D on the GPU, channels last, direct convolution (see conv1d_forward.wgsl for why
 * not im2col): forward z = conv(x, w) + b, y = act(z) in one dispatch; backward dZ = dY ⊙ act'(Z)
 * (activation_backward), dW (conv1d_filter_backward), db (dense_bias_backward over
 * batch·outLength rows), dX (conv1d_input_backward).
 * @module
 */
import forwardCode from "../../shaders/conv1d_forward.wgsl" with { type: "text" };
import inputBackwardCode from "../../shaders/conv1d_input_backward.wgsl" with { type: "text" };
import filterBackwardCode from "../../shaders/conv1d_filter_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { defaultActivationParameter, type ElementwiseActivation } from "../reference/activations.ts";
import { conv1dBackward, conv1dForward, convOutputGeometry, type Padding } from "../reference/conv1d.ts";
import { activationBackwardKernel, denseBiasBackward } from "./dense.ts";
import { type KernelDef, linearWorkgroups, type PreparedOp, prepareKernel } from "./kernel.ts";
import { ACTIVATION_CODES } from "./matmul.ts";

/** The uniforms every conv1d kernel shares. */
export type Conv1dUniform =
  | "batch"
  | "length"
  | "inChannels"
  | "filters"
  | "kernelSize"
  | "stride"
  | "outLength"
  | "padBefore";

const UNIFORMS = [
  { name: "batch", type: "u32" },
  { name: "length", type: "u32" },
  { name: "inChannels", type: "u32" },
  { name: "filters", type: "u32" },
  { name: "kernelSize", type: "u32" },
  { name: "stride", type: "u32" },
  { name: "outLength", type: "u32" },
  { name: "padBefore", type: "u32" },
] as const;

export const conv1dForwardKernel: KernelDef<Conv1dUniform> = {
  name: "conv1d_forward",
  code: forwardCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "bias", access: "read" },
    { name: "z", access: "read-write" },
    { name: "y", access: "read-write" },
  ],
  uniforms: UNIFORMS,
  overrides: { ACTIVATION: 0, ALPHA: 0.2 },
  dispatch: (u) => linearWorkgroups(u.batch * u.outLength * u.filters, 64),
  twins: [conv1dForward],
};

export const conv1dInputBackward: KernelDef<Conv1dUniform> = {
  name: "conv1d_input_backward",
  code: inputBackwardCode,
  bindings: [{ name: "dz", access: "read" }, { name: "w", access: "read" }, {
    name: "dx",
    access: "read-write",
  }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.batch * u.length * u.inChannels, 64),
  twins: [conv1dBackward],
};

export const conv1dFilterBackward: KernelDef<Conv1dUniform> = {
  name: "conv1d_filter_backward",
  code: filterBackwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "dz", access: "read" }, {
    name: "dw",
    access: "read-write",
  }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.kernelSize * u.inChannels * u.filters, 64),
  twins: [conv1dBackward],
};

/** The shape of a conv1d layer; `batch` may shrink per step (a partial last batch). */
export interface Conv1dLayerShape {
  label: string;
  batch: number;
  length: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  padding: Padding;
  activation: ElementwiseActivation;
  /** leaky-relu's slope or elu's alpha (Keras defaults when absent). */
  activationParameter?: number;
}

/** A prepared sequence whose batch size may change between submits. */
export interface Conv1dOp {
  readonly label: string;
  /** The output length the geometry gives. */
  readonly outLength: number;
  setBatch(batch: number): void;
  encode(pass: GPUComputePassEncoder): void;
  release(): void;
}

function uniformsOf(shape: Conv1dLayerShape): Record<Conv1dUniform, number> {
  const { outLength, padBefore } = convOutputGeometry(
    shape.length,
    shape.kernelSize,
    shape.stride,
    shape.padding,
  );
  if (!(shape.stride >= 1) || !(shape.kernelSize >= 1)) {
    throw new RangeError(`${shape.label}: kernel size and stride must be >= 1`);
  }
  return {
    batch: shape.batch,
    length: shape.length,
    inChannels: shape.inChannels,
    filters: shape.filters,
    kernelSize: shape.kernelSize,
    stride: shape.stride,
    outLength,
    padBefore,
  };
}

function sequence(
  label: string,
  outLength: number,
  ops: PreparedOp<string>[],
  setBatch: (b: number) => void,
) {
  return {
    label,
    outLength,
    setBatch,
    encode(pass: GPUComputePassEncoder) {
      for (const op of ops) op.encode(pass);
    },
    release() {
      for (const op of ops) op.release();
    },
  };
}

function activationOverrides(shape: Conv1dLayerShape) {
  return {
    ACTIVATION: ACTIVATION_CODES[shape.activation],
    ALPHA: shape.activationParameter ?? (defaultActivationParameter(shape.activation) || 0.2),
  };
}

/**
 * Prepares the forward pass. Buffers: x [batch, length, inChannels], w [kernelSize, inChannels,
 * filters], b [filters], z and y [batch, outLength, filters].
 *
 * @example
 * ```ts
 * const conv = await prepareConv1dForward(ctx, { label: "conv 1", batch: 32, length: 20, inChannels: 8, filters: 16, kernelSize: 3, stride: 1, padding: "same", activation: "relu", x, w, b, z, y });
 * ```
 */
export async function prepareConv1dForward(
  ctx: GpuContext,
  options: Conv1dLayerShape & { x: GPUBuffer; w: GPUBuffer; b: GPUBuffer; z: GPUBuffer; y: GPUBuffer },
): Promise<Conv1dOp> {
  const uniforms = uniformsOf(options);
  const op = await prepareKernel(ctx, conv1dForwardKernel, {
    label: `${options.label} act(conv(x, w) + b)`,
    buffers: { x: options.x, w: options.w, bias: options.b, z: options.z, y: options.y },
    uniforms,
    overrides: activationOverrides(options),
  });
  return sequence(options.label, uniforms.outLength, [op], (batch) => op.set({ batch }));
}

/**
 * Prepares the backward pass from dY: dZ = dY ⊙ act'(Z) into `dz`, dW, db, and dX when `dx` is
 * given. Buffers as the forward pass, plus dy and dz [batch, outLength, filters], dw, db, dx.
 */
export async function prepareConv1dBackward(
  ctx: GpuContext,
  options: Conv1dLayerShape & {
    x: GPUBuffer;
    w: GPUBuffer;
    z: GPUBuffer;
    dy: GPUBuffer;
    dz: GPUBuffer;
    dw: GPUBuffer;
    db: GPUBuffer;
    dx?: GPUBuffer;
  },
): Promise<Conv1dOp> {
  const uniforms = uniformsOf(options);
  const { outLength, filters } = uniforms;
  const label = options.label;
  const activation = await prepareKernel(ctx, activationBackwardKernel, {
    label: `${label} dY⊙act'(Z)`,
    buffers: { dy: options.dy, z: options.z, dz: options.dz },
    uniforms: { count: options.batch * outLength * filters },
    overrides: activationOverrides(options),
  });
  const dw = await prepareKernel(ctx, conv1dFilterBackward, {
    label: `${label} dW`,
    buffers: { x: options.x, dz: options.dz, dw: options.dw },
    uniforms,
  });
  const db = await prepareKernel(ctx, denseBiasBackward, {
    label: `${label} db`,
    buffers: { dz: options.dz, db: options.db },
    uniforms: { rows: options.batch * outLength, cols: filters },
  });
  const ops: PreparedOp<string>[] = [activation, dw, db];
  let dx: PreparedOp<Conv1dUniform> | null = null;
  if (options.dx) {
    dx = await prepareKernel(ctx, conv1dInputBackward, {
      label: `${label} dX`,
      buffers: { dz: options.dz, w: options.w, dx: options.dx },
      uniforms,
    });
    ops.push(dx);
  }
  return sequence(label, outLength, ops, (batch) => {
    activation.set({ count: batch * outLength * filters });
    dw.set({ batch });
    db.set({ rows: batch * outLength });
    dx?.set({ batch });
  });
}
