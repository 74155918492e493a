/**
 * Matmul variants chosen by measurement (src/kernels/tuning.ts): the cache round-trips and is keyed by
 * adapter, driver and version; a corrupt cache file is ignored with a note; the tuner measures once
 * and answers from the cache afterwards; and the choice never changes a number: the same scenario
 * with every matmul variant forced gives the same report, timings aside.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runScenarioFile } from "../../src/app/run.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { FileTuningCache, TUNING_CACHE_FILE, tuningCacheDir } from "../../src/cli/tuning_cache.ts";
import type { AdapterIdentity } from "../../src/gpu/device.ts";
import { chooseMatmulVariant, matmulCandidates, type MatmulVariant } from "../../src/kernels/matmul.ts";
import {
  type MatmulProduct,
  MatmulTuner,
  MemoryTuningCache,
  MIN_TUNED_WORK,
  productClass,
  type TunedChoices,
  tuningKey,
} from "../../src/kernels/tuning.ts";
import type { Report } from "../../src/report/types.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const IDENTITY: AdapterIdentity = {
  vendor: "65541",
  architecture: "",
  device: "0",
  description: "llvmpipe (LLVM 15.0.6, 256 bits)",
  runtime: "Deno/2.9.0",
};
const CHOICES: TunedChoices = {
  "32x64x16": { variant: "texture", medianMs: { vec4: 0.2, texture: 0.1 }, rounds: 5 },
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

describe("FileTuningCache", () => {
  const temp = () => Deno.makeTempDirSync({ prefix: "fitcheck-tuning-" });

  it("round-trips per key and keeps the other keys", async () => {
    const dir = `${temp()}/fitcheck`; // not there yet: created at the first write
    const cache = new FileTuningCache(dir);
    expect(await cache.read("a")).toBeNull();
    await cache.write("a", CHOICES);
    await cache.write("b", { "1x2x3": { variant: "vec4", medianMs: { vec4: 1 }, rounds: 3 } });
    const again = new FileTuningCache(dir);
    expect(await again.read("a")).toEqual(CHOICES);
    expect((await again.read("b"))?.["1x2x3"].variant).toBe("vec4");
    expect(await again.read("c")).toBeNull();
    expect(JSON.parse(Deno.readTextFileSync(`${dir}/${TUNING_CACHE_FILE}`)).schema).toBe(
      "fitcheck.matmul-tuning/v1",
    );
  });

  for (
    const [what, text] of [
      ["not JSON", "{ truncated"],
      ["another schema", JSON.stringify({ schema: "other/v1", adapters: {} })],
      [
        "an unknown variant",
        JSON.stringify({
          schema: "fitcheck.matmul-tuning/v1",
          adapters: { a: { "1x1x1": { variant: "fastest", medianMs: {}, rounds: 3 } } },
        }),
      ],
    ]
  ) {
    it(`ignores a file holding ${what} with one note, then rewrites it`, async () => {
      const dir = temp();
      Deno.writeTextFileSync(`${dir}/${TUNING_CACHE_FILE}`, text);
      const notes: string[] = [];
      const cache = new FileTuningCache(dir, { note: (l) => notes.push(l) });
      expect(await cache.read("a")).toBeNull();
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain(`ignoring the tuning cache ${dir}/${TUNING_CACHE_FILE}`);
      await cache.write("a", CHOICES);
      expect(await new FileTuningCache(dir).read("a")).toEqual(CHOICES);
      expect(notes).toHaveLength(1); // the same problem is noted once
    });
  }

  it("notes, and does not throw, when the directory cannot be written", async () => {
    const dir = temp();
    Deno.writeTextFileSync(`${dir}/file`, "");
    const notes: string[] = [];
    const cache = new FileTuningCache(`${dir}/file/fitcheck`, { note: (l) => notes.push(l) });
    await cache.write("a", CHOICES);
    expect(notes.join("\n")).toContain("could not write the tuning cache");
  });

  it("lives in $XDG_CACHE_HOME/fitcheck, else ~/.cache/fitcheck", () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    expect(tuningCacheDir(env({ XDG_CACHE_HOME: "/x/cache/", HOME: "/home/u" }))).toBe("/x/cache/fitcheck");
    expect(tuningCacheDir(env({ XDG_CACHE_HOME: "relative", HOME: "/home/u" }))).toBe(
      "/home/u/.cache/fitcheck",
    );
    expect(tuningCacheDir(env({ HOME: "/home/u" }))).toBe("/home/u/.cache/fitcheck");
    expect(tuningCacheDir(env({}))).toBeNull();
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

  it("leaves products below MIN_TUNED_WORK to the rule, unmeasured", async () => {
    const ctx = await testContext();
    const tuner = new MatmulTuner(ctx, { cache: new MemoryTuningCache() });
    const small = { m: 32, n: 16, k: 8 };
    expect(small.m * small.n * small.k).toBeLessThan(MIN_TUNED_WORK);
    expect(await tuner.choose(small)).toBe(chooseMatmulVariant(ctx.adapter, small));
    expect(tuner.measured).toEqual([]);
  });
});

describe("the matmul choice never changes a number", () => {
  const root = new URL("../../", import.meta.url).pathname;
  const SCENARIO = `${root}test/determinism/dropout-shuffle.json`;
  const withoutTimings = ({ timings: _t, ...rest }: Report) => rest;

  it("the same report with every variant forced on every unfused product", async () => {
    const ctx = await testContext();
    const reports: ReturnType<typeof withoutTimings>[] = [];
    const used = new Map<MatmulVariant, number>();
    for (const forced of ["vec4", "blocked", "tiled", "texture"] as const) {
      ctx.matmulTuner = {
        choose: (p) => {
          const v = matmulCandidates(ctx, p).includes(forced) ? forced : "vec4";
          used.set(v, (used.get(v) ?? 0) + 1);
          return Promise.resolve(v);
        },
      };
      try {
        const report = await runScenarioFile(SCENARIO, {
          source: denoFileSource(),
          gpu: () => Promise.resolve(ctx),
        });
        reports.push(withoutTimings(report));
      } finally {
        ctx.matmulTuner = null;
      }
    }
    // Each variant really ran (the forward products of training and evaluation).
    for (const v of ["vec4", "blocked", "tiled", "texture"] as const) expect(used.get(v)).toBeGreaterThan(0);
    for (const r of reports.slice(1)) expect(r).toEqual(reports[0]);
  }, 120_000);
});
