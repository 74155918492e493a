/**
 * The matmul kernels (register-blocked and workgroup-tiled) with the fused dense epilogue, and the
 * per-adapter choice between them.
 * @module
 */
import blockedCode from "../../shaders/matmul_blocked_forward.wgsl" with { type: "text" };
import tiledCode from "../../shaders/matmul_tiled_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { AdapterReport } from "../report/types.ts";
import { activate } from "../reference/activations.ts";
import { denseForward } from "../reference/dense.ts";
import { matmul } from "../reference/matmul.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { defaultActivationParameter } from "../reference/activations.ts";
import { type KernelBinding, type KernelDef, type PreparedOp, prepareKernel } from "./kernel.ts";

/** Matmul uniform fields: op(A) is m×k, op(B) k×n. */
export type MatmulUniform = "m" | "n" | "k";

/** The WGSL ACTIVATION codes. */
export const ACTIVATION_CODES: Readonly<Record<ElementwiseActivation, number>> = {
  linear: 0,
  relu: 1,
  "leaky-relu": 2,
  elu: 3,
  sigmoid: 4,
  tanh: 5,
};

const MATMUL_BINDINGS: readonly KernelBinding[] = [
  { name: "a", access: "read" },
  { name: "b", access: "read" },
  { name: "bias", access: "read" },
  { name: "y", access: "read-write" },
  { name: "z", access: "read-write" },
];
const MATMUL_UNIFORMS = [
  { name: "m", type: "u32" },
  { name: "n", type: "u32" },
  { name: "k", type: "u32" },
] as const;
const EPILOGUE_OVERRIDES = {
  TRANSPOSE_A: 0,
  TRANSPOSE_B: 0,
  HAS_BIAS: 0,
  STORE_Z: 0,
  ACTIVATION: 0,
  ALPHA: 0.2,
};

/** Register-blocked matmul: 4×4 outputs per invocation, no workgroup memory (CPU adapters). */
export const matmulBlockedForward: KernelDef<MatmulUniform> = {
  name: "matmul_blocked_forward",
  code: blockedCode,
  bindings: MATMUL_BINDINGS,
  uniforms: MATMUL_UNIFORMS,
  overrides: { ...EPILOGUE_OVERRIDES, WG_X: 8, WG_Y: 8 },
  dispatch: (u, o) => [Math.ceil(u.n / (4 * o.WG_X)), Math.ceil(u.m / (4 * o.WG_Y)), 1],
  twins: [matmul, denseForward, activate],
};

/** Workgroup-tiled matmul: 64×64 tiles staged through workgroup memory (discrete GPUs). */
export const matmulTiledForward: KernelDef<MatmulUniform> = {
  name: "matmul_tiled_forward",
  code: tiledCode,
  bindings: MATMUL_BINDINGS,
  uniforms: MATMUL_UNIFORMS,
  overrides: EPILOGUE_OVERRIDES,
  dispatch: (u) => [Math.ceil(u.n / 64), Math.ceil(u.m / 64), 1],
  twins: [matmul, denseForward, activate],
};

/** Which matmul kernel to use. */
export type MatmulVariant = "blocked" | "tiled";

/**
 * The selection hook: the default matmul variant for an adapter. CPU software adapters (fallback:
 * llvmpipe, SwiftShader) pay for every barrier, so the register-blocked kernel wins there (measured
 * ~4x on llvmpipe, ENVIRONMENT.md); hardware adapters reuse tiles from on-chip memory. A later
 * benchmark may replace this guess by a short measurement; callers may always pass `variant`.
 */
export function chooseMatmulVariant(adapter: AdapterReport): MatmulVariant {
  return adapter.isFallbackAdapter || /llvmpipe|swiftshader|lavapipe/i.test(adapter.description)
    ? "blocked"
    : "tiled";
}

/** Options of {@linkcode prepareMatmul}. */
export interface MatmulOptions {
  label: string;
  /** A (m×k, or k×m when transposeA), B (k×n, or n×k when transposeB), Y (m×n). */
  a: GPUBuffer;
  b: GPUBuffer;
  y: GPUBuffer;
  /** Bias of n values added before the activation. */
  bias?: GPUBuffer;
  /** Receives the pre-activation Z (m×n). */
  z?: GPUBuffer;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: ElementwiseActivation;
  /** leaky-relu's negative slope or elu's alpha; Keras's default (0.2, 1.0) when absent. */
  activationParameter?: number;
  /** Default: {@linkcode chooseMatmulVariant} of the context's adapter. */
  variant?: MatmulVariant;
}

/**
 * Prepares Y = act(op(A)·op(B) + bias) (Z kept when `z` is given). `op.set({ m })` changes the rows
 * for a partial batch; buffers must be large enough for the largest shape used.
 *
 * @example
 * ```ts
 * const op = await prepareMatmul(ctx, { label: "x·w", a: x, b: w, y, m: 32, n: 10, k: 64 });
 * ctx.submit("forward", (pass) => op.encode(pass));
 * ```
 */
export function prepareMatmul(ctx: GpuContext, options: MatmulOptions): Promise<PreparedOp<MatmulUniform>> {
  const variant = options.variant ?? chooseMatmulVariant(ctx.adapter);
  const activation = options.activation ?? "linear";
  return prepareKernel(ctx, variant === "tiled" ? matmulTiledForward : matmulBlockedForward, {
    label: options.label,
    buffers: {
      a: options.a,
      b: options.b,
      bias: options.bias ?? ctx.placeholder("bias"),
      y: options.y,
      z: options.z ?? ctx.placeholder("pre-activation"),
    },
    uniforms: { m: options.m, n: options.n, k: options.k },
    overrides: {
      TRANSPOSE_A: options.transposeA ? 1 : 0,
      TRANSPOSE_B: options.transposeB ? 1 : 0,
      HAS_BIAS: options.bias ? 1 : 0,
      STORE_Z: options.z ? 1 : 0,
      ACTIVATION: ACTIVATION_CODES[activation],
      ALPHA: options.activationParameter ?? (defaultActivationParameter(activation) || 0.2),
    },
  });
}
