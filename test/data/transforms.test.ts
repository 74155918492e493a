import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data/dataset.ts";
import { applyTransforms, duplicateIntoValidation } from "../../src/data/transforms.ts";
import { Rng } from "../../src/random.ts";
import type { TransformSpec } from "../../src/scenario/types.ts";
import { inputError } from "./_helpers.ts";

/** 100 rows, features [i, 1000 + i], labels i % 3 (or one-hot / continuous on request). */
function data(kind: "index" | "one-hot" | "continuous" = "index", rows = 100): Dataset {
  const features = Float64Array.from({ length: rows * 2 }, (_, k) => (k % 2 ? 1000 : 0) + Math.floor(k / 2));
  const width = kind === "one-hot" ? 3 : 1;
  const targets = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    if (kind === "one-hot") targets[i * 3 + (i % 3)] = 1;
    else targets[i] = kind === "index" ? i % 3 : i / 7;
  }
  return {
    features,
    targets,
    rows,
    featureNames: ["a", "b"],
    targetNames: Array.from({ length: width }, (_, k) => `y${k}`),
    source: "<test>",
  };
}
const run = (d: Dataset, ...t: TransformSpec[]) => applyTransforms(d, t, Rng.fromSeed(1));
const column = (d: Dataset, j: number) =>
  Array.from({ length: d.rows }, (_, i) => d.features[i * d.featureNames.length + j]);

describe("transforms", () => {
  it("are deterministic per seed and leave the input untouched", () => {
    const d = data();
    const t: TransformSpec[] = [{ op: "label-noise", fraction: 0.3 }, { op: "nan", fraction: 0.1 }];
    const a = applyTransforms(d, t, Rng.fromSeed(3));
    const b = applyTransforms(d, t, Rng.fromSeed(3));
    const c = applyTransforms(d, t, Rng.fromSeed(4));
    expect(a.dataset.targets).toEqual(b.dataset.targets);
    expect(a.dataset.features).toEqual(b.dataset.features);
    expect(a.dataset.targets).not.toEqual(c.dataset.targets);
    expect(d.targets).toEqual(data().targets);
  });

  it("standardize-features and standardize-target give mean 0, std 1", () => {
    const { dataset } = run(data("index"), { op: "standardize-features" }, { op: "standardize-target" });
    for (const values of [column(dataset, 0), column(dataset, 1), Array.from(dataset.targets)]) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(variance).toBeCloseTo(1, 12);
    }
  });

  it("label-noise changes exactly the fraction of labels, each to another class", () => {
    const before = data();
    const { dataset, notes } = run(before, { op: "label-noise", fraction: 0.25 });
    let changed = 0;
    for (let i = 0; i < 100; i++) {
      if (dataset.targets[i] !== before.targets[i]) changed++;
      expect([0, 1, 2]).toContain(dataset.targets[i]);
    }
    expect(changed).toBe(25);
    expect(notes).toEqual(["label-noise: 25 of 100 labels changed to another class"]);
    const oneHot = run(data("one-hot"), { op: "label-noise", fraction: 0.1 }).dataset;
    for (let i = 0; i < 100; i++) {
      expect(oneHot.targets.subarray(i * 3, i * 3 + 3).reduce((a, b) => a + b)).toBe(1);
    }
  });

  it("label-noise on continuous targets is an input error naming the transform", async () => {
    const e = await inputError(() =>
      applyTransforms(data("continuous"), [{ op: "label-noise", fraction: 0.1 }], Rng.fromSeed(1), {
        location: (i) => ({ file: "s.json", field: `data.transforms[${i}]` }),
      })
    );
    expect(e.location).toEqual({ file: "s.json", field: "data.transforms[0]" });
    expect(e.message).toContain("label-noise needs class targets");
  });

  it("leak-feature adds the label plus small noise", () => {
    const { dataset } = run(data(), { op: "leak-feature", noise: 0.01 });
    expect(dataset.featureNames).toEqual(["a", "b", "leak"]);
    const leak = column(dataset, 2);
    leak.forEach((v, i) => expect(Math.abs(v - (i % 3))).toBeLessThan(0.06)); // 6 sigma
    expect(leak.some((v, i) => v !== i % 3)).toBe(true);
  });

  it("scale-feature by index or name; an unknown column lists the features", async () => {
    const { dataset } = run(data(), { op: "scale-feature", column: "b", factor: 0.5 });
    expect(column(dataset, 1)[4]).toBe(502);
    expect(column(dataset, 0)[4]).toBe(4);
    const e = await inputError(() => run(data(), { op: "scale-feature", column: 5, factor: 2 }));
    expect(e.location.field).toBe("transforms[0].column");
    expect(e.message).toContain("no feature column 5: the features are 0:a, 1:b");
  });

  it("nan: a fraction of one column, or of all feature cells", () => {
    const one = run(data(), { op: "nan", fraction: 0.2, column: 1 }).dataset;
    expect(column(one, 1).filter(Number.isNaN).length).toBe(20);
    expect(column(one, 0).filter(Number.isNaN).length).toBe(0);
    const all = run(data(), { op: "nan", fraction: 0.05 }).dataset;
    expect(Array.from(all.features).filter(Number.isNaN).length).toBe(10);
  });

  it("imbalance {class, keep} and {ratio}", () => {
    const count = (d: Dataset, c: number) => d.targets.filter((v) => v === c).length;
    const kept = run(data("index", 300), { op: "imbalance", class: 2, keep: 0.1 }).dataset;
    expect([0, 1, 2].map((c) => count(kept, c))).toEqual([100, 100, 10]);
    const tail = run(data("index", 300), { op: "imbalance", ratio: 0.04 }).dataset;
    expect([0, 1, 2].map((c) => count(tail, c))).toEqual([100, 20, 4]); // 100 * 0.04^(c/2)
    // Rows keep their order (an ordered input stays ordered).
    const idx = column(tail, 0);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  });

  it("sort-by-target orders rows by class, stably", () => {
    const { dataset } = run(data(), { op: "sort-by-target" });
    const labels = Array.from(dataset.targets);
    expect(labels).toEqual([...labels].sort((a, b) => a - b));
    expect(column(dataset, 0).slice(0, 3)).toEqual([0, 3, 6]);
    const desc = run(data("one-hot"), { op: "sort-by-target", descending: true }).dataset;
    expect(Array.from(desc.targets.subarray(0, 3))).toEqual([0, 0, 1]);
  });

  it("unknown op or parameter in a spec built in code", async () => {
    expect((await inputError(() => run(data(), { op: "shuffle" }))).message).toContain(
      'unknown transform "shuffle"',
    );
    const e = await inputError(() => run(data(), { op: "nan", frac: 0.1 }));
    expect(e.location.field).toBe("transforms[0].frac");
  });

  it("duplicateIntoValidation copies distinct training rows over validation rows", () => {
    const train = data("index", 50);
    const validation = data("continuous", 20);
    const { validation: v, copied } = duplicateIntoValidation(train, validation, 0.5, Rng.fromSeed(2));
    expect(copied.length).toBe(10);
    expect(new Set(copied.map(([, t]) => t)).size).toBe(10);
    for (const [vr, tr] of copied) {
      expect(Array.from(v.features.subarray(vr * 2, vr * 2 + 2))).toEqual([tr, 1000 + tr]);
      expect(v.targets[vr]).toBe(tr % 3);
    }
    expect(validation.features[0]).toBe(0); // input untouched
  });
});
