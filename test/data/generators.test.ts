import { describe, expect, it } from "vitest";
import { generate } from "../../src/data/generators.ts";
import { type GeneratorKind, GENERATORS } from "../../src/data/specs.ts";
import { Rng } from "../../src/random.ts";
import type { GeneratorSpec } from "../../src/scenario/types.ts";

const spec = (kind: GeneratorKind, extra: Partial<GeneratorSpec> = {}): GeneratorSpec => {
  const t = GENERATORS[kind];
  return {
    kind,
    samples: t.samples,
    features: t.features,
    classes: t.classes,
    noise: t.noise,
    params: {},
    ...extra,
  };
};
const counts = (values: Float64Array) => {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
};

describe("generators", () => {
  for (const kind of Object.keys(GENERATORS) as GeneratorKind[]) {
    it(`${kind}: same seed same data, another seed other data, finite values`, () => {
      const a = generate(spec(kind), Rng.fromSeed(5));
      const b = generate(spec(kind), Rng.fromSeed(5));
      const c = generate(spec(kind), Rng.fromSeed(6));
      expect(a.features).toEqual(b.features);
      expect(a.targets).toEqual(b.targets);
      expect(a.features).not.toEqual(c.features);
      expect(a.rows).toBe(GENERATORS[kind].samples);
      expect(a.features.length).toBe(a.rows * a.featureNames.length);
      expect(a.targets.length).toBe(a.rows * a.targetNames.length);
      expect(a.features.every(Number.isFinite) && a.targets.every(Number.isFinite)).toBe(true);
    });
  }

  it("classification generators balance their classes as scikit-learn does", () => {
    expect(counts(generate(spec("blobs", { samples: 100, classes: 3 }), Rng.fromSeed(1)).targets)).toEqual(
      new Map([[0, 34], [1, 33], [2, 33]]),
    );
    for (const kind of ["moons", "circles"] as const) {
      expect(counts(generate(spec(kind, { samples: 101 }), Rng.fromSeed(1)).targets)).toEqual(
        new Map([[0, 50], [1, 51]]),
      );
    }
  });

  it("rows come out shuffled, not grouped by class", () => {
    const d = generate(spec("blobs", { samples: 300 }), Rng.fromSeed(2));
    let changes = 0;
    for (let i = 1; i < d.rows; i++) if (d.targets[i] !== d.targets[i - 1]) changes++;
    expect(changes).toBeGreaterThan(100); // grouped rows would change label only twice
  });

  it("moons without noise lie on the two half circles", () => {
    const d = generate(spec("moons", { samples: 50, noise: 0 }), Rng.fromSeed(3));
    for (let i = 0; i < d.rows; i++) {
      const [x, y] = [d.features[2 * i], d.features[2 * i + 1]];
      const r = d.targets[i] === 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5);
      expect(r).toBeCloseTo(1, 12);
    }
  });

  it("xor labels are the sign XOR without noise; extra features are added", () => {
    const d = generate(spec("xor", { samples: 200, noise: 0, features: 4 }), Rng.fromSeed(4));
    expect(d.featureNames).toEqual(["x0", "x1", "x2", "x3"]);
    for (let i = 0; i < d.rows; i++) {
      expect(d.targets[i]).toBe((d.features[4 * i] > 0) !== (d.features[4 * i + 1] > 0) ? 1 : 0);
    }
  });

  it("linear scale and offset set the target's magnitude", () => {
    const d = generate(
      spec("linear", { samples: 2000, params: { scale: 1000, offset: 50 } }),
      Rng.fromSeed(7),
    );
    const mean = d.targets.reduce((a, b) => a + b, 0) / d.rows;
    const std = Math.sqrt(d.targets.reduce((a, b) => a + (b - mean) ** 2, 0) / d.rows);
    // Signal variance exactly 1 + noise 0.1^2 before scaling: std = 1000 * sqrt(1.01) up to sampling
    // error (relative ~ 1/sqrt(2n) = 1.6% for n = 2000, so +-10% is > 6 sigma); mean within 3 std errors.
    expect(std).toBeGreaterThan(900);
    expect(std).toBeLessThan(1100);
    expect(Math.abs(mean - 50)).toBeLessThan((3 * std) / Math.sqrt(d.rows));
  });

  it("multilabel: each label is on in `density` of the rows", () => {
    const d = generate(
      spec("multilabel", { samples: 500, classes: 3, params: { density: 0.2 } }),
      Rng.fromSeed(8),
    );
    expect(d.targetNames).toEqual(["label0", "label1", "label2"]);
    for (let l = 0; l < 3; l++) {
      let on = 0;
      for (let i = 0; i < d.rows; i++) on += d.targets[i * 3 + l];
      expect(on).toBe(100);
    }
  });

  it("spirals and polynomial honour their class and output counts", () => {
    expect(counts(generate(spec("spirals", { samples: 90, classes: 5 }), Rng.fromSeed(9)).targets).size).toBe(
      5,
    );
    const p = generate(spec("polynomial", { classes: 2, features: 3 }), Rng.fromSeed(9));
    expect(p.targetNames).toEqual(["y0", "y1"]);
    expect(p.features.every((v) => v >= -1 && v < 1)).toBe(true);
  });
});
