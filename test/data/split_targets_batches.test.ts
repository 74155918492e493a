import { describe, expect, it } from "vitest";
import { planBatches } from "../../src/data/batches.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { apportion, splitDataset } from "../../src/data/split.ts";
import { encodeTargets } from "../../src/data/targets.ts";
import { Rng } from "../../src/random.ts";
import type { LossName } from "../../src/scenario/types.ts";
import { inputError } from "./_helpers.ts";

/** Row i has feature i and the given label. */
const labelled = (labels: number[], width = 1): Dataset => ({
  features: Float64Array.from({ length: labels.length / width }, (_, i) => i),
  targets: Float64Array.from(labels),
  rows: labels.length / width,
  featureNames: ["i"],
  targetNames: Array.from({ length: width }, (_, k) => `y${k}`),
  source: "<test>",
});
const loss = (name: LossName) => ({ name, fromLogits: false, reduction: "mean" as const, delta: 1 });

describe("splitDataset", () => {
  it("without shuffle takes the last rows, Keras's count", () => {
    const d = labelled(Array.from({ length: 10 }, (_, i) => (i < 7 ? 0 : 1)));
    const s = splitDataset(d, { fraction: 0.3, shuffle: false, stratify: false }, Rng.fromSeed(0));
    // Keras: split_at = int(10 * (1 - 0.3)) = 7 (0.7 * 10 = 7.000000000000001).
    expect(Array.from(s.trainRows)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(s.validation.features)).toEqual([7, 8, 9]);
    expect(new Set(s.validation.targets)).toEqual(new Set([1])); // sorted data: one class in validation
  });

  it("with shuffle is a seeded permutation, reproducible, and partitions the rows", () => {
    const d = labelled(Array.from({ length: 50 }, (_, i) => i % 2));
    const a = splitDataset(d, { fraction: 0.2, shuffle: true, stratify: false }, Rng.fromSeed(4));
    const b = splitDataset(d, { fraction: 0.2, shuffle: true, stratify: false }, Rng.fromSeed(4));
    expect(a.validationRows).toEqual(b.validationRows);
    expect(a.validationRows.length).toBe(10);
    expect(new Set([...a.trainRows, ...a.validationRows]).size).toBe(50);
    expect(Array.from(a.validationRows)).not.toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  });

  it("stratified keeps class proportions in both parts", () => {
    const labels = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)];
    const s = splitDataset(
      labelled(labels),
      { fraction: 0.2, shuffle: false, stratify: true },
      Rng.fromSeed(1),
    );
    const count = (t: Float64Array, c: number) => t.filter((v) => v === c).length;
    expect([0, 1, 2].map((c) => count(s.validation.targets, c))).toEqual([12, 6, 2]);
    expect([0, 1, 2].map((c) => count(s.train.targets, c))).toEqual([48, 24, 8]);
  });

  it("stratify on one-hot rows; ignored (and said) on continuous targets", () => {
    const oneHot = labelled(Array.from({ length: 20 }, (_, i) => (i < 15 ? [1, 0] : [0, 1])).flat(), 2);
    const s = splitDataset(oneHot, { fraction: 0.2, shuffle: true, stratify: true }, Rng.fromSeed(2));
    expect(s.validation.targets.filter((v, k) => k % 2 === 1 && v === 1).length).toBe(1);
    const r = splitDataset(labelled([0.5, 1.5, 2.5, 3.5, 4.5]), {
      fraction: 0.2,
      shuffle: false,
      stratify: true,
    }, Rng.fromSeed(2));
    expect(r.note).toContain("stratify ignored");
  });

  it("an empty part is an input error", async () => {
    const e = await inputError(() =>
      splitDataset(labelled([0]), {
        fraction: 0.1,
        shuffle: false,
        stratify: false,
        location: { file: "s.json", field: "validation.fraction" },
      }, Rng.fromSeed(0))
    );
    expect(e.message).toBe(
      's.json: field "validation.fraction": a validation fraction of 0.1 of 1 rows leaves 0 training and 1 validation rows; both need at least one',
    );
  });

  it("apportion shares by largest remainder", () => {
    expect(apportion([5, 3, 2], 3)).toEqual([1, 1, 1]); // 1.5, 0.9, 0.6: floors 1,0,0; remainders .9 and .6 win
    expect(apportion([1, 1, 1], 2)).toEqual([1, 1, 0]);
  });
});

