/**
 * 2D convolution, pooling and the element-wise activation on the GPU, channels last (NHWC): the
 * kernel definitions and the prepared ops the conv2d / pooling / activation layers encode.
 * @module
 */
import activationForwardCode from "../../shaders/activation_forward.wgsl" with { type: "text" };
import conv2dFilterBackwardCode from "../../shaders/conv2d_filter_backward.wgsl" with { type: "text" };
import conv2dForwardCode from "../../shaders/conv2d_forward.wgsl" with { type: "text" };
import conv2dInputBackwardCode from "../../shaders/conv2d_input_backward.wgsl" with { type: "text" };
import im2colForwardCode from "../../shaders/im2col_forward.wgsl" with { type: "text" };
import pool2dBackwardCode from "../../shaders/pool2d_backward.wgsl" with { type: "text" };
import pool2dForwardCode from "../../shaders/pool2d_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import {
  activationForward,
  conv2dBackward,
  conv2dForward,
  im2col,
  pool2dBackward,
  pool2dForward,
  type PoolMode,
  type Window2d,
} from "../reference/conv2d.ts";
import {
  type BoundBuffer,
  type KernelDef,
  linearWorkgroups,
  type PreparedOp,
  prepareKernel,
  type UniformField,
} from "./kernel.ts";
import { activationOverrides } from "./matmul.ts";

type ConvUniform =
  | "rows"
  | "inH"
  | "inW"
  | "inC"
  | "outH"
  | "outW"
  | "filters"
  | "kH"
  | "kW"
  | "sH"
  | "sW"
  | "padTop"
  | "padLeft";
type PoolUniform = Exclude<ConvUniform, "inC" | "filters"> | "channels";

const CONV_UNIFORMS: readonly UniformField<ConvUniform>[] = (
  [
    "rows",
    "inH",
    "inW",
    "inC",
    "outH",
    "outW",
    "filters",
    "kH",
    "kW",
    "sH",
    "sW",
    "padTop",
    "padLeft",
  ] as const
).map((name) => ({ name, type: "u32" as const }));
const POOL_UNIFORMS: readonly UniformField<PoolUniform>[] = (
  ["rows", "inH", "inW", "channels", "outH", "outW", "kH", "kW", "sH", "sW", "padTop", "padLeft"] as const
).map((name) => ({ name, type: "u32" as const }));

/** conv2d_forward.wgsl: Z = conv(X, W) + b, Y = act(Z), one invocation per output element. */
export const conv2dForwardKernel: KernelDef<ConvUniform> = {
  name: "conv2d_forward",
  code: conv2dForwardCode,
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "bias", access: "read" },
    { name: "z", access: "read-write" },
    { name: "y", access: "read-write" },
  ],
  uniforms: CONV_UNIFORMS,
  overrides: { ACTIVATION: 0, ALPHA: 0.2 },
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.filters, 64),
  twins: [conv2dForward],
};

/** conv2d_input_backward.wgsl: dX from dZ and W (a gather, deterministic). */
export const conv2dInputBackwardKernel: KernelDef<ConvUniform> = {
  name: "conv2d_input_backward",
  code: conv2dInputBackwardCode,
  bindings: [{ name: "dz", access: "read" }, { name: "w", access: "read" }, {
    name: "dx",
    access: "read-write",
  }],
  uniforms: CONV_UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows * u.inH * u.inW * u.inC, 64),
  twins: [conv2dBackward],
};

/** conv2d_filter_backward.wgsl: dW from X and dZ, one invocation per weight. */
export const conv2dFilterBackwardKernel: KernelDef<ConvUniform> = {
  name: "conv2d_filter_backward",
  code: conv2dFilterBackwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "dz", access: "read" }, {
    name: "dw",
    access: "read-write",
  }],
  uniforms: CONV_UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.kH * u.kW * u.inC * u.filters, 64),
  twins: [conv2dBackward],
};

type Im2colUniform = Exclude<ConvUniform, "filters">;

/** im2col_forward.wgsl: the patch matrix (rows·outH·outW) × (kh·kw·inC) of a convolution. */
export const im2colForwardKernel: KernelDef<Im2colUniform> = {
  name: "im2col_forward",
  code: im2colForwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "patches", access: "read-write" }],
  uniforms: CONV_UNIFORMS.filter((f): f is UniformField<Im2colUniform> => f.name !== "filters"),
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.kH * u.kW * u.inC, 64),
  twins: [im2col],
};

/** Prepares the patch matrix of `rows` rows of x (patches: rows·outH·outW × kh·kw·inC). */
export function prepareIm2col(
  ctx: GpuContext,
  o: { label: string; geometry: Window2d; rows: number; x: GPUBuffer; patches: GPUBuffer },
): Promise<PreparedOp<Im2colUniform>> {
  const { filters: _f, ...uniforms } = convUniforms(o.geometry, 1, o.rows);
  return prepareKernel(ctx, im2colForwardKernel, {
    label: o.label,
    buffers: { x: o.x, patches: o.patches },
    uniforms,
  });
}

/** pool2d_forward.wgsl: max (MODE 0, with argmax) or average (MODE 1) pooling. */
export const pool2dForwardKernel: KernelDef<PoolUniform> = {
  name: "pool2d_forward",
  code: pool2dForwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }, {
    name: "argmax",
    access: "read-write",
  }],
  uniforms: POOL_UNIFORMS,
  overrides: { MODE: 0 },
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.channels, 64),
  twins: [pool2dForward],
};

