/** Each setup detector on the setup it is for, with the mechanism its evidence must show. */
import { describe, expect, it } from "vitest";
import { diagnoseSetup, remedyOf, summarizeTargets } from "../../src/diagnose/mod.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import type { Finding } from "../../src/report/types.ts";
import type { Task } from "../../src/scenario/types.ts";
import {
  blobs,
  linear,
  mapColumn,
  multilabel,
  rng,
  scenario,
  type ScenarioOptions,
  taskInfo,
} from "./_fixtures.ts";

function setup(o: ScenarioOptions, task: Task, data: Dataset): Finding[] {
  return diagnoseSetup({ scenario: scenario(o), task: taskInfo(task), targets: summarizeTargets(data) });
}

function only(findings: Finding[], code: string): Finding {
  const f = findings.filter((x) => x.code === code);
  expect(f.map((x) => x.code), JSON.stringify(findings.map((x) => x.code))).toEqual([code]);
  return f[0];
}

const binary = blobs(rng("sb"), { rows: 200, classes: 2 });
const three = blobs(rng("s3"), { rows: 300, classes: 3 });
const threeHot = blobs(rng("s3h"), { rows: 300, classes: 3, oneHot: true });

describe("setup detectors", () => {
  it("mse on one-hot classes through softmax: loss-task-mismatch with the vanishing gradient", () => {
    const f = only(
      setup({ units: 3, activation: "softmax", loss: "mse" }, "multiclass", threeHot),
      "loss-task-mismatch",
    );
    expect(f.severity).toBe("error");
    const ill = f.evidence.illustration as Record<string, number>;
    expect(ill.ratio).toBeLessThan(0.1); // MSE's logit gradient is far smaller than CE's on a confident mistake
    expect(remedyOf(f)).toEqual({
      kind: "set-loss",
      loss: "categorical-crossentropy",
      activation: "softmax",
      fromLogits: false,
    });
  });

  it("mse regressing a class index over one linear unit, with accuracy: both the loss and the metric", () => {
    const fs = setup({ units: 1, activation: "linear", loss: "mse" }, "multiclass", three);
    expect(fs.map((f) => f.code).sort()).toEqual(["accuracy-semantics-mismatch", "loss-task-mismatch"]);
    const acc = fs.find((f) => f.code === "accuracy-semantics-mismatch")!;
    // labels 2 can never equal (p > 0.5): only the share of labels 0 and 1 is reachable
    expect(acc.evidence.bestReachableAccuracy).toBeCloseTo(2 / 3, 1);
  });

  it("mse on binary with a sigmoid head is a Brier score: a note whose harm a run tests", () => {
    const f = only(
      setup({ units: 1, activation: "sigmoid", loss: "mse" }, "binary", binary),
      "loss-task-mismatch",
    );
    expect(f.severity).toBe("info");
    expect(f.evidence.claim).toMatchObject({ tested: false });
  });

  it("cross-entropy on a continuous target: loss-task-mismatch with a negative loss at the clip", () => {
    const data = mapColumn(linear(rng("ce"), { rows: 200 }), "targets", 0, (v) => 3 * v);
    const f = only(
      setup(
        { units: 1, activation: "sigmoid", loss: "binary-crossentropy", metrics: [] },
        "regression",
        data,
      ),
      "loss-task-mismatch",
    );
    const edges = Object.values(f.evidence.lossAtClipEdges as Record<string, number>);
    expect(Math.min(...edges)).toBeLessThan(0);
  });

  it("categorical cross-entropy over one sigmoid unit: the loss is 0 on every row", () => {
    const f = only(
      setup({ units: 1, activation: "sigmoid", loss: "categorical-crossentropy" }, "binary", binary),
      "loss-task-mismatch",
    );
    expect(f.evidence.lossOnEveryRow).toBe(0);
    expect(remedyOf(f)).toEqual({ kind: "set-loss", loss: "binary-crossentropy" });
  });

  it("single-unit softmax: outputs are all 1 and the remedy is a sigmoid head", () => {
    const f = only(
      setup({ units: 1, activation: "softmax", loss: "binary-crossentropy" }, "binary", binary),
      "single-unit-softmax",
    );
    expect(f.evidence.outputs).toEqual([1, 1, 1]);
    expect(remedyOf(f)?.kind).toBe("set-output-activation");
  });

  it("double softmax: the loss floor is above 0 and the logit gradient shrinks", () => {
    const f = only(
      setup(
        { units: 3, activation: "softmax", loss: "categorical-crossentropy", fromLogits: true },
        "multiclass",
        three,
      ),
      "double-softmax",
    );
    expect(f.evidence.lossFloor).toBeCloseTo(Math.log(1 + 2 / Math.E), 3);
    expect((f.evidence.illustration as Record<string, number>).gradientShrink).toBeLessThan(0.5);
    expect(remedyOf(f)).toEqual({ kind: "set-from-logits", fromLogits: false });
  });

  it("sigmoid + from-logits BCE: a double squash that never predicts class 0", () => {
    const f = only(
      setup(
        { units: 1, activation: "sigmoid", loss: "binary-crossentropy", fromLogits: true },
        "binary",
        binary,
      ),
      "double-softmax",
    );
    expect(f.evidence.lossFloorForLabel0).toBeCloseTo(Math.LN2, 3);
  });

  it("linear outputs read as probabilities: missing-output-activation with zero clipped gradients", () => {
    const f = only(
      setup({ units: 1, activation: "linear", loss: "binary-crossentropy" }, "binary", binary),
      "missing-output-activation",
    );
    expect((f.evidence.gradient as number[])[0]).toBe(0); // -1.5 is clipped to 1e-7: no gradient
    expect(remedyOf(f)).toEqual({ kind: "set-output-activation", activation: "sigmoid" });
  });

  it("sigmoid head on single-label multi-class targets", () => {
    const f = only(
      setup({ units: 3, activation: "sigmoid", loss: "categorical-crossentropy" }, "multiclass", three),
      "sigmoid-multiclass-head",
    );
    expect(f.severity).toBe("warning");
  });

  it("softmax head on multi-label targets: rows with several labels cannot be predicted", () => {
    const data = multilabel(rng("sml"), { rows: 300 });
    const f = only(
      setup(
        { units: 3, activation: "softmax", loss: "binary-crossentropy", metrics: ["binary-accuracy"] },
        "multilabel",
        data,
      ),
      "softmax-multilabel-head",
    );
    expect(f.evidence.rowsWithSeveralLabels as number).toBeGreaterThan(0.1);
    expect(f.evidence.bestReachableBinaryAccuracy as number).toBeLessThan(1);
  });

  it("output range: relu cannot reach negative targets, tanh cannot reach [0, 5]", () => {
    const data = linear(rng("or"), { rows: 300 });
    const relu = only(
      setup({ units: 1, activation: "relu", loss: "mse", metrics: [] }, "regression", data),
      "output-range-mismatch",
    );
    expect(relu.severity).toBe("error");
    expect(relu.evidence.lossFloor as number).toBeGreaterThan(0);
    const wide = mapColumn(data, "targets", 0, (_v, r) => (r % 6));
    const tanh = only(
      setup({ units: 1, activation: "tanh", loss: "mae", metrics: [] }, "regression", wide),
      "output-range-mismatch",
    );
    expect(tanh.evidence.fractionOutside as number).toBeGreaterThan(0.5);
  });

  it("loss reduction sum: a warning under SGD with the effective learning rate, info under Adam", () => {
    const sgd = only(
      setup(
        {
          units: 1,
          activation: "sigmoid",
          loss: "binary-crossentropy",
          reduction: "sum",
          optimizer: "sgd",
          batchSize: 64,
        },
        "binary",
        binary,
      ),
      "loss-reduction-sum",
    );
    expect(sgd.severity).toBe("warning");
    expect(sgd.evidence.effectiveLearningRate).toBeCloseTo(0.64, 10);
    const adam = only(
      setup(
        { units: 1, activation: "sigmoid", loss: "binary-crossentropy", reduction: "sum" },
        "binary",
        binary,
      ),
      "loss-reduction-sum",
    );
    expect(adam.severity).toBe("info");
  });

  it("binary accuracy over one-hot classes scores the all-zero model at (C-1)/C", () => {
    const f = only(
      setup(
        { units: 3, activation: "softmax", loss: "categorical-crossentropy", metrics: ["binary-accuracy"] },
        "multiclass",
        three,
      ),
      "accuracy-semantics-mismatch",
    );
    expect(f.evidence.accuracyOfAllZeroPredictions).toBeCloseTo(2 / 3, 3);
    expect(remedyOf(f)).toEqual({ kind: "set-metric", from: "binary-accuracy", to: "categorical-accuracy" });
  });

  it("the loss-based (Keras 2) resolution of accuracy under BCE on one-hot classes is caught too", () => {
    const fs = diagnoseSetup({
      scenario: scenario({ units: 3, activation: "softmax", loss: "binary-crossentropy" }),
      task: taskInfo("multiclass"),
      targets: summarizeTargets(threeHot),
      accuracy: { kind: "binary", reason: "the loss is binary cross-entropy" },
    });
    expect(fs.map((f) => f.code)).toEqual(["accuracy-semantics-mismatch"]);
  });

  it("argmax over one unit, accuracy on regression, and a 0.5 threshold on logits", () => {
    const arg = only(
      setup(
        { units: 1, activation: "sigmoid", loss: "binary-crossentropy", metrics: ["categorical-accuracy"] },
        "binary",
        binary,
      ),
      "accuracy-semantics-mismatch",
    );
    expect(arg.evidence.shareOfClass0).toBeCloseTo(0.5, 1);
    const reg = only(
      setup({ units: 1, activation: "linear", loss: "mse" }, "regression", linear(rng("ar"), { rows: 100 })),
      "accuracy-semantics-mismatch",
    );
    expect(reg.evidence.accuracyOfPerfectPredictions as number).toBeLessThan(0.05);
    const logits = only(
      setup(
        {
          units: 1,
          activation: "linear",
          loss: "binary-crossentropy",
          fromLogits: true,
          metrics: ["binary-accuracy"],
        },
        "binary",
        binary,
      ),
      "accuracy-semantics-mismatch",
    );
    expect(logits.severity).toBe("warning");
    expect(logits.evidence.equivalentProbabilityThreshold).toBeCloseTo(0.6225, 3);
  });
});
