/**
 * Matmul variants chosen by measurement (src/kernels/tuning.ts), runtime-neutral (Deno and Dawn): the
 * cache key names adapter, driver, runtime and version; the tuner measures a product class once and
 * answers from the cache afterwards, leaves small products and a spent budget to the rule. The cache
 * file is tested in test/cli/tuning_cache.test.ts; that the choice never changes a number of a run, in
 * test/app/matmul_choice.test.ts (and kernel by kernel in matmul.test.ts, "bit-identical variants").
 */
import { afterAll, describe, expect, it } from "vitest";
import type { AdapterIdentity } from "../../src/gpu/device.ts";
import { chooseMatmulVariant, matmulCandidates, packsPayOff } from "../../src/kernels/matmul.ts";
import {
  type MatmulProduct,
  MatmulTuner,
  MemoryTuningCache,
  MIN_TUNED_WORK,
  productClass,
  sharedTuningCache,
  tuningKey,
} from "../../src/kernels/tuning.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const IDENTITY: AdapterIdentity = {
  vendor: "65541",
  architecture: "",
  device: "0",
  description: "llvmpipe (LLVM 15.0.6, 256 bits)",
  runtime: "Deno/2.9.0",
};

describe("tuning cache keys", () => {
  it("differ by vendor, architecture, device, description (driver), runtime and fitcheck version", () => {
    const base = tuningKey(IDENTITY, "0.1.0");
    expect(tuningKey({ ...IDENTITY }, "0.1.0")).toBe(base);
    for (const field of ["vendor", "architecture", "device", "description", "runtime"] as const) {
      expect(tuningKey({ ...IDENTITY, [field]: IDENTITY[field] + "x" }, "0.1.0")).not.toBe(base);
    }
    expect(tuningKey(IDENTITY, "0.2.0")).not.toBe(base);
  });

  it("name product classes by shape and transposition", () => {
    expect(productClass({ m: 32, n: 64, k: 16 })).toBe("32x64x16");
    expect(productClass({ m: 32, n: 64, k: 16, transposeA: true })).toBe("32x64x16 tA");
    expect(productClass({ m: 32, n: 64, k: 16, transposeB: true })).not.toBe(
      productClass({ m: 32, n: 64, k: 16 }),
    );
  });
});

describe("MatmulTuner", () => {
  const product: MatmulProduct = { m: 128, n: 64, k: 64 }; // MIN_TUNED_WORK exactly

  it("measures a product class once, then answers from the cache", async () => {
    const ctx = await testContext();
    expect(ctx.identity).not.toBeNull();
    const cache = new MemoryTuningCache();
    const first = new MatmulTuner(ctx, { cache });
    const variant = await first.choose(product);
    expect(matmulCandidates(ctx, product)).toContain(variant);
    expect(first.measured).toEqual([productClass(product)]);
    expect(await first.choose(product)).toBe(variant);
    expect(first.measured).toHaveLength(1);
    const stored = (await cache.read(tuningKey(ctx.identity!)))![productClass(product)];
    expect(stored.variant).toBe(variant);
    expect(stored.rounds).toBeGreaterThanOrEqual(3);
    const second = new MatmulTuner(ctx, { cache });
    expect(await second.choose(product)).toBe(variant);
    expect(second.measured).toEqual([]);
  });

  it("tuners sharing a cache (the gallery's lanes) measure a class once and keep each other's classes", async () => {
    const ctx = await testContext();
    const shared = sharedTuningCache(new MemoryTuningCache());
    const lanes = [new MatmulTuner(ctx, { cache: shared }), new MatmulTuner(ctx, { cache: shared })];
    const other: MatmulProduct = { ...product, m: product.m * 2 };
    // Both lanes need both classes at once: each class is measured by one of them, in the exclusive
    // section, and the other reads its choice from the cache.
    const [a, b] = await Promise.all(
      lanes.map(async (t) => [await t.choose(product), await t.choose(other)]),
    );
    expect(a).toEqual(b);
    expect(lanes.flatMap((t) => t.measured).sort()).toEqual(
      [productClass(product), productClass(other)].sort(),
    );
    const stored = (await shared.read(tuningKey(ctx.identity!)))!;
    expect(Object.keys(stored).sort()).toEqual([productClass(product), productClass(other)].sort());
  });

  it("uses a cached choice as it is, and the rule once the budget is spent", async () => {
    const ctx = await testContext();
    const cache = new MemoryTuningCache();
    await cache.write(tuningKey(ctx.identity!), {
      [productClass(product)]: { variant: "blocked", medianMs: { blocked: 1 }, rounds: 3 },
    });
    expect(await new MatmulTuner(ctx, { cache }).choose(product)).toBe("blocked");
    const broke = new MatmulTuner(ctx, { cache: new MemoryTuningCache(), budgetMs: 0 });
    expect(await broke.choose(product)).toBe(chooseMatmulVariant(ctx.adapter, product));
    expect(broke.measured).toEqual([]);
  });

  it("measures against vec4 where the rule's texture choice does not fit the device's textures", async () => {
    const ctx = await testContext();
    const limit = ctx.device.limits.maxTextureDimension2D;
    const wide = { m: limit + 8, n: 64, k: 64 }; // >= 2^25 multiply-adds: the rule says texture
    expect(packsPayOff(wide)).toBe(true); // a CPU adapter's rule says texture
    expect(matmulCandidates(ctx, wide)).not.toContain("texture");
    const tuner = new MatmulTuner(ctx, { cache: new MemoryTuningCache() });
    expect(matmulCandidates(ctx, wide)).toContain(await tuner.choose(wide));
  });

  it("leaves products below MIN_TUNED_WORK to the rule, unmeasured", async () => {
    const ctx = await testContext();
    const tuner = new MatmulTuner(ctx, { cache: new MemoryTuningCache() });
    const small = { m: 32, n: 16, k: 8 };
    expect(small.m * small.n * small.k).toBeLessThan(MIN_TUNED_WORK);
    expect(await tuner.choose(small)).toBe(chooseMatmulVariant(ctx.adapter, small));
    expect(tuner.measured).toEqual([]);
  });
});
