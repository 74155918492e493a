/**
 * The step records of convolutional layers are per filter and right: the GPU trainer's first-step
 * ‖dW‖, ‖db‖, dead-filter fraction (a filter is dead on a batch when its pre-activation is <= 0 at
 * every position of every row) and saturated fraction against the same quantities computed from the
 * float64 twins on the same batch; the evaluation's unit activity has one entry per filter.
 */
import { afterAll, describe, expect, it } from "vitest";
import { modelTwins } from "../../src/layers/mod.ts";
import { deadFraction, saturatedFraction, SATURATION_CUTOFFS } from "../../src/reference/instrument.ts";
import {
  gatherRows,
  referenceForward,
  referenceStep,
  referenceTrainerState,
} from "../../src/reference/trainer.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { inlineJob, trainOptions } from "../resources/_scenario.ts";

afterAll(releaseTestContext);

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describe("conv2d layer records", () => {
  it("first step: gradient norms, dead filters, saturation and unit activity per filter", async () => {
    const LR = 0.5;
    const job = await inlineJob("conv-records", {
      data: { generate: { kind: "shapes", samples: 48, features: 64, classes: 3 } },
      validation: null,
      model: {
        input: { shape: [8, 8, 1] },
        layers: [
          // 1×1 filters over non-negative pixels with zero biases: a filter whose weight is negative
          // is <= 0 at every position of every row (dead), the others are not (about half each).
          { type: "conv2d", filters: 12, kernelSize: 1, activation: "relu" },
          { type: "maxpool2d", poolSize: 2 },
          { type: "conv2d", filters: 3, kernelSize: 2, activation: "sigmoid" },
          { type: "flatten" },
          { units: 3, activation: "softmax" },
        ],
        // Large normal weights: some relu filters start dead, some sigmoid units saturated, so the
        // statistics are not trivially 0.
        init: { normal: { std: 1.5 } },
      },
      loss: "sparse-categorical-crossentropy",
      optimizer: { name: "sgd", learningRate: LR },
      training: { epochs: 1, batchSize: 16, shuffle: false },
    });
    const ctx = await testContext();
    const records = await trainOnGpu(ctx, trainOptions(job));
    const first = records.steps[0];
    expect(first.layers.length).toBe(3); // two convolutions and the dense head carry parameters

    const model = {
      layers: modelTwins(job.shape),
      loss: job.scenario.loss,
      optimizer: job.scenario.optimizer,
      dropoutSeed: job.dropoutSeed,
    };
    const rows = job.plan.epoch(1)[0];
    const batch = { x: gatherRows(job.train.x, rows), y: gatherRows(job.train.y, rows) };
    const fwd = referenceForward(model, job.initial, batch.x, { step: 0 });
    const state = referenceTrainerState(job.initial);
    referenceStep(model, state, batch);
    // SGD: W1 = W0 - lr·g, so g = (W0 - W1) / lr, exact enough in float64 for a norm check.
    const grads = job.initial.map((p, l) => ({
      dw: p.weights.map((w, i) => (w - state.params[l].weights[i]) / LR),
      db: p.biases.map((b, i) => (b - state.params[l].biases[i]) / LR),
    }));
    const zOf = [fwd.z[0]!, fwd.z[2]!];
    const filters = [12, 3];
    for (const l of [0, 1]) {
      const rec = first.layers[l];
      // The GPU norms are f32 sums of squares of f32 gradients: a few hundred roundings (2^-24 each)
      // on each side; 1e-4 relative leaves a wide margin and still catches a wrong tensor.
      expect(rec.gradNorm).toBeGreaterThan(0);
      expect(Math.abs(rec.gradNorm - norm(grads[l].dw))).toBeLessThanOrEqual(1e-4 * norm(grads[l].dw));
      expect(Math.abs(rec.biasGradNorm - norm(grads[l].db))).toBeLessThanOrEqual(
        1e-4 * norm(grads[l].db) + 1e-7,
      );
      const z = zOf[l];
      const positions = z.cols / filters[l];
      // Z is (rows · positions) × filters: the statistics are per filter.
      if (l === 0) {
        const dead = deadFraction(z.data, z.rows * positions, filters[l]);
        expect(dead.count).toBeGreaterThan(0);
        expect(rec.deadFraction).toBe(Math.fround(dead.fraction)); // the record holds an f32
        expect(rec.saturatedFraction).toBeNull();
      } else {
        const sat = saturatedFraction(z.data, {
          rows: z.rows * positions,
          units: filters[l],
          cutoff: SATURATION_CUTOFFS.sigmoid,
        });
        expect(sat.fraction).toBeGreaterThan(0);
        // One element within f32 rounding of the cutoff may fall either way.
        expect(Math.abs(rec.saturatedFraction! - sat.fraction)).toBeLessThanOrEqual(1 / z.data.length + 1e-7);
        expect(rec.deadFraction).toBeNull();
      }
    }
    const snapshot = records.predictions.find((p) => p.epoch === 0 && p.split === "train")!;
    expect(snapshot.unitActivity.map((u) => u?.length ?? null)).toEqual([12, null, null]);
  });
});
