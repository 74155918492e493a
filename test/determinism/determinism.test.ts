/**
 * Determinism (issue 8): the same scenario and seed on the same adapter give bit-identical GPU
 * results and the same report, timings aside.
 *
 * - (a) a gallery scenario and one that draws on every random source (generated data, label noise, a
 *   shuffled stratified split, shuffled batches, dropout; test/determinism/dropout-shuffle.json), each
 *   run twice through the real pipeline in one process: the reports are deeply equal once `timings`
 *   (totalMs, trainMs, diagnoseMs: the only wall-clock fields of a report) is deleted;
 * - (b) trainOnGpu twice on two fresh GpuContexts: step records, history, predictions and final
 *   weights equal as float32 bit patterns (NaN included); only `trainMs` is set aside;
 * - (c) a different seed, or only a different dropout seed, changes the result (so (a) and (b) can fail);
 * - (d) the CLI run twice as processes prints the same JSON, timings aside, and exits the same.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runScenarioFile } from "../../src/app/run.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { loadScenarioData } from "../../src/data/load.ts";
import { createGpuContext, type GpuContext } from "../../src/gpu/mod.ts";
import type { Report } from "../../src/report/types.ts";
import { loadScenario } from "../../src/scenario/load.ts";
import type { Scenario } from "../../src/scenario/types.ts";
import { trainingJob } from "../../src/train/job.ts";
import type { TrainingRecords } from "../../src/train/records.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const root = new URL("../../", import.meta.url).pathname;
const DROPOUT = `${root}test/determinism/dropout-shuffle.json`;
const GALLERY = `${root}examples/scenarios/insufficient-data-tiny-sample.json`;
const source = denoFileSource();

/** The report without its wall-clock fields. */
function withoutTimings(report: Report): Omit<Report, "timings"> {
  const { timings: _timings, ...rest } = report;
  return rest;
}

/**
 * Every number of `value` as float32 bits (the GPU's precision; the records hold float32 values
 * widened to float64, so this loses nothing), NaN and -0 included, with the path to each.
 */
function bitPatterns(value: unknown, path = "", out: string[] = []): string[] {
  const bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0].toString(16);
  if (typeof value === "number") out.push(`${path}=${bits(value)}`);
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    Array.from(value as unknown as ArrayLike<number>, (v, i) => out.push(`${path}[${i}]=${bits(v)}`));
  } else if (Array.isArray(value)) value.forEach((v, i) => bitPatterns(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) bitPatterns(v, `${path}.${k}`, out);
  } else out.push(`${path}=${String(value)}`);
  return out;
}

/** The first differing entry of two bit-pattern lists (a readable failure instead of a 10k-line diff). */
function firstDifference(a: string[], b: string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `${a[i]} vs ${b[i]}`;
  return null;
}

/** The records of one training of `scenario` on a fresh context, destroyed afterwards. */
async function trainFresh(
  scenario: Scenario,
  options: { dropoutSeed?: number } = {},
): Promise<TrainingRecords> {
  const data = await loadScenarioData(scenario, source);
  const job = trainingJob(scenario, data);
  const ctx: GpuContext = await createGpuContext({ label: "determinism" });
  try {
    return await trainOnGpu(ctx, {
      ...job,
      dropoutSeed: options.dropoutSeed ?? job.dropoutSeed,
      loss: scenario.loss,
      optimizer: scenario.optimizer,
    });
  } finally {
    ctx.destroy();
  }
}

/** What a training run computed: everything but the wall clock. */
function computed(records: TrainingRecords) {
  const { trainMs: _trainMs, ...rest } = records;
  return rest;
}

describe("determinism", () => {
  for (
    const [name, path, options] of [
      ["gallery insufficient-data-tiny-sample (8 epochs)", GALLERY, { epochs: 8 }],
      ["dropout, label noise, shuffled split and batches, with --verify", DROPOUT, { verify: true }],
    ] as const
  ) {
    it(`(a) ${name}: two runs in one process give the same report, timings aside`, async () => {
      const run = () => runScenarioFile(path, { source, gpu: testContext, ...options });
      const first = await run();
      const second = await run();
      expect(first.training).toMatchObject({ status: "completed" });
      expect(first.history.length).toBeGreaterThan(0);
      expect(withoutTimings(second)).toEqual(withoutTimings(first));
      // toEqual treats NaN as equal to NaN and -0 as 0; the bit patterns settle both.
      expect(firstDifference(bitPatterns(withoutTimings(second)), bitPatterns(withoutTimings(first))))
        .toBeNull();
    }, 300_000);
  }

  it(
    "(b) trainOnGpu on two fresh contexts: bit-identical steps, history, predictions and weights",
    async () => {
      const scenario = await loadScenario(DROPOUT, source);
      const first = await trainFresh(scenario);
      const second = await trainFresh(scenario);
      expect(first.phase.status).toBe("completed");
      expect(first.steps.length).toBe(first.stepsPerEpoch * scenario.training.epochs);
      for (const part of ["steps", "history", "predictions", "initialWeights", "finalWeights"] as const) {
        expect(firstDifference(bitPatterns(second[part]), bitPatterns(first[part])), part).toBeNull();
      }
      expect(firstDifference(bitPatterns(computed(second)), bitPatterns(computed(first)))).toBeNull();
    },
    300_000,
  );

  it("(c) another seed, or only another dropout seed, gives different weights and losses", async () => {
    const scenario = await loadScenario(DROPOUT, source);
    const base = await trainFresh(scenario);
    const reseeded = await trainFresh({ ...scenario, seed: scenario.seed + 1 });
    const redropped = await trainFresh(scenario, { dropoutSeed: 424242 });
    const finalBits = (r: TrainingRecords) => bitPatterns(r.finalWeights);
    const losses = (r: TrainingRecords) => r.steps.map((s) => s.loss);
    expect(firstDifference(finalBits(reseeded), finalBits(base))).not.toBeNull();
    expect(losses(reseeded)).not.toEqual(losses(base));
    // Same initial weights and batches, other masks: the first step's loss already differs.
    expect(bitPatterns(redropped.initialWeights)).toEqual(bitPatterns(base.initialWeights));
    expect(firstDifference(finalBits(redropped), finalBits(base))).not.toBeNull();
    expect(redropped.steps[0].loss).not.toBe(base.steps[0].loss);
  }, 300_000);

  it(
    "(d) `diagnose run --json --verify` twice as processes: the same stdout, timings aside, the same exit code",
    async () => {
      const cli = async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "src/cli/main.ts", "run", DROPOUT, "--json", "--verify"],
          cwd: root,
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        expect([0, 1], new TextDecoder().decode(out.stderr)).toContain(out.code);
        return { code: out.code, report: JSON.parse(text) as Report };
      };
      const first = await cli();
      const second = await cli();
      expect(second.code).toBe(first.code);
      expect(first.report.timings.totalMs).toBeGreaterThan(0);
      expect(withoutTimings(second.report)).toEqual(withoutTimings(first.report));
    },
    300_000,
  );
});
