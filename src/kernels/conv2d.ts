/**
 * 2D convolution, pooling and the element-wise activation on the GPU, channels last (NHWC): the
 * kernel definitions and the prepared ops the conv2d / pooling / activation layers encode.
 * @module
 */
import activationForwardCode from "../../shaders/activation_forward.wgsl" with { type: "text" };
import conv2dFilterBackwardCode from "../../shaders/conv2d_filter_backward.wgsl" with { type: "text" };
import conv2dFilterReduceCode from "../../shaders/conv2d_filter_reduce_backward.wgsl" with { type: "text" };
import conv2dForwardCode from "../../shaders/conv2d_forward.wgsl" with { type: "text" };
import conv2dInputBackwardCode from "../../shaders/conv2d_input_backward.wgsl" with { type: "text" };
import im2colForwardCode from "../../shaders/im2col_forward.wgsl" with { type: "text" };
import col2imBackwardCode from "../../shaders/col2im_backward.wgsl" with { type: "text" };
import pool2dBackwardCode from "../../shaders/pool2d_backward.wgsl" with { type: "text" };
import pool2dForwardCode from "../../shaders/pool2d_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import {
  activationForward,
  col2im,
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

/** conv2d_forward.wgsl: Z = conv(X, W) + b, Y = act(Z), one invocation per output position and 4 or 16 filters. */
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
  overrides: { ACTIVATION: 0, ALPHA: 0.2, KH: 0, KW: 0, IN_C: 0, FILTER_BLOCK_DEPTH: 64 },
  dispatch: (u) => {
    const [x, y] = linearWorkgroups(u.rows * u.outH * u.outW, 64);
    return [x, y, Math.ceil(u.filters / filterBlock(u))];
  },
  twins: [conv2dForward],
};

/** conv2d_input_backward.wgsl: dX from dZ and W (a gather, deterministic), 4 channels an invocation. */
export const conv2dInputBackwardKernel: KernelDef<ConvUniform> = {
  name: "conv2d_input_backward",
  code: conv2dInputBackwardCode,
  bindings: [{ name: "dz", access: "read" }, { name: "w", access: "read" }, {
    name: "dx",
    access: "read-write",
  }],
  uniforms: CONV_UNIFORMS,
  overrides: {},
  dispatch: (u) => {
    const [x, y] = linearWorkgroups(u.rows * u.inH * u.inW, 64);
    return [x, y, Math.ceil(u.inC / 4)];
  },
  twins: [conv2dBackward],
};

/** conv2d_filter_backward.wgsl: partial sums of dW (and db) over chunks of the output positions. */
export const conv2dFilterBackwardKernel: KernelDef<ConvUniform | "chunks"> = {
  name: "conv2d_filter_backward",
  code: conv2dFilterBackwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "dz", access: "read" }, {
    name: "partials",
    access: "read-write",
  }],
  uniforms: [...CONV_UNIFORMS, { name: "chunks", type: "u32" }],
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.chunks * (u.kH * u.kW * u.inC + 1) * Math.ceil(u.filters / 4), 64),
  twins: [conv2dBackward],
};

type ReduceUniform = "count" | "cols" | "stride" | "chunks";

/** conv2d_filter_reduce_backward.wgsl: dW and db from the partial sums, chunks in order. */
export const conv2dFilterReduceKernel: KernelDef<ReduceUniform> = {
  name: "conv2d_filter_reduce_backward",
  code: conv2dFilterReduceCode,
  bindings: [
    { name: "partials", access: "read" },
    { name: "dw", access: "read-write" },
    { name: "db", access: "read-write" },
  ],
  uniforms: (["count", "cols", "stride", "chunks"] as const).map((name) => ({ name, type: "u32" as const })),
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.cols, 64),
  twins: [conv2dBackward],
};

/** Most bytes the filter gradient's partial sums take (chunks × (weights + filters) floats). */
const PARTIALS_BYTES = 32 * 2 ** 20;

