/**
 * The diagnosis budget (src/app/budget.ts): every gallery scenario is below the static bound (so it
 * trains exactly as without a budget, never calibrating, and its report has no `budget`); the sample
 * keeps each class's share, rare classes whole, the row order and the validation split; and a
 * generated 200,000 × 32 setup engages the budget and the report says what was trained. No timing is
 * asserted (the estimate's figures depend on the machine).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  mayExceedBudget,
  MIN_SAMPLE_ROWS,
  MIN_TRAIN_STEPS,
  planBudget,
  RARE_CLASS_ROWS,
  sampleTrainRows,
} from "../../src/app/budget.ts";
import { runScenario } from "../../src/app/run.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { rowClasses } from "../../src/data/classes.ts";
import { loadScenarioData } from "../../src/data/load.ts";
import { renderReport } from "../../src/report/terminal.ts";
import { loadScenario, parseScenario } from "../../src/scenario/load.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { galleryFiles } from "../helpers/gallery.ts";

afterAll(releaseTestContext);

const root = new URL("../../", import.meta.url).pathname;
const source = denoFileSource();
const noGpu = () => Promise.reject(new Error("the budget must not touch the GPU for a small run"));

/** A 64-64-1 MLP on generated blobs (binary), `rows` × 32, 20 % validation. */
function bigScenario(rows: number, extra: Record<string, unknown> = {}) {
  const json = {
    name: "budget-200k",
    seed: 3,
    data: {
      generate: { kind: "blobs", samples: rows, features: 32, classes: 2, spread: 3 },
      transforms: [{ op: "standardize-features" }],
    },
    validation: { fraction: 0.2, shuffle: true, stratify: true },
    model: {
      layers: [{ units: 64, activation: "relu" }, { units: 64, activation: "relu" }, {
        units: 1,
        activation: "sigmoid",
      }],
    },
    loss: "binary-crossentropy",
    optimizer: { name: "adam", learningRate: 0.001 },
    training: { epochs: 5, batchSize: 256, shuffle: true },
    metrics: ["accuracy"],
    ...extra,
  };
  return parseScenario(JSON.stringify(json), `${root}test/app/budget-200k.json`, source);
}

describe("small runs are untouched", () => {
  it("no gallery scenario reaches the static bound, so none calibrates or samples", async () => {
    const dir = `${root}examples/scenarios`;
    // Model-file entries ("kind": "model") are not scenarios: src/app/model_gallery.ts runs them.
    const names = galleryFiles("scenario");
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const scenario = await loadScenario(`${dir}/${name}`, source);
      const data = await loadScenarioData(scenario, source);
      expect(mayExceedBudget(scenario, data), name).toBe(false);
      const plan = await planBudget(scenario, data, { budgetS: 60, gpu: noGpu });
      expect(plan.data, name).toBe(data);
      expect(plan.report, name).toBeNull();
    }
  }, 120_000);
});

describe("the stratified sample", () => {
  it("keeps each class's share, a rare class whole, the order and the validation split", async () => {
    const scenario = bigScenario(20_000, {
      data: {
        generate: { kind: "blobs", samples: 20_000, features: 32, classes: 2, spread: 3 },
        transforms: [{ op: "imbalance", class: 1, keep: 0.01 }],
      },
    });
    const data = await loadScenarioData(scenario, source);
    const classes = rowClasses(data.train)!;
    const count = (c: Float64Array, k: number) => c.filter((v) => v === k).length;
    expect(count(classes, 1)).toBeLessThanOrEqual(RARE_CLASS_ROWS); // the imbalance made class 1 rare
    const sample = sampleTrainRows(scenario, data, 4000);
    const sampled = rowClasses(sample.data.train)!;
    expect(count(sampled, 1)).toBe(count(classes, 1));
    expect(Math.abs(count(sampled, 0) - 4000 * count(classes, 0) / classes.length)).toBeLessThanOrEqual(1);
    expect(sample.classes?.map((c) => c.of)).toEqual([count(classes, 0), count(classes, 1)]);
    expect(sample.data.validation).toBe(data.validation);
    expect(sample.data.targets.validation).toBe(data.targets.validation);
    expect(sample.data.targets.train.rows).toBe(sample.data.train.rows);
    // Rows keep their order and stay paired with their targets: each sampled row is a row of the original.
    const w = data.train.featureNames.length;
    const first = (d: typeof data.train, i: number) => d.features[i * w];
    const at = new Map<number, number>();
    for (let j = 0; j < data.train.rows; j++) at.set(first(data.train, j), j);
    const positions = Array.from(
      { length: sample.data.train.rows },
      (_, i) => at.get(first(sample.data.train, i))!,
    );
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
    for (let i = 0; i < positions.length; i += 97) {
      expect(sample.data.targets.train.values[i]).toBe(data.targets.train.values[positions[i]]);
    }
    // Seeded: the same sample again.
    expect(sampleTrainRows(scenario, data, 4000).data.train.features).toEqual(sample.data.train.features);
  });
});

describe("a 200,000 × 32 setup", () => {
  it("engages the budget, trains a sample, and the report and terminal say so", async () => {
    const ctx = await testContext();
    // The setup (5 epochs, batch 256); a 3 s budget (the default is 10 s; the floors of src/app/budget.ts hold it at 800 steps).
    const scenario = bigScenario(200_000);
    expect(mayExceedBudget(scenario, await loadScenarioData(scenario, source))).toBe(true);
    const report = await runScenario(scenario, { source, gpu: () => Promise.resolve(ctx), budget: 3 });
    const budget = report.budget!;
    expect(budget).toBeDefined();
    expect(budget.limitS).toBe(3);
    expect(budget.trained.ofTrainRows).toBe(160_000);
    expect(budget.trained.trainRows).toBeLessThan(160_000);
    expect(budget.trained.validationRows).toBe(40_000);
    expect(budget.trained.classes?.reduce((s, c) => s + c.rows, 0)).toBe(budget.trained.trainRows);
    expect(budget.estimatedFullS).toBeGreaterThan(3);
    // The floors hold however short the budget: enough rows and steps for the detectors and the model.
    expect(budget.trained.trainRows).toBeGreaterThanOrEqual(MIN_SAMPLE_ROWS);
    expect(budget.trained.epochs * Math.ceil(budget.trained.trainRows / 256)).toBeGreaterThanOrEqual(
      MIN_TRAIN_STEPS,
    );
    // The history is of the sample's training, the validation split evaluated whole.
    expect(report.history.length).toBe(budget.trained.epochs);
    expect(renderReport(report, { color: false, width: 100 })).toMatch(
      /budget 3 s: trained on \d+ of 160000 training rows/,
    );
    // --budget none: no section (the full run; not trained here, it would take minutes).
    const plan = await planBudget(scenario, await loadScenarioData(scenario, source), {
      budgetS: null,
      gpu: noGpu,
    });
    expect(plan.report).toBeNull();
  }, 240_000);
});
