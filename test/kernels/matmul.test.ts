/**
 * matmul_blocked_forward, matmul_vec4_forward, matmul_texture_forward (with matmul_pack_forward) and
 * matmul_tiled_forward against the float64 twins (reference/matmul.ts, reference/dense.ts,
 * reference/activations.ts), over awkward shapes, transposes and the fused epilogue; the four
 * variants against each other, bit for bit; and the per-adapter, per-shape choice between them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type GpuContext, readbackF32 } from "../../src/gpu/mod.ts";
import type { AdapterReport } from "../../src/report/types.ts";
import {
  blockNormCount,
  chooseMatmulVariant,
  matmulPackForward,
  matmulTextureForward,
  type MatmulVariant,
  matmulVec4Forward,
  packsPayOff,
  prepareMatmul,
} from "../../src/kernels/matmul.ts";
import { prepareKernel } from "../../src/kernels/kernel.ts";
import { activationBackwardKernel } from "../../src/kernels/dense.ts";
import { activate, type ElementwiseActivation } from "../../src/reference/activations.ts";
import { absolute, matmul, packTexels } from "../../src/reference/matmul.ts";
import { matrix } from "../../src/reference/matrix.ts";
import {
  describeKernel,
  describeKernels,
  randomF32,
  releaseTestContext,
  runOps,
  testContext,
} from "../helpers/gpu.ts";
import { expectClose, F32_U, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/matmul.test.ts");
  await releaseTestContext();
});

/** (m, n, k): 1, primes, 127, 257, 1000, widths that are not multiples of 4, of 8·4 or of 64, K = 0. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [5, 1, 13],
  [7, 11, 13],
  [3, 5, 0],
  [127, 3, 257],
  [257, 127, 5],
  [33, 65, 17],
  [1000, 10, 64],
  [64, 64, 64],
  // Multiples of 4 in some dimensions only: matmul_vec4_forward's vec4 loads of one operand, scalar
  // loads of the other, edge blocks (8×8 per invocation) and a K % 4 tail.
  [4, 4, 4],
  [12, 20, 8],
  [13, 20, 28],
  [20, 13, 28],
  [28, 12, 13],
  [256, 10, 256],
  [36, 44, 7],
];

/**
 * Lipschitz constant of each activation (bounds how the error of Z reaches Y) and its own error.
 * Own error, from the WGSL accuracy rules (exp within 3 + 2|x| ULP; ULP(v) <= 2^-23·|v|; division
 * 2.5 ULP; other ops correctly rounded, u = 2^-24):
 *  - linear, relu: exact; leaky: one product and ALPHA's rounding to f32, 2u|y|;
 *  - elu (z <= 0): α·e^z·(3 + 2|z|)·2^-23 from exp, + 2u|y| for the subtraction and the product;
 *  - sigmoid: e^{-|z|} relative (3 + 2|z|)·2^-23, 1 + e rounds (u), division 2.5·2^-23: (6 + 2|z|)·2^-23·|y|;
 *  - tanh: "inherited from sinh/cosh" = (e^x - e^-x)/(e^x + e^-x): exp's error relative to e^{|z|}
 *    makes an absolute error ~ (3 + 2|z|)·2^-23 near 0 (the cancellation), bounded by 2^-19 for
 *    |z| <= 10 where tanh is not yet saturated, plus 8 ULP relative.
 */
function activationError(activation: ElementwiseActivation, z: number, y: number, alpha: number): number {
  const ulp = 2 ** -23;
  switch (activation) {
    case "linear":
    case "relu":
      return 0;
    case "leaky-relu":
      return 2 * F32_U * Math.abs(y);
    case "elu":
      return z > 0 ? 0 : alpha * Math.exp(z) * (3 + 2 * Math.abs(z)) * ulp + 2 * F32_U * Math.abs(y);
    case "sigmoid":
      return (6 + 2 * Math.abs(z)) * ulp * Math.abs(y);
    case "tanh":
      return Math.min(2 ** -19, (3 + 2 * Math.abs(z)) * ulp) + 8 * ulp * Math.abs(y);
  }
}
const LIPSCHITZ = { linear: 1, relu: 1, "leaky-relu": 1, elu: 1, sigmoid: 0.25, tanh: 1 };

interface Case {
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  activation?: ElementwiseActivation;
  alpha?: number;
  scale?: number;
}

/** The text of WGSL function `name` in `code`, from `fn name(` to its closing brace's line. */
function wgslFunction(code: string, name: string): string {
  const start = code.indexOf(`fn ${name}(`);
  return code.slice(start, code.indexOf("\n}\n", start));
}