/**
 * The number of chunks the filter gradient's positions are cut into: at most 64 and at most
 * √positions, so that a chunk is at least as long as there are chunks (the accuracy bound in
 * conv2d_filter_backward.wgsl), and few enough that the partial sums of `sums` values (weights and
 * biases) fit PARTIALS_BYTES (a layer with that many weights has parallelism enough without chunks).
 */
export function filterGradientChunks(positions: number, sums: number): number {
  const byMemory = Math.floor(PARTIALS_BYTES / (4 * sums));
  return Math.max(1, Math.min(64, Math.floor(Math.sqrt(positions)), byMemory));
}

type Im2colUniform = Exclude<ConvUniform, "filters">;

/** im2col_forward.wgsl: the patch matrix (rows·outH·outW) × (kh·kw·inC) of a convolution. */
export const im2colForwardKernel: KernelDef<Im2colUniform> = {
  name: "im2col_forward",
  code: im2colForwardCode,
  bindings: [{ name: "x", access: "read" }, { name: "patches", access: "read-write" }],
  uniforms: CONV_UNIFORMS.filter((f): f is UniformField<Im2colUniform> => f.name !== "filters"),
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.kH * u.kW, 64),
  twins: [im2col],
};

/** col2im_backward.wgsl: dX from the patch matrix's gradient (the adjoint of im2col, a gather). */
export const col2imBackwardKernel: KernelDef<Im2colUniform> = {
  name: "col2im_backward",
  code: col2imBackwardCode,
  bindings: [{ name: "patches", access: "read" }, { name: "dx", access: "read-write" }],
  uniforms: CONV_UNIFORMS.filter((f): f is UniformField<Im2colUniform> => f.name !== "filters"),
  overrides: { KH: 0, KW: 0, SH: 0, SW: 0 },
  dispatch: (u) => linearWorkgroups(u.rows * u.inH * u.inW * u.inC, 64),
  twins: [col2im],
};

/** Prepares dX (rows × inH·inW·inC) from the gradient of the patch matrix (col2im). */
export function prepareCol2im(
  ctx: GpuContext,
  o: { label: string; geometry: Window2d; rows: number; patches: GPUBuffer; dx: GPUBuffer },
): Promise<PreparedOp<Im2colUniform>> {
  const { filters: _f, ...uniforms } = convUniforms(o.geometry, 1, o.rows);
  return prepareKernel(ctx, col2imBackwardKernel, {
    label: o.label,
    buffers: { patches: o.patches, dx: o.dx },
    uniforms,
    overrides: strideWindowOverrides(o.geometry),
  });
}

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
  overrides: { MODE: 0, KH: 0, KW: 0, SH: 0, SW: 0 },
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.channels, 64),
  twins: [pool2dForward],
};

/** pool2d_backward.wgsl: dX of pooling (a gather, deterministic), optionally ⊙ act'(Z) of the layer below. */
export const pool2dBackwardKernel: KernelDef<PoolUniform> = {
  name: "pool2d_backward",
  code: pool2dBackwardCode,
  bindings: [
    { name: "dy", access: "read" },
    { name: "argmax", access: "read" },
    { name: "z", access: "read" },
    { name: "dx", access: "read-write" },
  ],
  uniforms: POOL_UNIFORMS,
  overrides: { MODE: 0, FUSED: 0, ACTIVATION: 0, ALPHA: 0.2, KH: 0, KW: 0, SH: 0, SW: 0 },
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
    // The window as constants: its loops unroll (see the shader's header).
    overrides: { ...activationOverrides(o.activation), ...windowOverrides(o.geometry) },
  });
}

/** Filters per invocation of conv2d_forward: the shader's rule (its FILTER_BLOCK_DEPTH, measured). */
function filterBlock(g: { kH: number; kW: number; inC: number }): 4 | 16 {
  return g.kH * g.kW * g.inC >= conv2dForwardKernel.overrides.FILTER_BLOCK_DEPTH ? 16 : 4;
}

