/**
 * Each training detector on synthetic records shaped for exactly its case, and on the healthy
 * near-misses that must stay quiet (noisy SGD curves, unshuffled loaders, imbalanced data, ...).
 */
import { describe, expect, it } from "vitest";
import { diagnoseTraining } from "../../src/diagnose/training.ts";
import {
  detectAccuracyHidesClassFailure,
  detectMajorityClassCollapse,
  detectNotLearning,
} from "../../src/diagnose/training_outcome.ts";
import {
  detectDeadRelu,
  detectExplodingGradients,
  detectInitialLossAnomaly,
  detectLearningRateTooHigh,
  detectNonFiniteLoss,
  detectRepeatedBatch,
  detectSaturatedActivations,
} from "../../src/diagnose/training_dynamics.ts";
import type { Matrix } from "../../src/reference/matrix.ts";
import { oneHot } from "../../src/reference/metrics.ts";
import {
  defaultOutputs,
  oneHotTargets,
  scenario,
  syntheticContext,
  type SyntheticRun,
} from "../helpers/records.ts";

const Y = oneHotTargets(300, 3);
const base = (o: Partial<SyntheticRun> = {}): SyntheticRun => ({ scenario: scenario(), targets: Y, ...o });

describe("a healthy synthetic run", () => {
  it("has no findings at all", () => {
    expect(diagnoseTraining(syntheticContext(base({ validationTargets: oneHotTargets(90, 3) })))).toEqual([]);
  });

  it("noisy but decreasing SGD batch losses do not read as oscillation or divergence", () => {
    // ±40% multiplicative batch noise around a decaying curve; the epoch means decrease.
    const noisy = (s: number, n: number) =>
      (1.1 * Math.exp((-2 * s) / n) + 0.1) * (1 + 0.4 * Math.sin(s * 12.9898));
    const ctx = syntheticContext(base({ loss: noisy, layer: () => ({ updateRatio: 3e-2 }) }));
    expect(detectLearningRateTooHigh(ctx)).toBeNull();
  });
});

describe("repeated-batch", () => {
  it("one fingerprint at every step", () => {
    const f = detectRepeatedBatch(syntheticContext(base({ fingerprint: () => 0xdeadbeef })))!;
    expect(f.evidence).toMatchObject({
      fingerprint: "0xdeadbeef",
      steps: 100,
      distinctFingerprints: 1,
      expectedDistinctPerEpoch: 10,
    });
  });

  it("an unshuffled loader repeats each batch once per epoch: quiet", () => {
    expect(detectRepeatedBatch(syntheticContext(base({ fingerprint: (s) => s % 10 })))).toBeNull();
  });

  it("data that fits in one batch: quiet", () => {
    const small = oneHotTargets(20, 3);
    expect(detectRepeatedBatch(syntheticContext(base({ targets: small, fingerprint: () => 7 })))).toBeNull();
  });
});

describe("non-finite-loss", () => {
  it("names the first step and layer from the per-step counts", () => {
    const f = detectNonFiniteLoss(syntheticContext(base({
      loss: (s) => (s < 37 ? 1.1 * 1.2 ** s : NaN),
      layer: (s, l) => ({ nonFinite: s >= 37 && l === 1 ? 12 : 0 }),
    })))!;
    expect(f.evidence).toMatchObject({ step: 37, epoch: 4, layer: 2 });
    expect(f.message).toContain("layer 2");
  });

  it("from the phase when training stopped", () => {
    const f = detectNonFiniteLoss(
      syntheticContext(
        base({ phase: { status: "diverged", step: 5, epoch: 1, layer: 0, what: "NaN in weights" } }),
      ),
    )!;
    expect(f.evidence).toMatchObject({ step: 5, layer: 1, what: "NaN in weights" });
  });
});

describe("learning-rate-too-high", () => {
  it("an oscillating epoch curve with large updates", () => {
    const osc = (e: number) => (e % 2 ? 0.6 : 1.0);
    const f = detectLearningRateTooHigh(
      syntheticContext(base({ epochLoss: osc, layer: () => ({ updateRatio: 5e-2 }) })),
    )!;
    expect(f.evidence.pattern).toBe("oscillates");
    expect(f.severity).toBe("warning");
  });

  it("the same oscillation with Karpathy-sized updates (1e-3) is not blamed on the learning rate", () => {
    const osc = (e: number) => (e % 2 ? 0.6 : 1.0);
    expect(
      detectLearningRateTooHigh(
        syntheticContext(base({ epochLoss: osc, layer: () => ({ updateRatio: 1e-3 }) })),
      ),
    ).toBeNull();
  });
});

