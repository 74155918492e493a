/**
 * The matmul choice never changes a number (issue 20): the same scenario, run through the real
 * pipeline with each matmul variant forced on every unfused product, gives the same report, timings
 * aside. Kernel by kernel this is test/kernels/matmul.test.ts ("bit-identical variants"); here it is
 * a whole run: training, evaluation, records, float64 checks, findings.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createEngines } from "../../src/app/engines.ts";
import { runScenarioFile } from "../../src/app/run.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { matmulCandidates, type MatmulVariant } from "../../src/kernels/matmul.ts";
import { MatmulTuner, MemoryTuningCache } from "../../src/kernels/tuning.ts";
import type { Report } from "../../src/report/types.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

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

describe("the engines and --no-tune", () => {
  const root = new URL("../../", import.meta.url).pathname;
  const SCENARIO = `${root}test/determinism/dropout-shuffle.json`;

  it("a run tunes with the engines' cache unless it says tune: false; no cache, no tuner", async () => {
    const ctx = await testContext();
    const source = denoFileSource();
    const tuned = createEngines({
      createGpu: () => Promise.resolve(ctx),
      tuningCache: new MemoryTuningCache(),
    });
    await tuned.runScenario(SCENARIO, { source });
    const tuner = ctx.matmulTuner;
    expect(tuner).toBeInstanceOf(MatmulTuner);
    await tuned.runScenario(SCENARIO, { source, tune: false });
    expect(ctx.matmulTuner).toBeNull();
    await tuned.runScenario(SCENARIO, { source });
    expect(ctx.matmulTuner).toBe(tuner); // one tuner per context: its choices carry over
    const plain = createEngines({ createGpu: () => Promise.resolve(ctx) });
    await plain.runScenario(SCENARIO, { source });
    expect(ctx.matmulTuner).toBeNull();
  });
});
