/**
 * The whole-model check (llm.c's test_gpt2 idea): the GPU trainer's per-step losses follow the
 * float64 reference trainer for the first steps, from the same weights, batches and dropout masks.
 */
import { afterAll, describe, expect, test } from "vitest";
import { loadScenarioData } from "../../src/data/load.ts";
import { memoryFileSource } from "../../src/io.ts";
import {
  gatherRows,
  referenceFit,
  referenceStep,
  referenceTrainerState,
} from "../../src/reference/trainer.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { trainingJob } from "../../src/train/job.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { modelTwins } from "../../src/layers/mod.ts";
import { IM2COL_MIN_DEPTH } from "../../src/layers/conv2d.ts";

afterAll(releaseTestContext);

const source = memoryFileSource({});

async function job(json: Record<string, unknown>) {
  const scenario = parseScenario(
    JSON.stringify({ name: "trajectory", ...json }),
    "/virtual/trajectory.json",
    source,
  );
  const data = await loadScenarioData(scenario, source);
  return trainingJob(scenario, data);
}

/** The float64 losses of the first `steps` steps of `j`. */
function referenceLosses(j: Awaited<ReturnType<typeof job>>, steps: number): number[] {
  const state = referenceTrainerState(j.initial);
  const model = {
    layers: modelTwins(j.shape),
    loss: j.scenario.loss,
    optimizer: j.scenario.optimizer,
    dropoutSeed: j.dropoutSeed,
  };
  const losses: number[] = [];
  for (let epoch = 1; losses.length < steps; epoch++) {
    for (const rows of j.plan.epoch(epoch)) {
      if (losses.length === steps) break;
      losses.push(
        referenceStep(model, state, {
          x: gatherRows(j.train.x, rows),
          y: gatherRows(j.train.y, rows),
          rowWeights: j.rowWeights ? Array.from(rows, (r) => j.rowWeights![r]) : undefined,
        }),
      );
    }
  }
  return losses;
}

const CASES: [string, Record<string, unknown>][] = [
  ["blobs, relu + softmax, categorical CE, adam", {
    data: { generate: { kind: "blobs", samples: 150, features: 4, classes: 3 } },
    model: { layers: [{ units: 16, activation: "relu" }, { units: 3, activation: "softmax" }] },
    loss: "categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.01 },
    training: { epochs: 4, batchSize: 16 },
  }],
  ["moons, tanh + sigmoid, binary CE, sgd momentum", {
    data: { generate: { kind: "moons", samples: 130, features: 2 } },
    model: { layers: [{ units: 9, activation: "tanh" }, { units: 1, activation: "sigmoid" }] },
    loss: "binary-crossentropy",
    optimizer: { name: "sgd", learningRate: 0.1, momentum: 0.9 },
    training: { epochs: 3, batchSize: 13 },
  }],
  ["linear regression, elu with dropout, mse, rmsprop", {
    data: {
      generate: { kind: "linear", samples: 110, features: 5 },
      transforms: [{ op: "standardize-target" }],
    },
    model: { layers: [{ units: 12, activation: "elu", dropout: 0.3 }, { units: 1, activation: "linear" }] },
    loss: "mse",
    optimizer: { name: "rmsprop", learningRate: 0.003 },
    training: { epochs: 3, batchSize: 11 },
  }],
  ["imbalanced blobs, class weights {0: 1, 1: 6}, relu + sigmoid, binary CE, adam", {
    data: {
      generate: { kind: "blobs", samples: 160, features: 3, classes: 2 },
      transforms: [{ op: "imbalance", class: 1, keep: 0.25 }],
    },
    model: { layers: [{ units: 8, activation: "relu" }, { units: 1, activation: "sigmoid" }] },
    loss: "binary-crossentropy",
    optimizer: { name: "adam", learningRate: 0.01 },
    training: { epochs: 4, batchSize: 8, classWeight: { "0": 1, "1": 6 } },
  }],
  ["blobs, balanced class weights, softmax, sparse CE from logits, sgd", {
    data: {
      generate: { kind: "blobs", samples: 150, features: 4, classes: 3 },
      transforms: [{ op: "imbalance", ratio: 0.2 }],
    },
    model: { layers: [{ units: 10, activation: "tanh" }, { units: 3, activation: "linear" }] },
    loss: { name: "sparse-categorical-crossentropy", fromLogits: true },
    optimizer: { name: "sgd", learningRate: 0.1 },
    training: { epochs: 4, batchSize: 10, classWeight: "balanced" },
  }],
  // Every layer kind of the image path: conv2d (same and valid; the second one's window depth
  // 3·3·12 = 108 takes the im2col + matmul path, its dX dZ·Wᵀ + col2im; the first one's the direct
  // kernels, with its act' fused into the max pooling's backward), max and average pooling, dropout
  // and activation as layers, flatten.
  ["small CNN on 8×8 shapes: conv, pools, dropout, activation layers, adam", {
    data: { generate: { kind: "shapes", samples: 90, features: 64, classes: 4 } },
    model: {
      input: { shape: [8, 8, 1] },
      layers: [
        { type: "conv2d", filters: 12, kernelSize: 3, padding: "same", activation: "relu" },
        { type: "maxpool2d", poolSize: 2 },
        { type: "dropout", rate: 0.2 },
        { type: "conv2d", filters: 3, kernelSize: 3, strides: 1 },
        { type: "activation", activation: "tanh" },
        { type: "avgpool2d", poolSize: 2, padding: "same" },
        { type: "flatten" },
        { units: 4, activation: "softmax" },
      ],
    },
    loss: "sparse-categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.01 },
    training: { epochs: 3, batchSize: 9 },
  }],
];

