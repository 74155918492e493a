/**
 * The matmul kernels (register-blocked 4×4, register-blocked 8×8 with vec4 loads, the same 8×8 fed
 * from textures, workgroup-tiled) with the fused dense epilogue, and the choice between them.
 * @module
 */
import blockedCode from "../../shaders/matmul_blocked_forward.wgsl" with { type: "text" };
import packCode from "../../shaders/matmul_pack_forward.wgsl" with { type: "text" };
import textureCode from "../../shaders/matmul_texture_forward.wgsl" with { type: "text" };
import tiledCode from "../../shaders/matmul_tiled_forward.wgsl" with { type: "text" };
import vec4Code from "../../shaders/matmul_vec4_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { AdapterReport } from "../report/types.ts";
import { activate, activationBackward } from "../reference/activations.ts";
import { columnSums, denseForward } from "../reference/dense.ts";
import { matmul, packTexels } from "../reference/matmul.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { defaultActivationParameter } from "../reference/activations.ts";
import {
  type BoundBuffer,
  type KernelBinding,
  type KernelDef,
  type PreparedOp,
  prepareKernel,
} from "./kernel.ts";

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

/**
 * The ACTIVATION / ALPHA override constants of an element-wise activation: its code, and its parameter
 * (leaky-relu's slope, elu's alpha): `parameter` when given, else Keras's default, else 0.2 (unused).
 */
export function activationOverrides(
  activation: ElementwiseActivation,
  parameter?: number,
): { ACTIVATION: number; ALPHA: number } {
  return {
    ACTIVATION: ACTIVATION_CODES[activation],
    ALPHA: parameter ?? (defaultActivationParameter(activation) || 0.2),
  };
}

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

/**
 * op(X) packed four columns a texel into an rgba32float texture (transposed operands come out in the
 * same layout), for {@linkcode matmulTextureForward}.
 */
export const matmulPackForward: KernelDef<"rows" | "cols"> = {
  name: "matmul_pack_forward",
  code: packCode,
  bindings: [{ name: "x", access: "read" }, { name: "packed", access: "write-texture" }],
  uniforms: [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }],
  overrides: { TRANSPOSE: 0, WG_X: 64 },
  dispatch: (u, o) => [Math.ceil(Math.ceil(u.cols / 4) / o.WG_X), u.rows, 1],
  twins: [packTexels],
};

/**
 * The 8×8 register-blocked product of {@linkcode matmulVec4Forward} (same summation order, so the
 * same bits) with its operands read from textures that {@linkcode matmulPackForward} filled: on CPU
 * adapters a texel fetch is far cheaper than a storage-buffer load (see the shader). Dense forward
 * epilogue only.
 */
export const matmulTextureForward: KernelDef<MatmulUniform> = {
  name: "matmul_texture_forward",
  code: textureCode,
  bindings: [
    { name: "a_tex", access: "texture" },
    { name: "b_tex", access: "texture" },
    ...MATMUL_BINDINGS.slice(2),
  ],
  uniforms: MATMUL_UNIFORMS,
  overrides: { HAS_BIAS: 0, STORE_Z: 0, ACTIVATION: 0, ALPHA: 0.2, WG_X: 32, WG_Y: 1 },
  dispatch: (u, o) => [Math.ceil(u.n / (8 * o.WG_X)), Math.ceil(u.m / (8 * o.WG_Y)), 1],
  twins: [matmul, denseForward, activate],
};

/** Which matmul kernel to use. */
export type MatmulVariant = "blocked" | "vec4" | "texture" | "tiled";

const MATMUL_KERNELS: Readonly<Record<Exclude<MatmulVariant, "texture">, KernelDef<MatmulUniform>>> = {
  blocked: matmulBlockedForward,
  vec4: matmulVec4Forward,
  tiled: matmulTiledForward,
};

/**
 * The matmul variant for an adapter and, when given, a product: a fixed rule of the adapter's
 * identity and the shape, never a timing, so the same product on the same adapter always runs the
 * same kernel (determinism, issue 8). CPU software adapters (fallback: llvmpipe, lavapipe,
 * SwiftShader) run invocations as SIMD lanes, pay for every barrier and for every load lane by lane,
 * so the register-blocked 8×8 kernels win there (llvmpipe, 1024³, CPU time: vec4 ~2× blocked 4×4,
 * which is ~4× the workgroup-tiled one), and a large product is faster still with its operands
 * packed into textures first ({@linkcode packsPayOff}); hardware adapters reuse tiles from
 * on-chip memory. This rule is the fallback (`--no-tune`, a context without a tuner, a product the
 * tuning budget did not reach): src/kernels/tuning.ts measures instead and caches the choice per
 * adapter, so the same product on the same adapter keeps its kernel from run to run. All variants
 * compute each output with the same operations in the same order (tested bit for bit on the adapter
 * under test), so the choice changes speed, not results.
 */