describe("learning-rate-too-high: what it must not claim", () => {
  const flat = () => 0.69;
  // Predictions that never improve: the full-pass loss stays where it started.
  const stuck = { outputs: (_split: string, _e: number, y: Matrix) => defaultOutputs(y, 3, 0.2) };
  it("a flat loss with steps large against the weights: a warning", () => {
    const f = detectLearningRateTooHigh(
      syntheticContext(
        base({ ...stuck, loss: flat, layer: () => ({ updateRatio: 0.5, weightNorm: 2 }) }),
      ),
    )!;
    expect(f.evidence.pattern).toBe("stays flat");
    expect(f.severity).toBe("warning");
  });

  it("a flat loss whose ratio is large only because the weights shrank towards zero: quiet", () => {
    // ‖ΔW‖ stays 0.2% of the initial norm while ‖W‖ decays 2 -> 0.01: the ratio ‖ΔW‖/‖W‖ reaches 0.4,
    // as with a linear model on data no line separates (its best weights are near zero).
    const layer = (s: number) => {
      const weightNorm = Math.max(2 * 0.95 ** s, 0.01);
      return { weightNorm, updateRatio: 0.004 / weightNorm };
    };
    expect(detectLearningRateTooHigh(syntheticContext(base({ ...stuck, loss: flat, layer }))))
      .toBeNull();
  });

  // Finite and growing, then non-finite from step 50 on.
  const rising = (s: number) => (s < 50 ? 1 + s / 10 : NaN);
  const big = () => ({ updateRatio: 0.5 });
  it("a divergence at a high learning rate is blamed on it", () => {
    const s = scenario({ optimizer: { name: "adam", learningRate: 0.1 } });
    const f = detectLearningRateTooHigh(syntheticContext(base({ scenario: s, loss: rising, layer: big })))!;
    expect(f.evidence.pattern).toBe("diverges");
    expect(f.severity).toBe("error");
  });

  it("the same divergence at Keras's default rate is left to the detectors of its cause", () => {
    for (
      const optimizer of [{ name: "adam" as const }, {
        name: "sgd" as const,
        learningRate: 0.001,
        momentum: 0.9,
      }]
    ) {
      const s = scenario({ optimizer });
      expect(detectLearningRateTooHigh(syntheticContext(base({ scenario: s, loss: rising, layer: big }))))
        .toBeNull();
    }
  });

  it("SGD's momentum counts: 0.005 with momentum 0.9 steps like 0.05, above the default 0.01", () => {
    const s = scenario({ optimizer: { name: "sgd", learningRate: 0.005, momentum: 0.9 } });
    expect(
      detectLearningRateTooHigh(syntheticContext(base({ scenario: s, loss: rising, layer: big })))?.evidence
        .pattern,
    )
      .toBe("diverges");
  });
});

describe("exploding-gradients", () => {
  it("norms growing 1000× while the loss diverges", () => {
    const f = detectExplodingGradients(syntheticContext(base({
      loss: (s) => 1 + s / 10,
      layer: (s) => ({ gradNorm: 0.1 * 1.08 ** s }),
      outputs: (_split, _e, y) => defaultOutputs(y, 3, 0.2),
    })))!;
    expect(f.evidence.growth as number).toBeGreaterThan(100);
  });

  it("steady norms: quiet", () => {
    expect(detectExplodingGradients(syntheticContext(base()))).toBeNull();
  });
});

describe("dead-relu and saturated-activations", () => {
  it("most units never active on the split", () => {
    const act = (_s: string, e: number, l: number, units: number) => {
      if (l !== 0) return null;
      const a = new Float64Array(units).fill(0.4);
      if (e > 0) a.fill(0, 0, 12);
      return a;
    };
    const f = detectDeadRelu(syntheticContext(base({ unitActivity: act })))!;
    expect(f.evidence.layers).toEqual([{ layer: 1, units: 16, dead: 12, deadFraction: 0.75, deadAtInit: 0 }]);
    expect(f.severity).toBe("warning");
  });

  it("half of the units or fewer: quiet", () => {
    const act = (
      _s: string,
      _e: number,
      l: number,
      units: number,
    ) => (l === 0 ? new Float64Array(units).fill(0.3).fill(0, 0, 8) : null);
    expect(detectDeadRelu(syntheticContext(base({ unitActivity: act })))).toBeNull();
  });

  it("sigmoid hidden pre-activations in the tails; a saturated OUTPUT layer is not flagged", () => {
    const s = scenario({ layers: [[16, "sigmoid"], [3, "softmax"]] });
    const f = detectSaturatedActivations(
      syntheticContext(
        base({ scenario: s, layer: (_s, l) => ({ saturatedFraction: l === 0 ? 0.8 : null }) }),
      ),
    )!;
    expect(f.evidence.layers).toEqual([{ layer: 1, activation: "sigmoid", saturated: 0.8, atStart: 0.8 }]);
    const out = scenario({
      task: "binary",
      layers: [[16, "relu"], [1, "sigmoid"]],
      loss: { name: "binary-crossentropy" },
    });
    expect(
      detectSaturatedActivations(
        syntheticContext(base({ scenario: out, layer: () => ({ saturatedFraction: 0.9 }) })),
      ),
    ).toBeNull();
  });
});