const U = 2 ** -24;

test("the small CNN case takes both convolution paths (direct, and im2col from IM2COL_MIN_DEPTH)", () => {
  expect(3 * 3 * 1).toBeLessThan(IM2COL_MIN_DEPTH);
  expect(3 * 3 * 12).toBeGreaterThanOrEqual(IM2COL_MIN_DEPTH);
});

/**
 * Tolerance of step t's loss. Step 0 differs only by the forward pass's float32 rounding: the
 * longest chain of roundings is the dot products along the path (inputs + Σ units), the output
 * normalisation (K), the batch reduction (B) and ~10 ULP for exp/log (WGSL bounds), each relative
 * to the loss. Each step then perturbs the weights by the rounding of one backward pass, whose
 * longest reduction chains are the batch sums of dW (B) and the dX products (Σ units): we allow that
 * many more roundings per step, still relative to the loss (the updates are small against the
 * weights, so the dynamics do not amplify the perturbation over 20 steps).
 */
function stepTolerance(j: Awaited<ReturnType<typeof job>>, t: number, ref: number): number {
  const units = j.shape.layers.reduce((s, l) => s + l.outSize, 0);
  const B = j.plan.batchSize;
  const K = j.shape.layers[j.shape.layers.length - 1].outSize;
  const forward = j.shape.inputs + units + K + B + 10;
  const perStep = B + units;
  return (forward + t * perStep) * U * Math.max(1, Math.abs(ref));
}

describe("GPU training trajectory against the float64 trainer", () => {
  for (const [name, spec] of CASES) {
    test(name, async () => {
      const ctx = await testContext();
      const j = await job(spec);
      const records = await trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer });
      const steps = Math.min(20, records.steps.length);
      const ref = referenceLosses(j, steps);
      const gpu = records.steps.slice(0, steps).map((s) => s.loss);
      expect(records.phase.status).toBe("completed");
      expect(gpu.length).toBe(20);
      const rows = gpu.map((g, i) => ({
        step: i,
        gpu: g,
        ref: ref[i],
        err: Math.abs(g - ref[i]),
        tol: stepTolerance(j, i, ref[i]),
      }));
      const worst = rows.reduce((a, b) => (b.err / b.tol > a.err / a.tol ? b : a));
      expect(
        worst.err,
        `worst step ${worst.step}: gpu ${worst.gpu}, ref ${worst.ref}, tolerance ${worst.tol}`,
      )
        .toBeLessThanOrEqual(worst.tol);
      // The loss must actually move, or matching would prove nothing.
      expect(Math.abs(ref[19] - ref[0])).toBeGreaterThan(100 * worst.tol);
    });
  }
});

describe("early stopping stops the GPU trainer where the float64 trainer stops", () => {
  // An overfitting setup (few noisy rows, a wide net, a high learning rate): the validation loss
  // turns up after a few epochs, clearly enough that float32 and float64 agree on the epoch.
  const overfit = (earlyStopping: Record<string, unknown>) => ({
    seed: 3,
    data: { generate: { kind: "blobs", samples: 120, features: 12, classes: 2, spread: 1, noise: 3 } },
    validation: { fraction: 0.5, shuffle: true },
    model: { layers: [{ units: 64, activation: "relu" }, { units: 1, activation: "sigmoid" }] },
    loss: "binary-crossentropy",
    optimizer: { name: "adam", learningRate: 0.03 },
    metrics: ["accuracy"],
    training: { epochs: 20, batchSize: 8, earlyStopping },
  });
  for (
    const es of [
      { monitor: "val_loss", patience: 2, restoreBestWeights: true },
      { monitor: "val_accuracy", patience: 3, minDelta: 0.01 },
    ]
  ) {
    test(JSON.stringify(es), async () => {
      const ctx = await testContext();
      const j = await job(overfit(es));
      const records = await trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer });
      const model = {
        layers: modelTwins(j.shape),
        loss: j.scenario.loss,
        optimizer: j.scenario.optimizer,
        dropoutSeed: j.dropoutSeed,
      };
      const ref = referenceFit(model, j.initial, {
        train: j.train,
        validation: j.validation,
        batches: (e) => j.plan.epoch(e),
        epochs: j.epochs,
        earlyStopping: j.earlyStopping,
      });
      expect(ref.stoppedEpoch, "the case must stop early, or it proves nothing").not.toBeNull();
      expect(records.earlyStopping?.stoppedEpoch).toBe(ref.stoppedEpoch);
      expect(records.earlyStopping?.bestEpoch).toBe(ref.bestEpoch);
      expect(records.history.length).toBe(ref.stoppedEpoch);
      if (es.restoreBestWeights) {
        expect(records.earlyStopping?.restored).toBe(true);
        // The weights the run ends with are the best epoch's: float32 against float64 after
        // bestEpoch epochs of steps, close in relative terms (the trajectory test bounds the drift).
        const got = records.finalWeights[0].weights, want = ref.params[0].weights;
        let num = 0, den = 0;
        for (let i = 0; i < want.length; i++) {
          num += (got[i] - want[i]) ** 2;
          den += want[i] ** 2;
        }
        expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
      }
    });
  }
});