export function chooseMatmulVariant(
  adapter: AdapterReport,
  product?: { m: number; n: number; k: number; fused?: boolean },
): MatmulVariant {
  if (!(adapter.isFallbackAdapter || /llvmpipe|swiftshader|lavapipe/i.test(adapter.description))) {
    return "tiled";
  }
  return product && !product.fused && packsPayOff(product) ? "texture" : "vec4";
}

/**
 * Whether packing the operands into textures pays off on a CPU adapter: packing costs two more
 * dispatches and one pass over each operand (O(m·k + k·n)), and makes the product's loads cheaper
 * (O(m·n·k)). Measured on llvmpipe, vec4 time over texture time (median of 5 paired repetitions,
 * the machine quiet; `deno run -A scripts/measure_matmul_variants.ts`): 1024³ 1.39×,
 * 1024×256×1024 1.22×, 512³ 1.21×, 384³ 1.21×, 256³ 1.08×, 128³ 0.83×, 256×10×256 0.70×. So: at least 2^25 multiply-adds (384³ is
 * 2^25.7, 256³ 2^24), and both output dimensions and k at least 64 so the packed operands are reused
 * enough (a product with a handful of columns would pack a large A for little work).
 */
export function packsPayOff(product: { m: number; n: number; k: number }): boolean {
  const { m, n, k } = product;
  return m * n * k >= 2 ** 25 && Math.min(m, n, k) >= 64;
}

/**
 * The variants that can run an unfused m×n×k product on this device: all four, the texture one only
 * where the packed operands fit the device's textures. What the tuner (src/kernels/tuning.ts) times.
 */
export function matmulCandidates(
  ctx: GpuContext,
  product: { m: number; n: number; k: number },
): MatmulVariant[] {
  const all: MatmulVariant[] = ["blocked", "vec4", "tiled"];
  return fitsTextures(ctx, product) ? [...all, "texture"] : all;
}

