/** Each data detector on the data it is for, with the evidence it must carry. */
import { describe, expect, it } from "vitest";
import { diagnoseData, remedyOf } from "../../src/diagnose/mod.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { pendingClaim, testGap } from "../../src/diagnose/claims.ts";
import type { Finding } from "../../src/report/types.ts";
import type { Task } from "../../src/scenario/types.ts";
import {
  addFeature,
  blobs,
  linear,
  mapColumn,
  rng,
  scenario,
  type ScenarioOptions,
  sortByTarget,
  split,
  taskInfo,
} from "./_fixtures.ts";

function data(task: Task, train: Dataset, validation: Dataset | null = null, o?: ScenarioOptions): Finding[] {
  return diagnoseData({ train, validation, task: taskInfo(task), scenario: o ? scenario(o) : undefined });
}

function find(findings: Finding[], code: string): Finding {
  const f = findings.find((x) => x.code === code);
  expect(f, `${code} not in ${JSON.stringify(findings.map((x) => x.code))}`).toBeDefined();
  return f!;
}

const codes = (fs: Finding[]) => fs.map((f) => f.code);
const softmax3: ScenarioOptions = {
  units: 3,
  activation: "softmax",
  loss: "sparse-categorical-crossentropy",
};

describe("data detectors", () => {
  it("standardized class labels: labels-not-class-indices with values, mean, std and the mapping", () => {
    const raw = blobs(rng("std"), { rows: 300, classes: 3 });
    const m = 1, s = Math.sqrt(2 / 3); // labels 0,1,2 in equal thirds
    const train = mapColumn(raw, "targets", 0, (v) => (v - m) / s);
    const f = find(data("multiclass", train, null, softmax3), "labels-not-class-indices");
    expect(f.severity).toBe("error");
    expect(f.evidence.mean as number).toBeCloseTo(0, 1);
    expect(f.evidence.std as number).toBeCloseTo(1, 1);
    expect(String(f.evidence.looksLike)).toContain("standardized");
    expect(remedyOf(f)).toEqual({
      kind: "fix-labels",
      mapping: [{ from: -1 / s, to: 0 }, { from: 0, to: 1 }, { from: 1 / s, to: 2 }],
    });
  });

  it("1-based labels: an error when the top label overflows the output, a warning without a model", () => {
    const train = mapColumn(blobs(rng("1b"), { rows: 300, classes: 3 }), "targets", 0, (v) => v + 1);
    expect(find(data("multiclass", train, null, softmax3), "labels-not-class-indices").severity).toBe(
      "error",
    );
    expect(find(data("multiclass", train), "labels-not-class-indices").severity).toBe("warning");
  });

  it("NaN and Inf are counted per column with the first row", () => {
    const train = mapColumn(
      blobs(rng("nan"), { rows: 100, classes: 2 }),
      "features",
      1,
      (v, r) => (r === 7 ? NaN : r === 9 ? Infinity : v),
    );
    const f = find(data("binary", train), "non-finite-data");
    expect(f.evidence.firstNonFinite).toEqual({ split: "train", row: 8, column: "x1" });
    expect((f.evidence.columns as Array<Record<string, unknown>>)[0]).toMatchObject({ nan: 1, posInf: 1 });
  });

  it("unscaled features: large magnitude and disparate scales, with a per-column table", () => {
    const raw = blobs(rng("sc"), { rows: 300, classes: 2, features: 3 });
    const big = mapColumn(raw, "features", 0, (v) => 1000 * v + 50000);
    const f = find(data("binary", big), "unscaled-features");
    expect(f.evidence.largestRms as number).toBeGreaterThan(1000);
    expect(remedyOf(f)).toEqual({ kind: "standardize-features" });
    const tiny = mapColumn(raw, "features", 1, (v) => v / 1000);
    expect(find(data("binary", tiny), "unscaled-features").evidence.stdRatio as number).toBeGreaterThan(100);
  });

  it("unscaled regression target under mse, quiet under mae", () => {
    const train = linear(rng("ut"), { rows: 300, scale: 1000, offset: 5000 });
    const f = find(
      data("regression", train, null, { units: 1, activation: "linear", loss: "mse" }),
      "unscaled-regression-target",
    );
    expect(f.evidence.lossOfZeroPrediction as number).toBeGreaterThan(1e6);
    expect(codes(data("regression", train, null, { units: 1, activation: "linear", loss: "mae" }))).not
      .toContain("unscaled-regression-target");
  });

  it("class imbalance: 1:20 is a warning with counts; 1:3 is quiet", () => {
    const heavy = blobs(rng("imb"), { rows: 420, classes: 2, weights: [20, 1] });
    const f = find(data("binary", heavy), "class-imbalance");
    expect(f.severity).toBe("warning");
    expect(f.evidence.counts).toEqual([400, 20]);
    const mild = blobs(rng("imb3"), { rows: 400, classes: 2, weights: [3, 1] });
    expect(codes(data("binary", mild))).not.toContain("class-imbalance");
  });

  it("leakage: a copy of the label (plus 0.01 noise) is an error naming the column and its accuracy", () => {
    const r = rng("leak");
    const train = addFeature(
      blobs(r, { rows: 300, classes: 3, spread: 1 }),
      "leak",
      (t) => t[0] + 0.01 * r.normal(),
    );
    const f = find(data("multiclass", train), "feature-label-leakage");
    expect(f.severity).toBe("error");
    const leak = (f.evidence.leakingColumns as Array<Record<string, unknown>>)[0];
    expect(leak.column).toBe("leak");
    expect(leak.accuracyAlone).toBe(1);
    expect(remedyOf(f)).toEqual({ kind: "drop-feature", columns: ["leak"] });
  });

  it("leakage is not claimed on tiny data where a random column could match by chance", () => {
    // The article's 4-row example: the column equals the label, but 4 coin flips match 1 time in 16.
    const train: Dataset = {
      features: Float64Array.from([1, 0, 0, 1, 1, 0, 0, 1]),
      targets: Float64Array.from([0, 1, 0, 1]),
      rows: 4,
      featureNames: ["a", "b"],
      targetNames: ["y"],
      source: "inline",
    };
    expect(codes(data("binary", train))).not.toContain("feature-label-leakage");
  });

  it("leakage in regression: an affine copy of the target", () => {
    const raw = linear(rng("rl"), { rows: 300 });
    const train = addFeature(raw, "copy", (t) => 2 * t[0] + 1);
    expect(find(data("regression", train), "feature-label-leakage").severity).toBe("error");
  });

  it("train-validation overlap: duplicated rows are an error; naturally discrete data is only a note", () => {
    const all = blobs(rng("ov"), { rows: 400, classes: 2 });
    const { train, validation } = split(all, 0.2, rng("ovs"));
    const dup: Dataset = {
      ...validation,
      features: Float64Array.from([
        ...train.features.subarray(0, 40 * 2),
        ...validation.features.subarray(40 * 2),
      ]),
      targets: Float64Array.from([...train.targets.subarray(0, 40), ...validation.targets.subarray(40)]),
    };
    const f = find(data("binary", train, dup), "train-validation-overlap");
    expect(f.severity).toBe("error");
    expect(f.evidence.overlappingRows).toBe(40);
    // Four possible feature rows: repeats are the nature of the data.
    const grid = mapColumn(
      mapColumn(all, "features", 0, (v) => (v > 0 ? 1 : 0)),
      "features",
      1,
      (v) => (v > 0 ? 1 : 0),
    );
    const g = split(grid, 0.2, rng("g"));
    expect(find(data("binary", g.train, g.validation), "train-validation-overlap").severity).toBe("info");
  });

  it("split shift: a class missing from validation is an error with counts and χ²", () => {
    const sorted = sortByTarget(blobs(rng("sh"), { rows: 300, classes: 3 }));
    const { train, validation } = split(sorted, 0.2);
    const f = find(data("multiclass", train, validation), "split-distribution-shift");
    expect(f.severity).toBe("error");
    expect(f.evidence.missingInValidation).toEqual([0, 1]);
    expect(f.evidence.pValue as number).toBeLessThan(1e-6);
  });

  it("unshuffled data: an error when training does not shuffle, with single-class batches", () => {
    const sorted = sortByTarget(blobs(rng("us"), { rows: 300, classes: 3 }));
    const f = find(
      data("multiclass", sorted, null, { ...softmax3, shuffle: false, validation: null }),
      "unshuffled-data",
    );
    expect(f.severity).toBe("error");
    expect(f.evidence.labelChanges).toBe(2);
    expect(f.evidence.singleClassBatches as number).toBeGreaterThan(5);
    expect(remedyOf(f)).toEqual({ kind: "shuffle" });
    // Shuffled training and no unshuffled split: sorted storage order is harmless.
    expect(codes(data("multiclass", sorted, null, { ...softmax3, validation: null }))).not.toContain(
      "unshuffled-data",
    );
    // Data mode: whether training keeps the order is unknown, so the harm is an untested note.
    const noted = find(data("multiclass", sorted), "unshuffled-data");
    expect(noted.severity).toBe("info");
    expect((noted.evidence.claim as { tested: boolean }).tested).toBe(false);
  });

  it("label noise: 30% flipped labels are confidently contradicted by their neighbours", () => {
    const r = rng("ln");
    const clean = blobs(r, { rows: 600, classes: 2, spread: 4 });
    const noisy = mapColumn(clean, "targets", 0, (v) => (r.next() < 0.3 ? 1 - v : v));
    const f = find(data("binary", noisy), "label-noise");
    expect(f.severity).toBe("warning");
    expect(f.evidence.contradictedFraction as number).toBeGreaterThan(0.1);
    expect(codes(data("binary", clean))).not.toContain("label-noise");
  });

  it("label noise: identical feature rows with different labels", () => {
    const base = blobs(rng("cf"), { rows: 200, classes: 2 });
    const conflicted = mapColumn(base, "features", 0, (v, row) => (row < 20 ? 0 : v));
    const twins = mapColumn(conflicted, "features", 1, (v, row) => (row < 20 ? 0 : v));
    const f = find(data("binary", twins), "label-noise");
    expect(f.evidence.conflictingIdenticalRows as number).toBeGreaterThanOrEqual(2);
  });

  it("insufficient data: four rows (article 004) and a class with 6 rows", () => {
    const four: Dataset = {
      features: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      targets: Float64Array.from([0, 1, 0, 1]),
      rows: 4,
      featureNames: ["a", "b"],
      targetNames: ["y"],
      source: "inline",
    };
    expect(find(data("binary", four), "insufficient-data").severity).toBe("warning");
    const rare = blobs(rng("rare"), { rows: 306, classes: 2, weights: [50, 1] });
    expect(find(data("binary", rare), "insufficient-data").evidence.rowsPerClass).toEqual([300, 6]);
  });

  it("insufficient data by rule of thumb only is an untested note; a settled claim says what it saw", () => {
    // 3 classes of 40 rows and 13 features: fewer than 5 rows of the rarest class per feature (wine).
    const wineLike = blobs(rng("wine"), { rows: 120, classes: 3, features: 13 });
    const f = find(data("multiclass", wineLike), "insufficient-data");
    expect(f.severity).toBe("info");
    expect(pendingClaim(f)).not.toBeNull();
    const symptoms = (train: number, validation: number) => ({
      initialLoss: 1,
      train: { accuracy: train, loss: 0.1 },
      validation: { accuracy: validation, loss: 0.12 },
      baseline: {},
    });
    const quiet = testGap(f, symptoms(1, 0.97));
    expect(quiet.severity).toBe("info");
    expect(quiet.evidence.claim).toMatchObject({ tested: true, supported: false });
    const gap = testGap(f, symptoms(1, 0.7));
    expect(gap.severity).toBe("warning");
    expect(gap.evidence.claim).toMatchObject({ tested: true, supported: true });
  });

  it("unscaled features: near-constant border pixels in [0, 1] are not a scale problem", () => {
    // 64 pixel columns in [0, 1]; the first 8 are 0 in 99% of rows (digits' borders), the rest spread.
    const r = rng("px");
    const rows = 400, d = 64;
    const features = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < d; c++) {
        features[i * d + c] = c < 8 ? (i % 100 === 0 ? 0.0625 : 0) : Math.round(16 * r.next()) / 16;
      }
    }
    const px: Dataset = {
      features,
      targets: Float64Array.from({ length: rows }, (_, i) => i % 10),
      rows,
      featureNames: Array.from({ length: d }, (_, c) => `p${c}`),
      targetNames: ["digit"],
      source: "inline",
    };
    expect(codes(data("multiclass", px))).not.toContain("unscaled-features");
    // The same pixels as 0-255 counts: every first-layer pre-activation starts with a std in the
    // hundreds, a consequence the data alone shows: a warning in every mode.
    const counts = { ...px, features: px.features.map((v) => 255 * v) };
    const loud = find(data("multiclass", counts), "unscaled-features");
    expect(loud.severity).toBe("warning");
    expect(loud.evidence.initialPreActivationStd as number).toBeGreaterThan(30);
    // As 0-16 counts (scikit-learn's digits as shipped) the scale is a claim only a run can test.
    const sixteen = { ...px, features: px.features.map((v) => 16 * v) };
    expect(data("multiclass", sixteen).filter((f) => f.severity !== "info").map((f) => f.code)).toEqual([]);
    // One column in the thousands among them dominates the first layer: a warning in every mode.
    const area = mapColumn(px, "features", 20, (v) => 1000 + 3000 * v);
    const f = find(data("multiclass", area), "unscaled-features");
    expect(f.severity).toBe("warning");
    expect(f.evidence.largestColumnShareOfInitialPreActivationVariance as number).toBeGreaterThan(0.9);
  });

  it("label noise is not claimed from neighbours when the features carry no signal", () => {
    // Article 001 ex. 3: uniform noise features, 80% zeros: every minority row is "contradicted".
    const r = rng("noise");
    const rows = 400, d = 10;
    const noise: Dataset = {
      features: Float64Array.from({ length: rows * d }, () => r.next()),
      targets: Float64Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 1 : 0)),
      rows,
      featureNames: Array.from({ length: d }, (_, c) => `x${c}`),
      targetNames: ["y"],
      source: "inline",
    };
    const f = data("binary", noise).find((x) => x.code === "label-noise");
    if (f) {
      expect(f.severity).toBe("info");
      expect(f.evidence.neighbourAgreement as number).toBeLessThan(
        (f.evidence.majorityShare as number) + 0.05,
      );
    }
  });
});