describe("initial-loss-anomaly", () => {
  it("ln C at the start: quiet; 5× ln C: flagged with the expected value derived from the targets", () => {
    expect(detectInitialLossAnomaly(syntheticContext(base({ initialLoss: Math.log(3) + 0.05 })))).toBeNull();
    const f = detectInitialLossAnomaly(syntheticContext(base({ initialLoss: 5 * Math.log(3) })))!;
    expect(f.evidence.expected as number).toBeCloseTo(Math.log(3), 3);
  });

  it("mse on standardized targets expects E[y²] = 1", () => {
    const rows = 200, y: number[] = [];
    for (let i = 0; i < rows; i++) y.push(Math.sqrt(2) * Math.sin(i * 0.7)); // mean 0, mean square ≈ 1
    const targets: Matrix = { data: Float64Array.from(y), rows, cols: 1 };
    const s = scenario({ task: "regression", layers: [[8, "relu"], [1, "linear"]], loss: { name: "mse" } });
    const run = {
      scenario: s,
      targets,
      outputs: (_s: string, _e: number, t: Matrix) => ({ ...t, data: t.data.map(() => 0) }),
    };
    expect(detectInitialLossAnomaly(syntheticContext({ ...run, initialLoss: 1.05 }))).toBeNull();
    expect(
      detectInitialLossAnomaly(syntheticContext({ ...run, initialLoss: 40 }))!.evidence.expected as number,
    ).toBeCloseTo(1, 1);
  });
});

describe("outcome: collapse, hidden class failure, not-learning", () => {
  it("article 003's arrays: per-class recall, not one-vs-rest agreement", () => {
    // 9 class-0 rows and 1 class-1 row scaled to 10× so that class 1 has 10 rows; model always predicts 0.
    const labels = [...new Array(90).fill(0), ...new Array(10).fill(1)];
    const y = oneHot(labels, 2);
    const always0 = (_s: string, _e: number, t: Matrix) =>
      defaultOutputs({ ...t, data: t.data.map((_, i) => (i % 2 === 0 ? 1 : 0)) }, 2, 0.9);
    const ctx = syntheticContext({
      scenario: scenario({ task: "binary", layers: [[8, "relu"], [2, "softmax"]] }),
      targets: y,
      outputs: always0,
    });
    const hides = detectAccuracyHidesClassFailure(ctx)!;
    expect(hides.evidence.accuracy).toBe(0.9);
    expect(hides.evidence.balancedAccuracy).toBe(0.5);
    const perClass = hides.evidence.perClass as { recall: number; oneVsRestAgreement: number }[];
    expect(perClass[1].recall).toBe(0);
    expect(perClass[1].oneVsRestAgreement).toBe(0.9);
    expect(detectMajorityClassCollapse(ctx)!.evidence.predictedHistogram).toEqual([100, 0]);
  });

  it("imbalanced but learnable (minority recall 0.6): neither collapse nor hidden failure", () => {
    const labels = [...new Array(90).fill(0), ...new Array(10).fill(1)];
    const pred = labels.map((l, i) => (l === 1 && i % 5 < 2 ? 0 : l)); // 6 of 10 minority rows recalled
    const outputs = (_s: string, _e: number, t: Matrix) =>
      defaultOutputs(oneHot(pred, 2), 2, t.rows ? 0.9 : 0.9);
    const ctx = syntheticContext({
      scenario: scenario({ task: "binary", layers: [[8, "relu"], [2, "softmax"]] }),
      targets: oneHot(labels, 2),
      outputs,
    });
    expect(detectMajorityClassCollapse(ctx)).toBeNull();
    expect(detectAccuracyHidesClassFailure(ctx)).toBeNull();
  });

  it("not-learning: flat loss at ln C with chance accuracy, dropped when a cause explains it", () => {
    const flat = base({ loss: () => Math.log(3), outputs: (_s, _e, t) => defaultOutputs(t, 3, 0) });
    expect(detectNotLearning(syntheticContext(flat))).not.toBeNull();
    const withCause = diagnoseTraining(syntheticContext({ ...flat, fingerprint: () => 1 }));
    expect(withCause.map((f) => f.code)).toContain("repeated-batch");
    expect(withCause.map((f) => f.code)).not.toContain("not-learning");
  });

  it("a skipped training phase gives no training findings", () => {
    expect(
      diagnoseTraining(
        syntheticContext(base({ phase: { status: "skipped", reason: "labels" }, fingerprint: () => 1 })),
      ),
    ).toEqual([]);
  });
});
