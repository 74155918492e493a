import { describe, expect, it } from "vitest";
import {
  candidateDefinitions,
  checkModuleMetrics,
  consistencyFindings,
  type ModuleMetricInput,
  referenceName,
} from "../../src/diagnose/metric_checks.ts";
import { fromRows, toRows } from "../../src/reference/matrix.ts";

// 3 classes, one-hot targets; predictions right on rows 0-5, wrong on 6-9.
const yTrue = fromRows([
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
]);
const yPred = fromRows([
  [0.7, 0.2, 0.1],
  [0.1, 0.8, 0.1],
  [0.2, 0.2, 0.6],
  [0.6, 0.3, 0.1],
  [0.3, 0.6, 0.1],
  [0.1, 0.1, 0.8],
  [0.2, 0.7, 0.1],
  [0.6, 0.3, 0.1],
  [0.5, 0.4, 0.1],
  [0.1, 0.1, 0.8],
]);
/** A user metric as a module writes it, called as the sandbox calls it (rows in, a number out). */
type RowsMetric = (yTrue: number[][], yPred: number[][]) => number;
const input = (name: string, fn: RowsMetric): ModuleMetricInput => ({
  name,
  fn: (t, p) => fn(toRows(t), toRows(p)),
  yTrue,
  yPred,
  split: "validation",
  epoch: 5,
});

/** Binary accuracy over the one-hot elements: the classic Keras mistake. */
const binaryOverOneHot = (t: number[][], p: number[][]) => {
  let hit = 0, n = 0;
  t.forEach((row, r) => row.forEach((v, c) => (n++, hit += (p[r][c] > 0.5 ? 1 : 0) === v ? 1 : 0)));
  return hit / n;
};
const categorical = (t: number[][], p: number[][]) =>
  t.filter((row, r) => row.indexOf(Math.max(...row)) === p[r].indexOf(Math.max(...p[r]))).length / t.length;

describe("metric-mismatch", () => {
  it("names the definition that reproduces a wrong accuracy", async () => {
    const [f] = await checkModuleMetrics([input("accuracy", binaryOverOneHot)]);
    expect(f.code).toBe("metric-mismatch");
    const m = (f.evidence.metrics as Record<string, unknown>[])[0];
    expect(m.reference).toBeCloseTo(0.6, 12);
    // By hand: 18 hits on the six right rows, then 1 + 1 + 2 (0.5 is not > 0.5) + 1 on the wrong ones.
    expect(m.module).toBeCloseTo(23 / 30, 6);
    expect((m.reproducedBy as string[]).some((d) => d.startsWith("binary accuracy at 0.5"))).toBe(true);
  });

  it("stays quiet on a correct reimplementation and on names without a reference", async () => {
    expect(await checkModuleMetrics([input("accuracy", categorical)])).toEqual([]);
    expect(await checkModuleMetrics([input("my-score", (_t, p) => p[0][0] + p[1][1])])).toEqual([]);
  });

  it("resolves user spellings", () => {
    expect(referenceName("acc")).toBe("accuracy");
    expect(referenceName("Balanced_Accuracy")).toBe("balanced-accuracy");
    expect(referenceName("custom")).toBeNull();
  });

  it("lists only applicable candidate definitions with finite values", () => {
    const c = candidateDefinitions(yTrue, yPred);
    expect(c.length).toBeGreaterThan(5);
    expect(c.every((d) => Number.isFinite(d.value))).toBe(true);
    expect(c.find((d) => d.definition.startsWith("categorical accuracy"))!.value).toBeCloseTo(0.6, 12);
  });
});

describe("metric-insensitive", () => {
  it("flags a hard-coded metric", async () => {
    const f = await checkModuleMetrics([input("perfect-score", () => 1)]);
    expect(f.map((x) => x.code)).toEqual(["metric-insensitive"]);
    expect(Object.keys((f[0].evidence.metrics as { values: object }[])[0].values)).toContain(
      "perfectly wrong",
    );
  });

  it("flags a hard-coded accuracy both ways", async () => {
    expect((await checkModuleMetrics([input("accuracy", () => 1)])).map((x) => x.code).sort()).toEqual([
      "metric-insensitive",
      "metric-mismatch",
    ]);
  });

  it("does not flag a real metric, even one that ignores row order of the predictions alone", async () => {
    const meanTop = (_t: number[][], p: number[][]) => p.reduce((a, r) => a + Math.max(...r), 0) / p.length;
    expect(await checkModuleMetrics([input("confidence", meanTop), input("cat", categorical)])).toEqual([]);
  });
});

describe("gpu-reference-divergence", () => {
  it("one error naming the worst quantity, epoch, both values and the tolerance", () => {
    const ok = {
      quantity: "train.loss",
      epoch: 1,
      engine: 0.5,
      reference: 0.5,
      absError: 0,
      tolerance: 1e-6,
      ok: true,
    };
    const bad1 = {
      quantity: "validation.accuracy",
      epoch: 3,
      engine: 0.5,
      reference: 0.52,
      absError: 0.02,
      tolerance: 1e-6,
      ok: false,
    };
    const bad2 = {
      quantity: "train.loss",
      epoch: 4,
      engine: 0.7,
      reference: 0.5,
      absError: 0.2,
      tolerance: 1e-6,
      ok: false,
    };
    const [f, ...rest] = consistencyFindings([ok, bad1, bad2]);
    expect(rest).toEqual([]);
    expect(f.code).toBe("gpu-reference-divergence");
    expect(f.severity).toBe("error");
    expect(f.title).toContain("train.loss at epoch 4");
    expect(f.message).toContain("engine 0.5, reference 0.52");
    expect(f.evidence.failing).toBe(2);
    expect(consistencyFindings([ok])).toEqual([]);
  });
});
