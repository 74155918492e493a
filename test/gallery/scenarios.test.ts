/**
 * The gallery (examples/scenarios/) as data: every scenario file loads with the real scenario
 * loader and data pipeline, declares valid expectations, and together they cover every finding code
 * a `run` can show, every example of the five seed articles, and at least ten healthy controls.
 * It also checks that the planted defects are really in the data (a gallery whose bugs silently
 * vanished would "pass" for the wrong reason). Training is not run here: `deno task diagnose` does.
 */
import { describe, expect, test } from "vitest";
import { rowClasses } from "../../src/data/classes.ts";
import { loadScenarioData, type ScenarioData } from "../../src/data/load.ts";
import { dirname, type FileSource, joinPath } from "../../src/io.ts";
import { FINDING_CODES, type FindingCode } from "../../src/report/types.ts";
import { loadScenario } from "../../src/scenario/load.ts";
import type { Scenario } from "../../src/scenario/types.ts";
import { makeDataFiles } from "../../examples/scenarios/data/make_data.ts";
import { galleryFiles } from "../helpers/gallery.ts";

const DIR = new URL("../../examples/scenarios/", import.meta.url).pathname;

/**
 * Codes a scenario cannot show: defects of a log made elsewhere or of fitcheck itself, and what only
 * the history-only audit reads from a log (the audit gallery, examples/audits/, expects those).
 */
const NOT_RUN_SHOWABLE: readonly FindingCode[] = [
  "loss-mismatch",
  "gpu-reference-divergence",
  "validation-better-than-training",
];

/** A FileSource over the real file system, kept here so the test depends on nothing but src/io.ts. */
const source: FileSource = {
  readText: (path) => Deno.readTextFile(path),
  readBytes: (path) => Deno.readFile(path),
  stream: async (path) => (await Deno.open(path, { read: true })).readable,
  resolve: (base, relative) => joinPath(dirname(base), relative),
};

// Model-file entries ("kind": "model") run as `run --model`: test/import/model_gallery.test.ts.
const files = galleryFiles("scenario");

interface Loaded {
  file: string;
  raw: Record<string, unknown>;
  scenario: Scenario;
  data: ScenarioData;
}

const loaded = new Map<string, Loaded>();
async function load(file: string): Promise<Loaded> {
  const hit = loaded.get(file);
  if (hit) return hit;
  const path = DIR + file;
  const raw = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
  const scenario = await loadScenario(path, source);
  const data = await loadScenarioData(scenario, source);
  const entry = { file, raw, scenario, data };
  loaded.set(file, entry);
  return entry;
}

function expected(s: Scenario): string[] {
  return s.expect?.findings ?? [];
}

async function byName(name: string): Promise<Loaded> {
  return await load(`${name}.json`);
}

function classCounts(d: ScenarioData["train"]): Map<number, number> {
  const classes = rowClasses(d);
  if (classes === null) throw new Error(`${d.source}: targets are not classes`);
  const counts = new Map<number, number>();
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return counts;
}

