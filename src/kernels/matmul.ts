/**
 * The matmul kernels (register-blocked 4×4, register-blocked 8×8 with vec4 loads, workgroup-tiled)
 * with the fused dense epilogue, and the per-adapter choice between them.
 * @module
 */
import blockedCode from "../../shaders/matmul_blocked_forward.wgsl" with { type: "text" };
import tiledCode from "../../shaders/matmul_tiled_forward.wgsl" with { type: "text" };
import vec4Code from "../../shaders/matmul_vec4_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { AdapterReport } from "../report/types.ts";
import { activate, activationBackward } from "../reference/activations.ts";
import { columnSums, denseForward } from "../reference/dense.ts";
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

/**
 * Register-blocked matmul, 8×8 outputs per invocation, vec4 loads wherever the contiguous dimension
 * is a multiple of 4: the same summation order as {@linkcode matmulBlockedForward}, fewer and wider
 * loads, four times the arithmetic per load (CPU adapters).
 */
export const matmulVec4Forward: KernelDef<MatmulUniform> = {
  name: "matmul_vec4_forward",
  code: vec4Code,
  bindings: [...MATMUL_BINDINGS, { name: "colsum", access: "read-write" }, {
    name: "norms",
    access: "read-write",
  }],
  uniforms: MATMUL_UNIFORMS,
  overrides: {
    ...EPILOGUE_OVERRIDES,
    GRADIENT: 0,
    COLUMN_SUMS: 0,
    BLOCK_NORMS: 0,
    A_VEC4: 0,
    B_VEC4: 0,
    WG_X: 32,
    WG_Y: 1,
  },
  dispatch: (u, o) => [Math.ceil(u.n / (8 * o.WG_X)), Math.ceil(u.m / (8 * o.WG_Y)), 1],
  twins: [matmul, denseForward, activate, activationBackward, columnSums],
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
export type MatmulVariant = "blocked" | "vec4" | "tiled";

const MATMUL_KERNELS: Readonly<Record<MatmulVariant, KernelDef<MatmulUniform>>> = {
  blocked: matmulBlockedForward,
  vec4: matmulVec4Forward,
  tiled: matmulTiledForward,
};

/**
 * The matmul variant for an adapter: a fixed rule of the adapter's identity, never a timing, so the
 * same adapter always runs the same kernel (determinism, issue 8). CPU software adapters (fallback:
 * llvmpipe, lavapipe, SwiftShader) run invocations as SIMD lanes, pay for every barrier and for
 * every load lane by lane, so the register-blocked 8×8 vec4 kernel wins there (llvmpipe, 1024³, CPU
 * time: vec4 ~2× blocked 4×4, which is ~4× the workgroup-tiled one); hardware adapters reuse tiles
 * from on-chip memory. A timed choice was rejected: on this shared 2-core machine the same kernel's
 * time swings 2× between runs, so a measurement could pick differently on the same adapter. All three
 * variants compute each output with the same operations in the same order (tested bit for bit on the
 * adapter under test), so a caller that passes `variant` explicitly changes speed, not results, there.
 */
export function chooseMatmulVariant(adapter: AdapterReport): MatmulVariant {
  return adapter.isFallbackAdapter || /llvmpipe|swiftshader|lavapipe/i.test(adapter.description)
    ? "vec4"
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
  /**
   * Backward fusion (vec4 variant only, see {@linkcode fusesBackward}): Y = op(A)·op(B) ⊙ act'(Z),
   * with Z read from `z` and `activation` selecting the derivative; no bias.
   */
  gradient?: boolean;
  /** Backward fusion (vec4 only): also writes the n column sums of op(B) here (the bias gradient). */
  columnSums?: GPUBuffer;
  /**
   * vec4 only: also writes the L2 norm of each 8×8 block of Y here ({@linkcode blockNormCount} values;
   * their L2 norm is ‖Y‖).
   */
  blockNorms?: GPUBuffer;
}

/** How many block norms `prepareMatmul({ blockNorms })` writes for an m×n product. */
export function blockNormCount(m: number, n: number): number {
  return Math.ceil(m / 8) * Math.ceil(n / 8);
}

/** Whether `variant` (default: the adapter's) fuses the dense backward's elementwise steps. */
export function fusesBackward(ctx: GpuContext, variant?: MatmulVariant): boolean {
  return (variant ?? chooseMatmulVariant(ctx.adapter)) === "vec4";
}

/**
 * Prepares Y = act(op(A)·op(B) + bias) (Z kept when `z` is given). `op.set({ m })` changes the rows
 * for a partial batch; buffers must be large enough for the largest shape used. With the vec4
 * variant, the contiguous dimension of each operand (A: k, or m when transposed; B: n, or k when
 * transposed) decides at prepare time whether it is read as vec4s: `set` may not change such a
 * dimension between a multiple of 4 and a non-multiple (it throws a RangeError; prepare again).
 * Buffers must be pool-allocated (sizes rounded up to 16 bytes) and bound whole.
 *
 * @example
 * ```ts
 * const op = await prepareMatmul(ctx, { label: "x·w", a: x, b: w, y, m: 32, n: 10, k: 64 });
 * ctx.submit("forward", (pass) => op.encode(pass));
 * ```
 */
export async function prepareMatmul(
  ctx: GpuContext,
  options: MatmulOptions,
): Promise<PreparedOp<MatmulUniform>> {
  const variant = options.variant ?? chooseMatmulVariant(ctx.adapter);
  const activation = options.activation ?? "linear";
  const shape = { m: options.m, n: options.n, k: options.k };
  const vectorised = variant === "vec4" ? vec4Operands(shape, options) : null;
  if ((options.gradient || options.columnSums || options.blockNorms) && !vectorised) {
    throw new Error(
      `matmul ${options.label}: fused backward epilogues need the vec4 variant, not ${variant}`,
    );
  }
  if (options.gradient && (!options.z || options.bias)) {
    throw new Error(`matmul ${options.label}: the gradient epilogue reads z and takes no bias`);
  }
  const op = await prepareKernel(ctx, MATMUL_KERNELS[variant], {
    label: options.label,
    buffers: {
      a: options.a,
      b: options.b,
      bias: options.bias ?? ctx.placeholder("bias"),
      y: options.y,
      z: options.z ?? ctx.placeholder("pre-activation"),
      colsum: options.columnSums ?? ctx.placeholder("column sums"),
      norms: options.blockNorms ?? ctx.placeholder("block norms"),
    },
    uniforms: shape,
    overrides: {
      TRANSPOSE_A: options.transposeA ? 1 : 0,
      TRANSPOSE_B: options.transposeB ? 1 : 0,
      HAS_BIAS: options.bias ? 1 : 0,
      STORE_Z: options.z && !options.gradient ? 1 : 0,
      ACTIVATION: ACTIVATION_CODES[activation],
      ALPHA: options.activationParameter ?? (defaultActivationParameter(activation) || 0.2),
      ...(vectorised
        ? {
          A_VEC4: vectorised.a ? 1 : 0,
          B_VEC4: vectorised.b ? 1 : 0,
          GRADIENT: options.gradient ? 1 : 0,
          COLUMN_SUMS: options.columnSums ? 1 : 0,
          BLOCK_NORMS: options.blockNorms ? 1 : 0,
        }
        : {}),
    },
  });
  if (!vectorised) return op;
  const set = op.set.bind(op);
  op.set = (values) => {
    const next = { ...op.uniforms, ...values };
    const now = vec4Operands(next, options);
    if (now.a !== vectorised.a || now.b !== vectorised.b) {
      throw new RangeError(
        `matmul ${options.label}: m=${next.m}, n=${next.n}, k=${next.k} changes which operands are read ` +
          `as vec4 (prepared for m=${shape.m}, n=${shape.n}, k=${shape.k}); prepare the matmul again`,
      );
    }
    set(values);
  };
  return op;
}

/** Whether each operand's contiguous dimension is a multiple of 4 (aligned vec4 loads). */
function vec4Operands(
  shape: Record<MatmulUniform, number>,
  options: { transposeA?: boolean; transposeB?: boolean },
): { a: boolean; b: boolean } {
  return {
    a: (options.transposeA ? shape.m : shape.k) % 4 === 0,
    b: (options.transposeB ? shape.k : shape.n) % 4 === 0,
  };
}