/** pool2d_backward.wgsl: dX of pooling (a gather, deterministic). */
export const pool2dBackwardKernel: KernelDef<PoolUniform> = {
  name: "pool2d_backward",
  code: pool2dBackwardCode,
  bindings: [{ name: "dy", access: "read" }, { name: "argmax", access: "read" }, {
    name: "dx",
    access: "read-write",
  }],
  uniforms: POOL_UNIFORMS,
  overrides: { MODE: 0 },
  dispatch: (u) => linearWorkgroups(u.rows * u.inH * u.inW * u.channels, 64),
  twins: [pool2dBackward],
};

/** activation_forward.wgsl: Y = act(X) element by element. */
export const activationForwardKernel: KernelDef<"count"> = {
  name: "activation_forward",
  code: activationForwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: [{ name: "count", type: "u32" }],
  overrides: { ACTIVATION: 0, ALPHA: 0.2 },
  dispatch: (u) => linearWorkgroups(u.count, 64),
  twins: [activationForward],
};

/** The Params values of a convolution over `rows` rows. */
export function convUniforms(g: Window2d, filters: number, rows: number): Record<ConvUniform, number> {
  return {
    rows,
    inH: g.inH,
    inW: g.inW,
    inC: g.inC,
    outH: g.outH,
    outW: g.outW,
    filters,
    kH: g.kH,
    kW: g.kW,
    sH: g.sH,
    sW: g.sW,
    padTop: g.padTop,
    padLeft: g.padLeft,
  };
}

/** The Params values of a pooling over `rows` rows. */
export function poolUniforms(g: Window2d, rows: number): Record<PoolUniform, number> {
  const { inC: _c, ...rest } = g;
  return { ...rest, channels: g.inC, rows };
}

/** Prepares the convolution forward: z and y are rows × outH·outW·filters. */
export function prepareConv2dForward(
  ctx: GpuContext,
  o: {
    label: string;
    geometry: Window2d;
    filters: number;
    rows: number;
    activation: ElementwiseActivation;
    x: GPUBuffer;
    w: BoundBuffer;
    b: BoundBuffer;
    z: GPUBuffer;
    y: GPUBuffer;
  },
): Promise<PreparedOp<ConvUniform>> {
  return prepareKernel(ctx, conv2dForwardKernel, {
    label: o.label,
    buffers: { x: o.x, w: o.w, bias: o.b, z: o.z, y: o.y },
    uniforms: convUniforms(o.geometry, o.filters, o.rows),
    overrides: activationOverrides(o.activation),
  });
}

/** Prepares one of the convolution's backward products (dX or dW) from dZ. */
export function prepareConv2dBackward(
  ctx: GpuContext,
  o: {
    label: string;
    geometry: Window2d;
    filters: number;
    rows: number;
    pass: "input" | "filter";
    x: GPUBuffer;
    w: BoundBuffer;
    dz: GPUBuffer;
    /** dX (pass "input") or dW (pass "filter"). */
    out: BoundBuffer;
  },
): Promise<PreparedOp<ConvUniform>> {
  const uniforms = convUniforms(o.geometry, o.filters, o.rows);
  return o.pass === "input"
    ? prepareKernel(ctx, conv2dInputBackwardKernel, {
      label: o.label,
      buffers: { dz: o.dz, w: o.w, dx: o.out },
      uniforms,
    })
    : prepareKernel(ctx, conv2dFilterBackwardKernel, {
      label: o.label,
      buffers: { x: o.x, dz: o.dz, dw: o.out },
      uniforms,
    });
}

/** Prepares pooling forward (y, and argmax for max pooling) or backward (dx from dy and argmax). */
export function preparePool2d(
  ctx: GpuContext,
  o: {
    label: string;
    geometry: Window2d;
    rows: number;
    mode: PoolMode;
    pass: "forward" | "backward";
    /** x (forward) or dY (backward). */
    input: GPUBuffer;
    argmax: GPUBuffer;
    /** y (forward) or dX (backward). */
    output: GPUBuffer;
  },
): Promise<PreparedOp<PoolUniform>> {
  const overrides = { MODE: o.mode === "max" ? 0 : 1 };
  const uniforms = poolUniforms(o.geometry, o.rows);
  return o.pass === "forward"
    ? prepareKernel(ctx, pool2dForwardKernel, {
      label: o.label,
      buffers: { x: o.input, y: o.output, argmax: o.argmax },
      uniforms,
      overrides,
    })
    : prepareKernel(ctx, pool2dBackwardKernel, {
      label: o.label,
      buffers: { dy: o.input, argmax: o.argmax, dx: o.output },
      uniforms,
      overrides,
    });
}

/** Prepares Y = act(X) over `count` elements. */
export function prepareActivationForward(
  ctx: GpuContext,
  o: { label: string; activation: ElementwiseActivation; x: GPUBuffer; y: GPUBuffer; count: number },
): Promise<PreparedOp<"count">> {
  return prepareKernel(ctx, activationForwardKernel, {
    label: o.label,
    buffers: { x: o.x, y: o.y },
    uniforms: { count: o.count },
    overrides: activationOverrides(o.activation),
  });
}