describe("every gallery scenario", () => {
  test("there is a gallery", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  test.each(files)("%s loads, names itself after its file, and expects valid codes", async (file) => {
    const { scenario, data } = await load(file);
    expect(scenario.name).toBe(file.slice(0, -".json".length));
    expect(scenario.description.length).toBeGreaterThan(40);
    expect(scenario.expect, "every gallery scenario declares expect.findings").toBeDefined();
    const codes = expected(scenario);
    for (const code of codes) expect(FINDING_CODES).toContain(code);
    for (const code of codes) expect(NOT_RUN_SHOWABLE).not.toContain(code);
    expect(new Set(codes).size).toBe(codes.length);
    // Small enough to train in seconds on a CPU WebGPU adapter.
    expect(scenario.training.epochs).toBeLessThanOrEqual(20);
    // The real datasets are used whole (digits has 1,797 rows: the tabular real-* CSVs and the
    // image digits_x.npy, scripts/make_digits.py); the synthetic ones stay at 1,000.
    const realImages = scenario.data.kind === "npy" && scenario.data.features.endsWith("digits_x.npy");
    const rowLimit = file.startsWith("real-") || realImages ? 1800 : 1000;
    expect(data.train.rows + (data.validation?.rows ?? 0)).toBeLessThanOrEqual(rowLimit);
    expect(
      Math.max(
        ...scenario.model.layers.map((
          l,
        ) => ("units" in l ? l.units : (l as { filters?: number }).filters ?? 0)),
      ),
    )
      .toBeLessThanOrEqual(256);
  });
});

describe("coverage", () => {
  test("every finding code a run can show is expected by at least one scenario", async () => {
    const covered = new Set<string>();
    for (const f of files) for (const c of expected((await load(f)).scenario)) covered.add(c);
    const missing = FINDING_CODES.filter((c) => !NOT_RUN_SHOWABLE.includes(c) && !covered.has(c));
    expect(missing).toEqual([]);
  });

  test("at least ten healthy controls, covering every task kind", async () => {
    const healthy: Loaded[] = [];
    for (const f of files) {
      const l = await load(f);
      if (expected(l.scenario).length === 0) healthy.push(l);
    }
    expect(healthy.length).toBeGreaterThanOrEqual(10);
    // The real-data gallery (scikit-learn's datasets): at least ten healthy and ten buggy setups.
    const real = [...loaded.values()].filter((l) => l.file.startsWith("real-"));
    expect(real.filter((l) => expected(l.scenario).length === 0).length).toBeGreaterThanOrEqual(10);
    expect(real.filter((l) => expected(l.scenario).length > 0).length).toBeGreaterThanOrEqual(10);
    const tasks = new Set(healthy.map((h) => h.data.task.task));
    expect([...tasks].sort()).toEqual(["binary", "multiclass", "multilabel", "regression"]);
    const kinds = new Set(healthy.map((h) => h.scenario.data.kind));
    for (const kind of ["csv", "npy", "generate"]) expect(kinds).toContain(kind);
    const optimizers = new Set(healthy.map((h) => h.scenario.optimizer.name));
    expect([...optimizers].sort()).toEqual(["adam", "rmsprop", "sgd"]);
  });

  test("every example of the five seed articles is re-expressed", () => {
    for (let article = 0; article <= 4; article++) {
      for (let example = 1; example <= 3; example++) {
        const prefix = `a${article}-ex${example}-`;
        expect(files.some((f) => f.startsWith(prefix)), `no scenario named ${prefix}*`).toBe(true);
      }
    }
  });

  test("the README lists every scenario with its expected findings", async () => {
    const readme = await Deno.readTextFile(DIR + "README.md");
    for (const f of files) {
      const { scenario } = await load(f);
      // Cells are trimmed: the formatter pads table columns.
      const row = readme.split("\n").find((line) => line.split("|")[1]?.trim() === `\`${scenario.name}\``);
      expect(row, `README row for ${scenario.name}`).toBeDefined();
      const codes = expected(scenario);
      if (codes.length === 0) expect(row).toContain("none (healthy)");
      for (const code of codes) expect(row).toContain(`\`${code}\``);
    }
  });
});

describe("the planted defects are in the data", () => {
  test("sorted labels with an unshuffled split give a one-class validation set", async () => {
    const { data } = await byName("a1-ex3-validation-split-of-sorted-labels");
    expect([...classCounts(data.validation!).keys()]).toEqual([1]);
    expect(classCounts(data.train).size).toBe(2);
  });

  test("stratifying keeps the 80/20 proportions (it balances nothing)", async () => {
    const { data } = await byName("a1-ex3-stratified-noise-features");
    const share = (d: ScenarioData["train"]) => classCounts(d).get(1)! / d.rows;
    expect(share(data.train)).toBeCloseTo(0.2, 2);
    expect(share(data.validation!)).toBeCloseTo(0.2, 2);
  });

  test("the unshuffled scenario trains on rows sorted by class", async () => {
    const { scenario, data } = await byName("unshuffled-sorted-training");
    expect(scenario.training.shuffle).toBe(false);
    let runs = 1;
    for (let i = 1; i < data.train.rows; i++) if (data.train.targets[i] !== data.train.targets[i - 1]) runs++;
    expect(runs).toBe(3);
  });

  test("missing values reach the training features", async () => {
    const { data } = await byName("a2-ex1-missing-values-not-imputed");
    const nan = data.train.features.filter((v) => Number.isNaN(v)).length;
    expect(nan / data.train.features.length).toBeGreaterThan(0.02);
  });

  test("the leaked column predicts the label alone", async () => {
    const { data } = await byName("a4-ex2-leaked-label-feature");
    const d = data.train;
    const column = d.featureNames.length - 1;
    const values = Array.from({ length: d.rows }, (_, i) => d.features[i * d.featureNames.length + column]);
    const threshold = (Math.min(...values) + Math.max(...values)) / 2;
    const agree = values.filter((v, i) => (v > threshold ? 1 : 0) === d.targets[i]).length;
    expect(agree / d.rows).toBeGreaterThan(0.99);
  });

  test("duplicated rows stand in both splits", async () => {
    const { data } = await byName("train-validation-overlap-duplicates");
    expect(data.duplicated.length).toBeGreaterThanOrEqual(30);
  });

  test("the standardized and one-based labels are not class indices 0..C-1", async () => {
    const standardized = (await byName("a0-ex3-standardized-class-labels")).data.train.targets;
    expect(new Set(standardized).size).toBe(2);
    expect([...standardized].some((v) => v < 0)).toBe(true);
    const oneBased = classCounts((await byName("labels-one-based-sparse-crossentropy")).data.train);
    expect([...oneBased.keys()].sort()).toEqual([1, 2, 3]);
  });

  test("imbalanced scenarios are imbalanced, the learnable control mildly so", async () => {
    const ratio = async (name: string) => {
      const counts = [...classCounts((await byName(name)).data.train).values()];
      return Math.max(...counts) / Math.min(...counts);
    };
    expect(await ratio("a1-ex1-imbalanced-noise-features")).toBeGreaterThanOrEqual(90);
    expect(await ratio("a3-ex1-rare-class-collapse")).toBeGreaterThanOrEqual(8);
    const mild = await ratio("healthy-imbalanced-learnable");
    expect(mild).toBeGreaterThan(2);
    expect(mild).toBeLessThan(8);
  });

  test("string class names map to indices", async () => {
    const { data } = await byName("healthy-csv-string-classes");
    expect(data.train.classNames).toEqual(["setosa", "versicolor", "virginica"]);
  });

  test("the house prices are large and the wide MAE target is wide", async () => {
    const mean = (d: ScenarioData["train"]) => d.targets.reduce((a, b) => a + b, 0) / d.rows;
    expect(mean((await byName("unscaled-regression-target-house-prices")).data.train)).toBeGreaterThan(1e5);
    const wide = (await byName("healthy-regression-wide-target-mae")).data.train.targets;
    expect(Math.max(...wide) - Math.min(...wide)).toBeGreaterThan(150);
  });
});

describe("module metrics carry the defects the articles describe", () => {
  const oneHot = (k: number) => [0, 1, 2].map((c) => (c === k ? 1 : 0));

  test("one-vs-rest agreement is not accuracy (article 003, example 3's arrays)", async () => {
    const m = (await import("../../examples/scenarios/metrics/one_vs_rest_accuracy.ts")).default;
    const truth = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
    const predicted = [0, 1, 0, 0, 1, 2, 0, 0, 2, 0];
    const yTrue = truth.map((k) => [k]);
    const yPred = predicted.map((k) => oneHot(k));
    // Accuracy is 0.8; the per-class agreements are 0.8, 0.9, 0.9, so their mean is 1 - 2 * 0.2 / 3.
    expect(m(yTrue, yPred)).toBeCloseTo(1 - (2 * 0.2) / 3, 12);
    expect(m(truth.map(oneHot), yPred)).toBeCloseTo(1 - (2 * 0.2) / 3, 12);
  });

  test("the hard-coded accuracy ignores the predictions", async () => {
    const m = (await import("../../examples/scenarios/metrics/always_one.ts")).default;
    expect(m([[0], [1]], [[0.9], [0.1]])).toBe(1);
    expect(m([[0], [1]], [[0.1], [0.9]])).toBe(1);
  });
});

describe("generated data files", () => {
  test("make_data.ts reproduces the committed files byte for byte", async () => {
    for (const f of makeDataFiles()) {
      const committed = await Deno.readFile(`${DIR}data/${f.name}`);
      expect(committed, f.name).toEqual(f.bytes);
    }
  });
});
