/**
 * The dense layer on the GPU: forward Y = act(X·W + b) (Z kept), backward dZ, dW, db, dX, as
 * prepared composite ops that training encodes every step without allocating.
 * @module
 */
import activationBackwardCode from "../../shaders/activation_backward.wgsl" with { type: "text" };
import biasBackwardCode from "../../shaders/dense_bias_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { activationBackward } from "../reference/activations.ts";
import { columnSums, denseBackward } from "../reference/dense.ts";
import type { Activation } from "../scenario/types.ts";
import {
  type BoundBuffer,
  type KernelDef,
  linearWorkgroups,
  type PreparedOp,
  prepareKernel,
  type RowsOp,
  rowsSequence,
} from "./kernel.ts";
import { activationOverrides, fusesBackward, type MatmulVariant, prepareMatmul } from "./matmul.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { prepareSoftmax, prepareSoftmaxBackward } from "./softmax.ts";

export const activationBackwardKernel: KernelDef<"count"> = {
  name: "activation_backward",
  code: activationBackwardCode,
  bindings: [{ name: "dy", access: "read" }, { name: "z", access: "read" }, {
    name: "dz",
    access: "read-write",
  }],
  uniforms: [{ name: "count", type: "u32" }],
  overrides: { ACTIVATION: 0, ALPHA: 0.2, IN_PLACE: 0 },
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [activationBackward],
};

export const denseBiasBackward: KernelDef<"rows" | "cols"> = {
  name: "dense_bias_backward",
  code: biasBackwardCode,
  bindings: [{ name: "dz", access: "read" }, { name: "db", access: "read-write" }],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }],
  overrides: {},
  dispatch: (u) => [Math.ceil(u.cols / 64), 1, 1],
  twins: [columnSums, denseBackward],
};

/** A prepared sequence of dispatches whose batch size may change between submits. */
export type DenseOp = RowsOp;

/** Shapes and activation shared by the dense forward and backward ops. */
export interface DenseShape {
  label: string;
  /** Batch rows now (the last batch may be partial: see DenseOp.setRows). */
  rows: number;
  inputs: number;
  units: number;
  activation: Activation;
  /** leaky-relu's slope or elu's alpha (Keras defaults 0.2 and 1.0). */
  activationParameter?: number;
  variant?: MatmulVariant;
}

/**
 * Prepares the forward pass: Z = X·W + b (rows×units, kept for backward) and Y = act(Z).
 * Buffers: x rows×inputs, w inputs×units, b units, z and y rows×units.
 *
 * @example
 * ```ts
 * const fwd = await prepareDenseForward(ctx, { label: "layer 1", x, w, b, z, y, rows: 32, inputs: 4, units: 8, activation: "relu" });
 * ctx.submit("step", (pass) => fwd.encode(pass));
 * ```
 */
export async function prepareDenseForward(
  ctx: GpuContext,
  options: DenseShape & {
    x: GPUBuffer;
    w: BoundBuffer;
    b: BoundBuffer;
    z: GPUBuffer;
    y: GPUBuffer;
    /** Softmax only: Y = softmax(Z) is computed elsewhere (the training step's loss): stop at Z. */
    softmaxElsewhere?: boolean;
  },
): Promise<DenseOp> {
  const { rows, inputs: k, units: n } = options;
  if (options.activation === "softmax") {
    const linear = await prepareMatmul(ctx, {
      label: `${options.label} X·W+b`,
      a: options.x,
      b: options.w,
      bias: options.b,
      y: options.z,
      m: rows,
      n,
      k,
      variant: options.variant,
    });
    if (options.softmaxElsewhere) return rowsSequence(options.label, [linear], (r) => linear.set({ m: r }));
    const soft = await prepareSoftmax(ctx, {
      label: `${options.label} softmax`,
      x: options.z,
      y: options.y,
      rows,
      cols: n,
    });
    return rowsSequence(options.label, [linear, soft], (r) => {
      linear.set({ m: r });
      soft.set({ rows: r });
    });
  }
  const fused = await prepareMatmul(ctx, {
    label: `${options.label} act(X·W+b)`,
    a: options.x,
    b: options.w,
    bias: options.b,
    y: options.y,
    z: options.z,
    m: rows,
    n,
    k,
    activation: options.activation,
    activationParameter: options.activationParameter,
    variant: options.variant,
  });
  return rowsSequence(options.label, [fused], (r) => fused.set({ m: r }));
}