async function check(ctx: GpuContext, variant: MatmulVariant, c: Case, tag: string) {
  const { m, n, k } = c;
  const scale = c.scale ?? 1;
  const aData = randomF32(`a ${tag}`, m * k, { scale });
  const bData = randomF32(`b ${tag}`, k * n, { scale });
  const biasData = randomF32(`bias ${tag}`, n, { scale });
  const a = ctx.upload("a", aData);
  const b = ctx.upload("b", bData);
  const bias = c.bias ? ctx.upload("bias", biasData) : undefined;
  const y = ctx.storage("y", m * n);
  const z = ctx.storage("z", m * n);
  const activation = c.activation ?? "linear";
  const alpha = c.alpha ?? (activation === "elu" ? 1 : 0.2);
  const op = await prepareMatmul(ctx, {
    label: tag,
    a,
    b,
    bias,
    y,
    z,
    m,
    n,
    k,
    transposeA: c.transposeA,
    transposeB: c.transposeB,
    activation,
    activationParameter: alpha,
    variant,
  });
  const [gpuY, gpuZ] = await runOps(ctx, [op], [y, z], { byteLengths: [m * n * 4, m * n * 4] });
  const A = matrix(c.transposeA ? k : m, c.transposeA ? m : k, aData);
  const B = matrix(c.transposeB ? n : k, c.transposeB ? k : n, bData);
  const opts = { transposeA: c.transposeA, transposeB: c.transposeB };
  const refZ = matmul(A, B, opts);
  // Error scale of each dot product: Σ_k |a_ik||b_kj| (+ |bias_j|), Higham's bound with gamma_{K+1}.
  const absZ = matmul(absolute(A), absolute(B), opts);
  if (c.bias) {
    for (let i = 0; i < m * n; i++) {
      refZ.data[i] += biasData[i % n];
      absZ.data[i] += Math.abs(biasData[i % n]);
    }
  }
  const zTol = absZ.data.map((s) => gamma(k + 1) * s);
  expectClose(gpuZ, refZ.data, { atol: zTol, rtol: 0 }, { label: `${tag} Z`, family: "matmul" });
  const refY = refZ.data.map((v) => activate(v, activation, alpha));
  const yTol = refY.map((v, i) =>
    LIPSCHITZ[activation] * zTol[i] + activationError(activation, refZ.data[i], v, alpha)
  );
  expectClose(gpuY, refY, { atol: yTol, rtol: 0 }, {
    label: `${tag} Y`,
    family: `dense forward ${activation}`,
  });
  for (const buffer of [a, b, y, z, ...(bias ? [bias] : [])]) ctx.pool.release(buffer);
  op.release();
}

describeKernel("matmul_blocked_forward", () => matmulCases("blocked"));
describeKernel("matmul_tiled_forward", () => matmulCases("tiled"));
describeKernel("matmul_vec4_forward", () => {
  matmulCases("vec4");

  it("large: 1024×1024 · 1024×1024", async () => {
    await check(await testContext(), "vec4", { m: 1024, n: 1024, k: 1024 }, "vec4 1024");
  });

  it("its derivative block is activation_backward.wgsl's, character for character", () => {
    expect(wgslFunction(matmulVec4Forward.code, "derivative").length).toBeGreaterThan(100);
    expect(wgslFunction(matmulVec4Forward.code, "derivative"))
      .toBe(wgslFunction(activationBackwardKernel.code, "derivative"));
  });

  for (
    const [m, n, k, transposeA] of [[1, 1, 1, false], [13, 20, 28, true], [64, 256, 37, true], [
      9,
      10,
      4,
      false,
    ]] as const
  ) {
    it(`block norms of ${m}×${n} (k ${k}): each is the L2 norm of its 8×8 block of Y`, async () => {
      const ctx = await testContext();
      const a = ctx.upload("a", randomF32(`bn a ${m}`, m * k)),
        b = ctx.upload("b", randomF32(`bn b ${m}`, k * n));
      const y = ctx.storage("y", m * n), count = blockNormCount(m, n), norms = ctx.storage("norms", count);
      const op = await prepareMatmul(ctx, {
        label: "block norms",
        a,
        b,
        y,
        m,
        n,
        k,
        transposeA,
        blockNorms: norms,
        variant: "vec4",
      });
      const [gy, gn] = await runOps(ctx, [op], [y, norms], { byteLengths: [m * n * 4, count * 4] });
      const cols = Math.ceil(n / 8);
      const ref = new Float64Array(count);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) ref[Math.floor(i / 8) * cols + Math.floor(j / 8)] += gy[i * n + j] ** 2;
      }
      // 64 f32 squares summed (gamma_64 relative, the squares' own rounding included) and one sqrt
      // (1 ULP): relative error <= (gamma_64 / 2 + 2^-23) on the norm.
      const rtol = gamma(64) / 2 + 2 ** -23;
      expectClose(gn, ref.map(Math.sqrt), { atol: 0, rtol }, { label: `block norms ${m}×${n}` });
      op.release();
      for (const buffer of [a, b, y, norms]) ctx.pool.release(buffer);
    });
  }

  it("fused epilogues are refused by the other variants", async () => {
    const ctx = await testContext();
    const a = ctx.storage("a", 16), y = ctx.storage("y", 16), z = ctx.storage("z", 16);
    await expect(
      prepareMatmul(ctx, { label: "g", a, b: a, y, z, m: 4, n: 4, k: 4, gradient: true, variant: "blocked" }),
    )
      .rejects.toThrow(/vec4 variant/);
    for (const buffer of [a, y, z]) ctx.pool.release(buffer);
  });

  it("set() that would change which operands are read as vec4 throws", async () => {
    const ctx = await testContext();
    const a = ctx.storage("a", 16 * 8), b = ctx.storage("b", 8 * 8), y = ctx.storage("y", 16 * 8);
    const op = await prepareMatmul(ctx, { label: "vec4 set", a, b, y, m: 16, n: 8, k: 8, variant: "vec4" });
    op.set({ m: 3 }); // m is not a contiguous dimension here
    expect(() => op.set({ k: 7 })).toThrow(/prepare the matmul again/);
    expect(op.uniforms.k).toBe(8);
    for (const buffer of [a, b, y]) ctx.pool.release(buffer);
    op.release();
  });
});

