/**
 * Calibration on REAL trajectories: small models trained with the float64 trainer of
 * test/helpers/mlp_trainer.ts (the same records the GPU loop produces). Healthy runs of every task
 * kind must stay quiet (and never get an error); each broken setup must produce its finding.
 */
import { describe, expect, it } from "vitest";
import {
  diagnoseTraining,
  doubleSoftmaxEvidence,
  type TrainingContext,
} from "../../src/diagnose/training.ts";
import type { Matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import { CATALOGUE } from "../../src/diagnose/finding.ts";
import { FINDING_CODES, type FindingCode } from "../../src/report/types.ts";
import { accuracyOf, classView, snapshot } from "../../src/diagnose/training_signals.ts";
import {
  blobs,
  type Dataset2,
  linear,
  scenario,
  type ScenarioInit,
  trainedContext,
  xor,
} from "../helpers/records.ts";

/** Every training-family code of the catalogue (the codes a healthy run must not get). */
const TRAINING_CODES: FindingCode[] = FINDING_CODES.filter((c) => CATALOGUE[c].family === "training");

function codes(ctx: TrainingContext): string[] {
  return diagnoseTraining(ctx).map((f) => f.code);
}

/** Two labels per row: x0 > 0 and x1 > 0 (multilabel, learnable). */
function multilabel(n: number): Dataset2 {
  const rng = Rng.fromSeed(5).stream("ml");
  const x = new Float64Array(n * 2), y = new Float64Array(n * 2);
  for (let r = 0; r < n; r++) {
    const a = rng.normal(), b = rng.normal();
    x[2 * r] = a, x[2 * r + 1] = b, y[2 * r] = a > 0 ? 1 : 0, y[2 * r + 1] = b > 0 ? 1 : 0;
  }
  return { x: { data: x, rows: n, cols: 2 }, labels: { data: y, rows: n, cols: 2 } as Matrix };
}

const mc = (o: ScenarioInit = {}) => scenario({ task: "multiclass", ...o });
const hard3 = () => blobs(400, 3, { spread: 1.5 });

describe("healthy real runs stay quiet", () => {
  const healthy: [string, () => TrainingContext][] = [
    ["multiclass, adam", () => trainedContext(mc(), hard3())],
    [
      "multiclass, sgd 0.05",
      () => trainedContext(mc({ optimizer: { name: "sgd", learningRate: 0.05 } }), hard3()),
    ],
    [
      "multiclass, sparse labels",
      () => trainedContext(mc({ loss: { name: "sparse-categorical-crossentropy" } }), hard3()),
    ],
    [
      "multiclass, logits + fromLogits",
      () =>
        trainedContext(
          mc({
            layers: [[16, "relu"], [3, "linear"]],
            loss: { name: "categorical-crossentropy", fromLogits: true },
          }),
          hard3(),
        ),
    ],
    [
      "binary xor, adam 0.01",
      () =>
        trainedContext(
          scenario({
            task: "binary",
            layers: [[16, "relu"], [1, "sigmoid"]],
            loss: { name: "binary-crossentropy" },
            optimizer: { name: "adam", learningRate: 0.01 },
            epochs: 40,
          }),
          xor(400),
        ),
    ],
    [
      "binary, tanh hidden",
      () =>
        trainedContext(
          scenario({
            task: "binary",
            layers: [[16, "tanh"], [1, "sigmoid"]],
            loss: { name: "binary-crossentropy" },
            optimizer: { name: "adam", learningRate: 0.01 },
            epochs: 40,
          }),
          xor(400),
        ),
    ],
    [
      "multilabel",
      () =>
        trainedContext(
          scenario({
            task: "multilabel",
            layers: [[16, "relu"], [2, "sigmoid"]],
            loss: { name: "binary-crossentropy" },
            optimizer: { name: "adam", learningRate: 0.01 },
          }),
          multilabel(400),
        ),
    ],
    [
      "regression",
      () =>
        trainedContext(
          scenario({
            task: "regression",
            layers: [[16, "relu"], [1, "linear"]],
            loss: { name: "mse" },
            optimizer: { name: "adam", learningRate: 0.01 },
          }),
          linear(400),
        ),
    ],
    [
      "regression, wide targets (×100)",
      () =>
        trainedContext(
          scenario({
            task: "regression",
            layers: [[16, "relu"], [1, "linear"]],
            loss: { name: "mse" },
            optimizer: { name: "adam", learningRate: 0.01 },
          }),
          linear(400, { scale: 100 }),
        ),
    ],
    [
      "imbalanced but learnable (85/10/5)",
      () =>
        trainedContext(
          mc({ optimizer: { name: "adam", learningRate: 0.01 } }),
          blobs(600, 3, { spread: 2.5, weights: [0.85, 0.1, 0.05] }),
        ),
    ],
    [
      "small but converging lr: adam 1e-4",
      () => trainedContext(mc({ optimizer: { name: "adam", learningRate: 1e-4 }, epochs: 30 }), hard3()),
    ],
    [
      "small but converging lr: sgd 1e-3",
      () => trainedContext(mc({ optimizer: { name: "sgd", learningRate: 1e-3 }, epochs: 30 }), hard3()),
    ],
    [
      "noisy SGD: batch 4, lr 0.05, momentum 0.9",
      () =>
        trainedContext(
          mc({ batchSize: 4, epochs: 10, optimizer: { name: "sgd", learningRate: 0.05, momentum: 0.9 } }),
          hard3(),
        ),
    ],
  ];
  for (const [name, make] of healthy) {
    it(name, () => {
      const findings = diagnoseTraining(make());
      expect(findings.filter((f) => f.severity === "error")).toEqual([]);
      expect(findings.map((f) => f.code).filter((c) => TRAINING_CODES.includes(c) && c !== "overfitting"))
        .toEqual([]);
    });
  }
});

describe("broken real runs produce their finding", () => {
  it("learning rate too low (sgd 1e-6, adam 1e-6)", () => {
    expect(codes(trainedContext(mc({ optimizer: { name: "sgd", learningRate: 1e-6 } }), hard3()))).toContain(
      "learning-rate-too-low",
    );
    expect(codes(trainedContext(mc({ optimizer: { name: "adam", learningRate: 1e-6 } }), hard3()))).toContain(
      "learning-rate-too-low",
    );
  });

  it("learning rate too high: sgd 10 diverges (error), sgd 3 oscillates", () => {
    const f = diagnoseTraining(trainedContext(mc({ optimizer: { name: "sgd", learningRate: 10 } }), hard3()));
    expect(f.find((x) => x.code === "learning-rate-too-high")?.severity).toBe("error");
    expect(codes(trainedContext(mc({ optimizer: { name: "sgd", learningRate: 3 } }), hard3()))).toContain(
      "learning-rate-too-high",
    );
    expect(codes(trainedContext(mc({ optimizer: { name: "adam", learningRate: 1 } }), hard3()))).toContain(
      "learning-rate-too-high",
    );
  });

  it("regression with sgd 0.5 blows up: non-finite-loss names step and layer, and the learning rate", () => {
    const ctx = trainedContext(
      scenario({
        task: "regression",
        layers: [[16, "relu"], [1, "linear"]],
        loss: { name: "mse" },
        optimizer: { name: "sgd", learningRate: 0.5 },
      }),
      linear(400),
    );
    const f = diagnoseTraining(ctx);
    const nf = f.find((x) => x.code === "non-finite-loss")!;
    expect(nf.evidence.step).toBe((ctx.records.phase as { step: number }).step);
    expect(nf.evidence.finiteStepsBefore).toBeGreaterThan(0);
    expect(f.map((x) => x.code)).toContain("learning-rate-too-high");
    expect(f.map((x) => x.code)).not.toContain("dead-relu");
  });

  it("constant and zero initialization", () => {
    expect(codes(trainedContext(mc({ init: { kind: "constant", value: 0.1 } }), hard3()))).toContain(
      "constant-initialization",
    );
    const zeros = codes(trainedContext(mc({ init: { kind: "zeros" } }), hard3()));
    expect(zeros).toContain("constant-initialization");
    expect(zeros).not.toContain("learning-rate-too-low"); // gradients are 0: not the learning rate's fault
  });

  it("a deep sigmoid net has vanishing gradients", () => {
    const s = scenario({
      task: "binary",
      layers: [[16, "sigmoid"], [16, "sigmoid"], [16, "sigmoid"], [16, "sigmoid"], [16, "sigmoid"], [
        16,
        "sigmoid",
      ], [1, "sigmoid"]],
      loss: { name: "binary-crossentropy" },
      optimizer: { name: "sgd", learningRate: 0.01 },
    });
    const f = diagnoseTraining(trainedContext(s, xor(400)));
    const v = f.find((x) => x.code === "vanishing-gradients")!;
    expect(v).toBeDefined();
    expect(v.evidence.firstToLastRatio as number).toBeLessThan(1e-3);
    expect(f.map((x) => x.code)).not.toContain("not-learning");
  });

  it("the same batch every step", () => {
    const f = diagnoseTraining(trainedContext(mc({ sameBatchEveryStep: true }), hard3()));
    const r = f.find((x) => x.code === "repeated-batch")!;
    expect(r.evidence.distinctFingerprints).toBe(1);
    expect(r.evidence.expectedDistinctPerEpoch).toBe(10);
  });

  it("a summed loss makes the first loss anomalous, explained by the reduction", () => {
    const f = diagnoseTraining(
      trainedContext(mc({ loss: { name: "categorical-crossentropy", reduction: "sum" } }), hard3()),
    );
    const a = f.find((x) => x.code === "initial-loss-anomaly")!;
    expect(a.evidence.explainedBy).toContain("loss-reduction-sum");
  });

  it("overlapping, 95/5 imbalanced classes collapse onto the majority behind a good accuracy", () => {
    const d = blobs(600, 2, { spread: 0.2, weights: [0.95, 0.05] });
    const s = scenario({
      task: "binary",
      layers: [[8, "relu"], [1, "sigmoid"]],
      loss: { name: "binary-crossentropy" },
    });
    const c = codes(trainedContext(s, d));
    expect(c).toContain("majority-class-collapse");
    expect(c).toContain("accuracy-hides-class-failure");
  });

  it("a big net on few noisy rows overfits", () => {
    const s = mc({
      layers: [[128, "relu"], [3, "softmax"]],
      optimizer: { name: "adam", learningRate: 0.01 },
      epochs: 150,
      batchSize: 16,
    });
    const ctx = trainedContext(s, blobs(120, 3, { spread: 0.7 }), { fraction: 0.5 });
    const o = diagnoseTraining(ctx).find((x) => x.code === "overfitting")!;
    expect(o).toBeDefined();
    expect(o.evidence.gap as number).toBeGreaterThan(0.1);
  });

  it("a linear model on xor underfits when a relu probe does much better; no probe, no claim", () => {
    const s = scenario({
      task: "binary",
      layers: [[1, "sigmoid"]],
      loss: { name: "binary-crossentropy" },
      optimizer: { name: "adam", learningRate: 0.01 },
      epochs: 30,
    });
    const probeScenario = scenario({
      task: "binary",
      layers: [[16, "relu"], [1, "sigmoid"]],
      loss: { name: "binary-crossentropy" },
      optimizer: { name: "adam", learningRate: 0.01 },
      epochs: 30,
    });
    const probe = trainedContext(probeScenario, xor(400));
    const acc = (split: "train" | "validation") =>
      accuracyOf(classView(probe, snapshot(probe.records, split, "last"))!);
    const probes = {
      capacity: {
        train: { accuracy: acc("train") },
        validation: { accuracy: acc("validation") },
        description: "16 relu units",
      },
    };
    expect(codes(trainedContext(s, xor(400), { probes }))).toContain("underfitting");
    expect(codes(trainedContext(s, xor(400)))).not.toContain("underfitting");
  });

  it("double softmax: outputs sum to 1 and the logit gradient shrinks against the single softmax", () => {
    const ctx = trainedContext(mc({ loss: { name: "categorical-crossentropy", fromLogits: true } }), hard3());
    const e = doubleSoftmaxEvidence(ctx)!;
    expect(Math.abs((e.outputRowSumMean as number) - 1)).toBeLessThan(1e-9);
    expect(e.gradientShrink as number).toBeLessThan(0.5);
    expect(e.lossFloorWithDoubleSoftmax as number).toBeCloseTo(Math.log(1 + 2 / Math.E), 3);
    expect(doubleSoftmaxEvidence(trainedContext(mc(), hard3()))).toBeNull();
  });
});