/** The layer below, when its activation gradient is fused into this layer's dX product. */
export interface FusedInputGradient {
  /** The layer below's activation (not softmax) and its parameter (Keras defaults when absent). */
  activation: ElementwiseActivation;
  activationParameter?: number;
  /** The layer below's pre-activation Z (rows×inputs). */
  z: GPUBuffer;
}

/**
 * Prepares the backward pass from dY: dZ = dY ⊙ act'(Z) (softmax: its Jacobian-vector product
 * from Y), dW = Xᵀ·dZ, db = Σ_rows dZ, and dX = dZ·Wᵀ when `dx` is given (the first layer needs none).
 * Buffers: dy, dz rows×units; dw inputs×units; db units; dx rows×inputs.
 *
 * Where the matmul variant fuses ({@linkcode fusesBackward}: vec4), db comes out of the dW product
 * (one dispatch fewer), and two more fusions are offered: `inputGradient` makes `dx` receive the layer
 * below's dZ = (dZ·Wᵀ) ⊙ act'(Z_below) directly, and `dzReady` (on the layer below) skips its own
 * dY ⊙ act'(Z) because `dz` already holds it. Both give the same f32 operations in the same order as
 * the separate kernels (tested bit for bit).
 */
export async function prepareDenseBackward(
  ctx: GpuContext,
  options: DenseShape & {
    x: GPUBuffer;
    w: BoundBuffer;
    z: GPUBuffer;
    y: GPUBuffer;
    dy: GPUBuffer;
    dz: GPUBuffer;
    dw: BoundBuffer;
    db: BoundBuffer;
    dx?: GPUBuffer;
    inputGradient?: FusedInputGradient;
    dzReady?: boolean;
    /** Fused only: receives the 8×8 block norms of dW (see prepareMatmul's `blockNorms`). */
    dwBlockNorms?: GPUBuffer;
  },
): Promise<DenseOp> {
  const { rows, inputs, units } = options;
  const label = options.label;
  const fused = fusesBackward(ctx, options.variant);
  if ((options.inputGradient || options.dwBlockNorms) && !fused) {
    throw new Error(`${label}: fused backward steps need the vec4 matmul variant`);
  }
  const ops: PreparedOp<string>[] = [];
  const setters: ((r: number) => void)[] = [];
  if (options.dzReady) {
    // dz was written by the layer above's dX product (inputGradient there), or by the loss step.
  } else if (options.activation === "softmax") {
    const op = await prepareSoftmaxBackward(ctx, {
      label: `${label} softmax'`,
      y: options.y,
      dy: options.dy,
      dx: options.dz,
      rows,
      cols: units,
    });
    ops.push(op);
    setters.push((r) => op.set({ rows: r }));
  } else {
    const activation = options.activation;
    const op = await prepareKernel(ctx, activationBackwardKernel, {
      label: `${label} dY⊙act'(Z)`,
      buffers: { dy: options.dy, z: options.z, dz: options.dz },
      uniforms: { count: rows * units },
      overrides: activationOverrides(activation, options.activationParameter),
    });
    ops.push(op);
    setters.push((r) => op.set({ count: r * units }));
  }
  const dw = await prepareMatmul(ctx, {
    label: fused ? `${label} Xᵀ·dZ, Σ dZ` : `${label} Xᵀ·dZ`,
    a: options.x,
    b: options.dz,
    y: options.dw,
    m: inputs,
    n: units,
    k: rows,
    transposeA: true,
    variant: options.variant,
    columnSums: fused ? options.db : undefined,
    blockNorms: options.dwBlockNorms,
  });
  ops.push(dw);
  setters.push((r) => dw.set({ k: r }));
  if (!fused) {
    const db = await prepareKernel(ctx, denseBiasBackward, {
      label: `${label} Σ dZ`,
      buffers: { dz: options.dz, db: options.db },
      uniforms: { rows, cols: units },
    });
    ops.push(db);
    setters.push((r) => db.set({ rows: r }));
  }
  if (options.dx) {
    const below = options.inputGradient;
    const dx = await prepareMatmul(ctx, {
      label: below ? `${label} (dZ·Wᵀ)⊙act'(Z below)` : `${label} dZ·Wᵀ`,
      a: options.dz,
      b: options.w,
      y: options.dx,
      m: rows,
      n: inputs,
      k: units,
      transposeB: true,
      variant: options.variant,
      ...(below
        ? {
          gradient: true,
          z: below.z,
          activation: below.activation,
          activationParameter: below.activationParameter,
        }
        : {}),
    });
    ops.push(dx);
    setters.push((r) => dx.set({ m: r }));
  }
  return rowsSequence(label, ops, (r) => setters.forEach((set) => set(r)));
}