describeKernel("matmul_texture_forward", () => {
  matmulCases("texture");

  it("large: 1024×1024 · 1024×1024 (the shape the default choice packs)", async () => {
    await check(await testContext(), "texture", { m: 1024, n: 1024, k: 1024 }, "texture 1024");
  });

  it("its multiply-add blocks are matmul_vec4_forward's, character for character (same bits by design)", () => {
    for (const name of ["mac4", "mac1"]) {
      expect(wgslFunction(matmulTextureForward.code, name).length).toBeGreaterThan(100);
      expect(wgslFunction(matmulTextureForward.code, name)).toBe(wgslFunction(matmulVec4Forward.code, name));
    }
  });

  it("fused backward epilogues are refused", async () => {
    const ctx = await testContext();
    const a = ctx.storage("a", 16), y = ctx.storage("y", 16), z = ctx.storage("z", 16);
    await expect(
      prepareMatmul(ctx, { label: "g", a, b: a, y, z, m: 4, n: 4, k: 4, gradient: true, variant: "texture" }),
    ).rejects.toThrow(/vec4 variant/);
    for (const buffer of [a, y, z]) ctx.pool.release(buffer);
  });

  it("set() may shrink the prepared shape but not grow it (the textures are sized for it)", async () => {
    const ctx = await testContext();
    const a = ctx.storage("a", 16 * 8), b = ctx.storage("b", 8 * 8), y = ctx.storage("y", 16 * 8);
    const op = await prepareMatmul(ctx, { label: "tex set", a, b, y, m: 16, n: 8, k: 8, variant: "texture" });
    op.set({ m: 3, k: 5 });
    expect(() => op.set({ n: 9 })).toThrow(/prepare the matmul again/);
    expect(op.uniforms).toEqual({ m: 3, n: 8, k: 5 });
    for (const buffer of [a, b, y]) ctx.pool.release(buffer);
    op.release();
  });
});

