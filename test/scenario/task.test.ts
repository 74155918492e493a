import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data/dataset.ts";
import { inferTask } from "../../src/scenario/task.ts";
import type { LossName, LossSpec } from "../../src/scenario/types.ts";

const loss = (name: LossName): LossSpec => ({ name, fromLogits: false, reduction: "mean", delta: 1 });
const data = (targets: number[], width = 1, classNames?: string[]): Dataset => ({
  features: new Float64Array(targets.length / width),
  targets: Float64Array.from(targets),
  rows: targets.length / width,
  featureNames: ["a"],
  targetNames: Array.from({ length: width }, (_, k) => `t${k}`),
  source: "<test>",
  ...(classNames ? { classNames } : {}),
});

describe("inferTask", () => {
  it("keeps the scenario's task", () => {
    expect(inferTask({ task: "regression", loss: loss("mse") }, data([0, 1, 2]))).toEqual({
      task: "regression",
      inferred: false,
      reason: "set in the scenario",
    });
  });

  it("reads few integers as classes even under MSE, and says the loss disagrees", () => {
    const t = inferTask({ loss: loss("mse") }, data([0, 1, 2, 2, 1, 0]));
    expect(t.task).toBe("multiclass");
    expect(t.inferred).toBe(true);
    expect(t.reason).toContain("3 distinct integers (0, 1, 2)");
    expect(t.reason).toContain("the loss mse treats them as continuous values");
  });

  it("binary from two values, class names, one-hot and multi-label columns", () => {
    expect(inferTask({ loss: loss("binary-crossentropy") }, data([0, 1, 1, NaN])).task).toBe("binary");
    expect(
      inferTask({ loss: loss("sparse-categorical-crossentropy") }, data([0, 1, 2], 1, ["a", "b", "c"])).task,
    ).toBe(
      "multiclass",
    );
    expect(inferTask({ loss: loss("categorical-crossentropy") }, data([1, 0, 0, 0, 1, 0, 0, 0, 1], 3)).task)
      .toBe(
        "multiclass",
      );
    expect(inferTask({ loss: loss("binary-crossentropy") }, data([1, 1, 0, 0, 0, 0], 3)).task).toBe(
      "multilabel",
    );
  });

  it("reads continuous targets as regression even under a class loss", () => {
    const t = inferTask({ loss: loss("categorical-crossentropy") }, data([0.5, 1.25, 3.5, 2]));
    expect(t.task).toBe("regression");
    expect(t.reason).toContain("4 distinct non-integer values");
    expect(t.reason).toContain("expects classes");
    // Integers, but more distinct values than any plausible class count (ages, counts).
    expect(inferTask({ loss: loss("mse") }, data(Array.from({ length: 40 }, (_, i) => i))).task).toBe(
      "regression",
    );
  });
});