describe("encodeTargets", () => {
  it("one-hot encodes class indices for categorical cross-entropy", () => {
    const e = encodeTargets(labelled([0, 2, 1]), loss("categorical-crossentropy"), 3);
    expect(e.encoding).toBe("one-hot");
    expect(Array.from(e.values)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(e.truncated.count).toBe(0);
  });

  it("truncates non-integer labels as to_categorical's int cast does, and records it", () => {
    // Standardized or scaled labels: 0.5 -> 0, 1.9 -> 1, -0.5 -> 0 (toward zero).
    const e = encodeTargets(labelled([0.5, 1.9, -0.5, 2]), loss("categorical-crossentropy"), 3);
    expect(Array.from(e.values)).toEqual([1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
    expect(e.truncated.count).toBe(3);
    expect(e.truncated.examples).toEqual([
      { row: 0, value: 0.5, index: 0 },
      { row: 1, value: 1.9, index: 1 },
      { row: 2, value: -0.5, index: 0 },
    ]);
    expect(e.notes[0]).toContain("0.5->0");
    expect(e.undefinedReason).toBeUndefined();
  });

  it("wraps negative labels as numpy indexing does; a label beyond the units makes training undefined", () => {
    const w = encodeTargets(labelled([-1, 0]), loss("categorical-crossentropy"), 3);
    expect(Array.from(w.values)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(w.wrapped.count).toBe(1);
    const u = encodeTargets(labelled([0, 3]), loss("categorical-crossentropy"), 3);
    expect(u.undefinedReason).toBe("row 2: the label 3 is not a class index for 3 output units (0..2)");
    const n = encodeTargets(labelled([0, NaN]), loss("sparse-categorical-crossentropy"), 3);
    expect(n.undefinedReason).toContain("row 2: the label NaN");
  });

  it("sparse cross-entropy casts to indices without wrapping", () => {
    const e = encodeTargets(labelled([1.7, 0, -1]), loss("sparse-categorical-crossentropy"), 2);
    expect(Array.from(e.values.subarray(0, 2))).toEqual([1, 0]);
    expect(e.undefinedReason).toContain("row 3");
  });

  it("other losses see the values as they are; one column broadcasts; other widths are errors", async () => {
    const mse = encodeTargets(labelled([0, 1, 2]), loss("mse"), 1);
    expect(mse.encoding).toBe("as-is");
    expect(Array.from(mse.values)).toEqual([0, 1, 2]);
    expect(encodeTargets(labelled([0, 1, 2]), loss("mse"), 3).broadcast).toBe(true);
    const e = await inputError(() =>
      encodeTargets(labelled([0, 1, 1, 0], 2), loss("binary-crossentropy"), 3, {
        location: { file: "s.json", field: "model.layers[0].units" },
      })
    );
    expect(e.location).toEqual({ file: "s.json", field: "model.layers[0].units" });
    const s = await inputError(() =>
      encodeTargets(labelled([0, 1, 1, 0], 2), loss("sparse-categorical-crossentropy"), 2)
    );
    expect(s.message).toContain("needs one class-index target column, the data has 2");
  });
});

describe("planBatches", () => {
  const training = { epochs: 3, batchSize: 32, shuffle: true, sameBatchEveryStep: false };

  it("ceil(rows / batch) steps with a partial last batch covering every row once", () => {
    const plan = planBatches(100, training, 7);
    expect(plan.stepsPerEpoch).toBe(4);
    const batches = plan.epoch(1);
    expect(batches.map((b) => b.length)).toEqual([32, 32, 32, 4]);
    expect(new Set(batches.flatMap((b) => Array.from(b))).size).toBe(100);
  });

  it("each epoch is its own seeded permutation; same seed same order", () => {
    const plan = planBatches(100, training, 7);
    expect(plan.epoch(2)).toEqual(planBatches(100, training, 7).epoch(2));
    expect(plan.epoch(1)).not.toEqual(plan.epoch(2));
    expect(plan.epoch(1)).not.toEqual(planBatches(100, training, 8).epoch(1));
  });

  it("no shuffle keeps the data order", () => {
    const b = planBatches(5, { ...training, batchSize: 2, shuffle: false }, 0).epoch(3);
    expect(b.map((x) => Array.from(x))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("sameBatchEveryStep repeats epoch 1's first batch at every step of every epoch", () => {
    const plan = planBatches(100, { ...training, sameBatchEveryStep: true }, 7);
    const first = planBatches(100, training, 7).epoch(1)[0];
    for (const e of [1, 2, 3]) {
      const batches = plan.epoch(e);
      expect(batches.length).toBe(4);
      for (const b of batches) expect(b).toEqual(first);
    }
  });
});