describeKernel("matmul_pack_forward", () => {
  // (rows, cols): 1, primes, a partial last texel, and several texels per row.
  const shapes: [number, number][] = [[1, 1], [1, 7], [5, 1], [7, 13], [13, 4], [33, 65], [64, 257]];
  for (const [rows, cols] of shapes) {
    for (const transpose of [false, true]) {
      it(`${rows}×${cols}, transpose ${transpose}: texels hold the values exactly, zeros past the last column`, async () => {
        const ctx = await testContext();
        const data = randomF32(`pack ${rows} ${cols} ${transpose}`, rows * cols);
        const x = ctx.upload("x", data);
        const width = Math.ceil(cols / 4);
        const texture = ctx.device.createTexture({
          label: "packed",
          size: [width, rows],
          format: "rgba32float",
          usage: 0x08 /* STORAGE_BINDING */ | 0x01, /* COPY_SRC */
        });
        const op = await prepareKernel(ctx, matmulPackForward, {
          label: "pack",
          buffers: { x },
          textures: { packed: texture },
          uniforms: { rows, cols },
          overrides: { TRANSPOSE: transpose ? 1 : 0 },
        });
        // Texture rows are copied out at a pitch that is a multiple of 256 bytes (WebGPU's rule).
        const pitch = Math.ceil((width * 16) / 256) * 256;
        const out = ctx.storage("texels", (pitch / 4) * rows);
        ctx.submit("pack", (pass) => op.encode(pass));
        const encoder = ctx.device.createCommandEncoder();
        encoder.copyTextureToBuffer({ texture }, { buffer: out, bytesPerRow: pitch }, [width, rows]);
        ctx.device.queue.submit([encoder.finish()]);
        const [texels] = await readbackF32(ctx, [out]);
        const got = new Float32Array(rows * width * 4);
        for (let r = 0; r < rows; r++) {
          got.set(texels.subarray((r * pitch) / 4, (r * pitch) / 4 + width * 4), r * width * 4);
        }
        // X is stored cols×rows when transposed: the twin takes the stored matrix.
        const stored = transpose ? matrix(cols, rows, data) : matrix(rows, cols, data);
        expect(Array.from(got)).toEqual(Array.from(packTexels(stored, transpose)));
        op.release();
        texture.destroy();
        for (const buffer of [x, out]) ctx.pool.release(buffer);
      });
    }
  }
});

describe("the matmul variant for an adapter and a product", () => {
  const cpu = { description: "llvmpipe (LLVM 15.0.6, 256 bits)", isFallbackAdapter: false } as AdapterReport;
  const gpu = { description: "NVIDIA H100", isFallbackAdapter: false } as AdapterReport;
  it("hardware adapters tile through workgroup memory whatever the shape", () => {
    expect(chooseMatmulVariant(gpu)).toBe("tiled");
    expect(chooseMatmulVariant(gpu, { m: 1024, n: 1024, k: 1024 })).toBe("tiled");
  });
  it("CPU adapters pack large products into textures, and keep vec4 for small and fused ones", () => {
    expect(chooseMatmulVariant(cpu)).toBe("vec4");
    expect(chooseMatmulVariant(cpu, { m: 1024, n: 1024, k: 1024 })).toBe("texture");
    expect(chooseMatmulVariant(cpu, { m: 1024, n: 1024, k: 1024, fused: true })).toBe("vec4");
    // The MLP training step's products (batch 256, widths 64..256) stay unpacked.
    expect(chooseMatmulVariant(cpu, { m: 256, n: 256, k: 256 })).toBe("vec4");
    expect(chooseMatmulVariant(cpu, { m: 4096, n: 8, k: 4096 })).toBe("vec4");
    expect(packsPayOff({ m: 384, n: 384, k: 384 })).toBe(true);
    expect(packsPayOff({ m: 256, n: 256, k: 256 })).toBe(false);
  });
});

/**
 * Determinism across variants: every variant computes each output as the same f32 operations in the
 * same order (acc + a·b over k, then + bias, then the activation), so on one adapter they must agree
 * bit for bit. If a compiler contracted differently in one kernel this would show it, and the
 * per-adapter choice (chooseMatmulVariant) would then be the only thing keeping results stable.
 */
describeKernels(
  ["matmul_blocked_forward", "matmul_vec4_forward", "matmul_texture_forward", "matmul_tiled_forward"],
  "bit-identical variants",
  () => {
    const cases: Case[] = [
      { m: 67, n: 36, k: 40, bias: true, activation: "relu" },
      { m: 40, n: 44, k: 67, transposeA: true, bias: true, activation: "tanh" },
      { m: 33, n: 24, k: 28, transposeB: true },
      { m: 24, n: 28, k: 31, transposeA: true, transposeB: true, bias: true, activation: "sigmoid" },
      { m: 9, n: 7, k: 5 },
    ];
    for (const c of cases) {
      it(`${c.m}×${c.k} · ${c.k}×${c.n}, transposeA ${!!c.transposeA}, transposeB ${!!c.transposeB}`, async () => {
        const ctx = await testContext();
        const a = ctx.upload("a", randomF32(`same a ${c.m}`, c.m * c.k));
        const b = ctx.upload("b", randomF32(`same b ${c.m}`, c.k * c.n));
        const bias = ctx.upload("bias", randomF32(`same bias ${c.m}`, c.n));
        const outputs: Uint32Array[] = [];
        for (const variant of ["blocked", "vec4", "tiled", "texture"] as const) {
          const y = ctx.storage("y", c.m * c.n), z = ctx.storage("z", c.m * c.n);
          const op = await prepareMatmul(ctx, {
            ...c,
            label: `same ${variant}`,
            a,
            b,
            y,
            z,
            bias: c.bias ? bias : undefined,
            variant,
          });
          const [gy, gz] = await runOps(ctx, [op], [y, z], { byteLengths: [c.m * c.n * 4, c.m * c.n * 4] });
          outputs.push(new Uint32Array(gy.buffer, gy.byteOffset, gy.length));
          outputs.push(new Uint32Array(gz.buffer, gz.byteOffset, gz.length));
          op.release();
          ctx.pool.release(y);
          ctx.pool.release(z);
        }
        expect(outputs[2]).toEqual(outputs[0]);
        expect(outputs[3]).toEqual(outputs[1]);
        expect(outputs[4]).toEqual(outputs[0]);
        expect(outputs[5]).toEqual(outputs[1]);
        expect(outputs[6]).toEqual(outputs[0]);
        expect(outputs[7]).toEqual(outputs[1]);
        for (const buffer of [a, b, bias]) ctx.pool.release(buffer);
      });
    }
  },
);