/** Options of {@linkcode prepareMatmul}. */
export interface MatmulOptions {
  label: string;
  /** A (m×k, or k×m when transposeA), B (k×n, or n×k when transposeB), Y (m×n). */
  a: BoundBuffer;
  b: BoundBuffer;
  y: BoundBuffer;
  /** Bias of n values added before the activation. */
  bias?: BoundBuffer;
  /** Receives the pre-activation Z (m×n). */
  z?: BoundBuffer;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: ElementwiseActivation;
  /** leaky-relu's negative slope or elu's alpha; Keras's default (0.2, 1.0) when absent. */
  activationParameter?: number;
  /**
   * Default: the context's tuner's measured choice for an unfused product (`ctx.matmulTuner`), else
   * {@linkcode chooseMatmulVariant} of the context's adapter and this product (with the texture
   * variant only where the packed operands fit the device's textures).
   */
  variant?: MatmulVariant;
  /**
   * Backward fusion (vec4 variant only, see {@linkcode fusesBackward}): Y = op(A)·op(B) ⊙ act'(Z),
   * with Z read from `z` and `activation` selecting the derivative; no bias.
   */
  gradient?: boolean;
  /** Backward fusion (vec4 only): also writes the n column sums of op(B) here (the bias gradient). */
  columnSums?: BoundBuffer;
  /**
   * vec4 only: also writes the L2 norm of each 8×8 block of Y here ({@linkcode blockNormCount} values;
   * their L2 norm is ‖Y‖).
   */
  blockNorms?: BoundBuffer;
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
 * The texture variant sizes its textures for the prepared shape: `set` may shrink m, n or k but not
 * grow them (RangeError). Buffers must be pool-allocated (sizes rounded up to 16 bytes) and bound whole.
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
  const shape = { m: options.m, n: options.n, k: options.k };
  const fused = !!(options.gradient || options.columnSums || options.blockNorms);
  // A tuner (src/kernels/tuning.ts) measures unfused products; fused epilogues exist in vec4 only.
  const tuned = !options.variant && !fused && ctx.matmulTuner
    ? await ctx.matmulTuner.choose({
      ...shape,
      transposeA: options.transposeA,
      transposeB: options.transposeB,
    })
    : undefined;
  let variant = options.variant ?? tuned ?? chooseMatmulVariant(ctx.adapter, { ...shape, fused });
  if (variant === "texture" && !options.variant && !fitsTextures(ctx, shape)) variant = "vec4";
  if (fused && variant !== "vec4") {
    throw new Error(
      `matmul ${options.label}: fused backward epilogues need the vec4 variant, not ${variant}`,
    );
  }
  if (variant === "texture") return await prepareTextureMatmul(ctx, options);
  const vectorised = variant === "vec4" ? vec4Operands(shape, options) : null;
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
      ...denseEpilogue(options),
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

/**
 * The dense forward epilogue's override constants, which every variant declares: bias, Z kept (not
 * under the gradient epilogue, which reads Z), activation and its parameter.
 */
function denseEpilogue(options: MatmulOptions) {
  const activation = options.activation ?? "linear";
  return {
    HAS_BIAS: options.bias ? 1 : 0,
    STORE_Z: options.z && !options.gradient ? 1 : 0,
    ...activationOverrides(activation, options.activationParameter),
  };
}

/** Whether both packed operands of an m×n×k product fit the device's 2D texture size. */
function fitsTextures(ctx: GpuContext, shape: Record<MatmulUniform, number>): boolean {
  const limit = ctx.device.limits.maxTextureDimension2D;
  const { m, n, k } = shape;
  return Math.max(m, k, Math.ceil(k / 4), Math.ceil(n / 4)) <= limit;
}

/**
 * The texture variant: op(A) and op(B) packed into rgba32float textures (matmul_pack_forward), then
 * the product (matmul_texture_forward); the three dispatches are encoded together. The textures are
 * sized for the prepared shape, so `set` may shrink m, n or k (a partial batch) but not grow them.
 */
async function prepareTextureMatmul(
  ctx: GpuContext,
  options: MatmulOptions,
): Promise<PreparedOp<MatmulUniform>> {
  const prepared = { m: options.m, n: options.n, k: options.k };
  if (!fitsTextures(ctx, prepared)) {
    throw new RangeError(
      `matmul ${options.label}: m=${prepared.m}, n=${prepared.n}, k=${prepared.k} does not fit the ` +
        `device's ${ctx.device.limits.maxTextureDimension2D}-texel textures; use the vec4 variant`,
    );
  }
  // op(X), rows × cols, packed into a texture of ceil(cols/4) × rows texels.
  const pack = async (name: string, x: BoundBuffer, rows: number, cols: number, transpose?: boolean) => {
    const texture = ctx.device.createTexture({
      label: `${options.label} packed ${name}`,
      // A texture cannot be empty; a 0-sized operand is never read.
      size: [Math.max(1, Math.ceil(cols / 4)), Math.max(1, rows)],
      format: "rgba32float",
      usage: 0x04 /* TEXTURE_BINDING */ | 0x08, /* STORAGE_BINDING */
    });
    const op = await prepareKernel(ctx, matmulPackForward, {
      label: `${options.label} pack ${name}`,
      buffers: { x },
      textures: { packed: texture },
      uniforms: { rows, cols },
      overrides: { TRANSPOSE: transpose ? 1 : 0 },
    });
    return { texture, op };
  };
  const { m, n, k } = prepared;
  const { texture: aTexture, op: packA } = await pack("A", options.a, m, k, options.transposeA);
  const { texture: bTexture, op: packB } = await pack("B", options.b, k, n, options.transposeB);
  const product = await prepareKernel(ctx, matmulTextureForward, {
    label: options.label,
    buffers: {
      bias: options.bias ?? ctx.placeholder("bias"),
      y: options.y,
      z: options.z ?? ctx.placeholder("pre-activation"),
    },
    textures: { a_tex: aTexture, b_tex: bTexture },
    uniforms: prepared,
    overrides: denseEpilogue(options),
  });
  return {
    label: options.label,
    kernel: matmulTextureForward.name,
    get uniforms() {
      return product.uniforms;
    },
    get workgroups() {
      return product.workgroups;
    },
    set(values) {
      const next = { ...product.uniforms, ...values };
      if (next.m > prepared.m || next.n > prepared.n || next.k > prepared.k) {
        throw new RangeError(
          `matmul ${options.label}: m=${next.m}, n=${next.n}, k=${next.k} outgrows the textures prepared ` +
            `for m=${prepared.m}, n=${prepared.n}, k=${prepared.k}; prepare the matmul again`,
        );
      }
      packA.set({ rows: next.m, cols: next.k });
      packB.set({ rows: next.k, cols: next.n });
      product.set(values);
    },
    encode(pass) {
      packA.encode(pass);
      packB.encode(pass);
      product.encode(pass);
    },
    release() {
      packA.release();
      packB.release();
      product.release();
      aTexture.destroy();
      bTexture.destroy();
    },
  };
}