/** The window's height, width and depth as override constants (KH, KW, IN_C). */
function windowOverrides(g: Window2d): { KH: number; KW: number; IN_C: number } {
  return { KH: g.kH, KW: g.kW, IN_C: g.inC };
}

/**
 * The window and its strides as override constants (KH, KW, SH, SW) for the kernels that gather
 * over windows (pooling, col2im): their loops unroll and their stride tests become constant.
 */
function strideWindowOverrides(g: Window2d): { KH: number; KW: number; SH: number; SW: number } {
  return { KH: g.kH, KW: g.kW, SH: g.sH, SW: g.sW };
}

/** Prepares one of the convolution's backward products (dX, or dW and optionally db) from dZ. */
export async function prepareConv2dBackward(
  ctx: GpuContext,
  o: {
    label: string;
    geometry: Window2d;
    filters: number;
    /** The most rows (a later `set({ rows })` may lower it). */
    rows: number;
    pass: "input" | "filter";
    x: GPUBuffer;
    w: BoundBuffer;
    dz: GPUBuffer;
    /** dX (pass "input") or dW (pass "filter"). */
    out: BoundBuffer;
    /** Pass "filter": also db = Σ dZ per filter, from the same pass over dZ. */
    db?: BoundBuffer;
  },
): Promise<PreparedOp<ConvUniform>> {
  const uniforms = convUniforms(o.geometry, o.filters, o.rows);
  if (o.pass === "input") {
    return await prepareKernel(ctx, conv2dInputBackwardKernel, {
      label: o.label,
      buffers: { dz: o.dz, w: o.w, dx: o.out },
      uniforms,
    });
  }
  const g = o.geometry;
  const count = g.kH * g.kW * g.inC * o.filters, stride = count + o.filters;
  const chunks = filterGradientChunks(o.rows * g.outH * g.outW, stride);
  const partials = ctx.storage(`${o.label} partial sums`, chunks * stride);
  const sums = await prepareKernel(ctx, conv2dFilterBackwardKernel, {
    label: `${o.label} partial sums`,
    buffers: { x: o.x, dz: o.dz, partials },
    uniforms: { ...uniforms, chunks },
  });
  const reduce = await prepareKernel(ctx, conv2dFilterReduceKernel, {
    label: o.label,
    buffers: { partials, dw: o.out, db: o.db ?? ctx.placeholder("conv2d db (unused)") },
    uniforms: { count, cols: o.db ? stride : count, stride, chunks },
  });
  return {
    label: o.label,
    kernel: sums.kernel,
    get uniforms() {
      return sums.uniforms;
    },
    get workgroups() {
      return sums.workgroups;
    },
    set: (values) => sums.set(values),
    encode(pass) {
      sums.encode(pass);
      reduce.encode(pass);
    },
    release() {
      sums.release();
      reduce.release();
      ctx.pool.release(partials);
    },
  };
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
    /**
     * Backward only: apply the layer below's act' too (its pre-activations z), so that the output is
     * that layer's dZ.
     */
    below?: { activation: ElementwiseActivation; z: GPUBuffer } | null;
  },
): Promise<PreparedOp<PoolUniform>> {
  const overrides = { MODE: o.mode === "max" ? 0 : 1 };
  const poolWindow = strideWindowOverrides(o.geometry);
  const uniforms = poolUniforms(o.geometry, o.rows);
  return o.pass === "forward"
    ? prepareKernel(ctx, pool2dForwardKernel, {
      label: o.label,
      buffers: { x: o.input, y: o.output, argmax: o.argmax },
      uniforms,
      overrides: { ...overrides, ...poolWindow },
    })
    : prepareKernel(ctx, pool2dBackwardKernel, {
      label: o.label,
      buffers: { dy: o.input, argmax: o.argmax, z: o.below?.z ?? o.input, dx: o.output },
      uniforms,
      overrides: {
        ...overrides,
        ...poolWindow,
        ...(o.below ? { FUSED: 1, ...activationOverrides(o.below.activation) } : {}),
      },
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