function matmulCases(variant: MatmulVariant) {
  for (const [m, n, k] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`${m}×${k} · ${k}×${n}, transposeA ${transposeA}, transposeB ${transposeB}`, async () => {
          await check(
            await testContext(),
            variant,
            { m, n, k, transposeA, transposeB },
            `${variant} ${m} ${n} ${k} ${transposeA} ${transposeB}`,
          );
        });
      }
    }
  }

  for (const activation of ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"] as const) {
    it(`fused bias + ${activation}, pre-activations up to ±12`, async () => {
      // Inputs of scale 1.2 over K = 19 give |z| up to ~12: the tails of sigmoid/tanh/elu are exercised.
      await check(
        await testContext(),
        variant,
        { m: 37, n: 29, k: 19, bias: true, activation, scale: 1.2 },
        `${variant} ${activation}`,
      );
    });
  }

  it("leaky-relu with a non-default slope and elu with alpha 0.5", async () => {
    const ctx = await testContext();
    await check(
      ctx,
      variant,
      { m: 9, n: 6, k: 5, bias: true, activation: "leaky-relu", alpha: 0.3 },
      `${variant} leaky 0.3`,
    );
    await check(
      ctx,
      variant,
      { m: 9, n: 6, k: 5, bias: true, activation: "elu", alpha: 0.5 },
      `${variant} elu 0.5`,
    );
  });

  it("large: 512×512 · 512×512", async () => {
    await check(await testContext(), variant, { m: 512, n: 512, k: 512 }, `${variant} large`);
  });

  it("a partial batch: set({ m }) changes the rows without re-preparing", async () => {
    const ctx = await testContext();
    const aData = randomF32("partial a", 10 * 3);
    const bData = randomF32("partial b", 3 * 4);
    const a = ctx.upload("a", aData);
    const b = ctx.upload("b", bData);
    const y = ctx.upload("y", new Float32Array(40).fill(-7));
    const op = await prepareMatmul(ctx, { label: "partial", a, b, y, m: 10, n: 4, k: 3, variant });
    op.set({ m: 3 });
    const [gpu] = await runOps(ctx, [op], [y], { byteLengths: [160] });
    const ref = matmul(matrix(10, 3, aData), matrix(3, 4, bData));
    expectClose(gpu.subarray(0, 12), ref.data.subarray(0, 12), { atol: gamma(3) * 3, rtol: 0 }, {
      label: "partial",
    });
    expect(Array.from(gpu.subarray(12))).toEqual(new Array(28).fill(-7));
  });

  it("propagates NaN and Inf from the inputs", async () => {
    const ctx = await testContext();
    const aData = new Float32Array([1, NaN, 2, 3, Infinity, 1]); // 3×2
    const bData = new Float32Array([1, 2, 3, 4]); // 2×2
    const a = ctx.upload("a", aData);
    const b = ctx.upload("b", bData);
    const y = ctx.storage("y", 6);
    for (const activation of ["relu", "sigmoid", "tanh"] as const) {
      const op = await prepareMatmul(ctx, { label: "nan", a, b, y, m: 3, n: 2, k: 2, activation, variant });
      const [gpu] = await runOps(ctx, [op], [y], { byteLengths: [24] });
      const ref = matmul(matrix(3, 2, aData), matrix(2, 2, bData)).data.map((v) => activate(v, activation));
      expectClose(gpu, ref, { atol: 1e-6, rtol: 1e-6 }, { label: `NaN/Inf through ${activation}` });
      expect(Number.isNaN(gpu[0])).toBe(true);
      op.release();
    }
  });
}
