/**
 * The embedding, conv1d, global-avgpool1d/2d and batchnorm layer kinds end to end: short GPU
 * training trajectories against the float64 trainer (same weights, batches and masks; each layer's
 * twin), the evaluation with batch norm's moving statistics, Keras's initialisers, and the input
 * errors these layers make possible (a token with no row, a shape a layer cannot take).
 *
 * Trajectory tolerance, as test/train/trajectory.test.ts derives it: step 0 differs by the forward
 * pass's f32 rounding (the longest chain of roundings: the inputs, every layer's output width, the
 * output normalisation K, the batch reduction B and ~10 ULP for exp/log), relative to the loss; each
 * step adds one backward pass's rounding (the batch sums B and the widths again). The layers here add
 * reductions of their own (pooling over the steps, batch statistics over the rows): both are
 * counted in the widths and B. The loss must move by far more than that tolerance.
 */
import { afterAll, describe, expect, test } from "vitest";
import { loadScenarioData } from "../../src/data/load.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import { modelTwins, regularizedKernels } from "../../src/layers/mod.ts";
import { checkPenaltyConsistency } from "../../src/diagnose/consistency.ts";
import { l2Penalty } from "../../src/reference/regularization.ts";
import { lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import {
  gatherRows,
  referenceForward,
  referenceStep,
  referenceTrainerState,
} from "../../src/reference/trainer.ts";
import { Rng } from "../../src/random.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { trainingJob } from "../../src/train/job.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const source = memoryFileSource({});
const U = 2 ** -24;

/**
 * A token-sequence task: 8 tokens from a vocabulary of 20 per row; the class is whether tokens
 * 0-4 outnumber tokens 15-19 (an embedding + average pooling can learn it).
 */
function tokenRows(count: number, steps = 8, vocab = 20): number[][] {
  const rng = Rng.fromSeed(11).stream("tokens");
  return Array.from({ length: count }, () => {
    const tokens = Array.from(
      { length: steps },
      () => Math.min(vocab - 1, Math.floor(rng.uniform(0, vocab))),
    );
    const low = tokens.filter((t) => t < 5).length, high = tokens.filter((t) => t >= 15).length;
    return [...tokens, low > high ? 1 : 0];
  });
}

async function job(json: Record<string, unknown>) {
  const scenario = parseScenario(JSON.stringify({ name: "layers", ...json }), "/virtual/layers.json", source);
  const data = await loadScenarioData(scenario, source);
  return trainingJob(scenario, data);
}

type Job = Awaited<ReturnType<typeof job>>;

function referenceLosses(j: Job, steps: number): number[] {
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
        referenceStep(model, state, { x: gatherRows(j.train.x, rows), y: gatherRows(j.train.y, rows) }),
      );
    }
  }
  return losses;
}

function stepTolerance(j: Job, t: number, ref: number): number {
  const widths = j.shape.layers.reduce((s, l) => s + l.outSize, 0);
  const B = j.plan.batchSize;
  const K = j.shape.layers[j.shape.layers.length - 1].outSize;
  const forward = j.shape.inputs + widths + K + B + 10;
  return (forward + t * (B + widths)) * U * Math.max(1, Math.abs(ref));
}

const tokens = { rows: tokenRows(160), target: 8 };

const CASES: [string, Record<string, unknown>][] = [
  ["embedding → global-avgpool1d → dense softmax, adam", {
    data: tokens,
    model: {
      input: { shape: [8] },
      layers: [
        { type: "embedding", inputDim: 20, outputDim: 6 },
        { type: "global-avgpool1d" },
        { units: 2, activation: "softmax" },
      ],
    },
    loss: "categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.05 },
    training: { epochs: 3, batchSize: 16 },
  }],
  ["embedding → conv1d same (relu) → batchnorm → global-avgpool1d → dense sigmoid, sgd momentum", {
    data: tokens,
    model: {
      input: { shape: [8] },
      layers: [
        { type: "embedding", inputDim: 20, outputDim: 5 },
        { type: "conv1d", filters: 7, kernelSize: 3, padding: "same", activation: "relu" },
        { type: "batchnorm" },
        { type: "global-avgpool1d" },
        { units: 1, activation: "sigmoid" },
      ],
    },
    loss: "binary-crossentropy",
    optimizer: { name: "sgd", learningRate: 0.1, momentum: 0.9 },
    training: { epochs: 3, batchSize: 13 },
  }],
  ["embedding 24 → conv1d 3 valid (window depth 72: conv2d's im2col + matmul path) → global-avgpool1d", {
    data: tokens,
    model: {
      input: { shape: [8] },
      layers: [
        { type: "embedding", inputDim: 20, outputDim: 24 },
        { type: "conv1d", filters: 6, kernelSize: 3, activation: "elu" },
        { type: "global-avgpool1d" },
        { units: 2, activation: "softmax" },
      ],
    },
    loss: "categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.02 },
    training: { epochs: 3, batchSize: 16 },
  }],
  ["dense → batchnorm → dense, conv1d valid stride 2 on [6, 2] rows, rmsprop", {
    data: { generate: { kind: "blobs", samples: 150, features: 12, classes: 3 } },
    model: {
      input: { shape: [6, 2] },
      layers: [
        { type: "conv1d", filters: 4, kernelSize: 3, strides: 2, activation: "tanh" },
        { type: "global-avgpool1d" },
        { units: 9, activation: "relu" },
        { type: "batchnorm" },
        { units: 3, activation: "softmax" },
      ],
    },
    loss: "categorical-crossentropy",
    optimizer: { name: "rmsprop", learningRate: 0.01 },
    training: { epochs: 3, batchSize: 16 },
  }],
  ["L2 regularizers on conv1d and dense kernels (the penalty in every step's loss), adam", {
    data: { generate: { kind: "blobs", samples: 150, features: 12, classes: 3 } },
    model: {
      input: { shape: [6, 2] },
      layers: [
        { type: "conv1d", filters: 5, kernelSize: 3, padding: "same", activation: "relu", l2: 0.01 },
        { type: "flatten" },
        { units: 8, activation: "tanh", l2: 0.003 },
        { units: 3, activation: "softmax", l2: 0.05 },
      ],
    },
    loss: "categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.02 },
    training: { epochs: 3, batchSize: 16 },
  }],
  ["L2 on a dense stack with sum reduction, sgd momentum", {
    data: { generate: { kind: "moons", samples: 120, features: 2 } },
    model: {
      layers: [{ units: 12, activation: "relu", l2: 0.02 }, { units: 1, activation: "sigmoid", l2: 0.02 }],
    },
    loss: { name: "binary-crossentropy", reduction: "sum" },
    optimizer: { name: "sgd", learningRate: 0.01, momentum: 0.9 },
    training: { epochs: 3, batchSize: 12 },
  }],
  ["batchnorm over [2, 2, 3] images → global-avgpool2d → dense", {
    data: { generate: { kind: "blobs", samples: 120, features: 12, classes: 2 } },
    model: {
      input: { shape: [2, 2, 3] },
      layers: [
        { type: "batchnorm" },
        { type: "global-avgpool2d" },
        { units: 2, activation: "softmax" },
      ],
    },
    loss: "categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.05 },
    training: { epochs: 3, batchSize: 12 },
  }],
];

/** The case whose name starts with `prefix`. */
function caseNamed(prefix: string): Record<string, unknown> {
  return CASES.find(([name]) => name.startsWith(prefix))![1];
}

describe("sequence and normalisation layers: GPU trajectory against the float64 trainer", () => {
  for (const [name, spec] of CASES) {
    test(name, async () => {
      const ctx = await testContext();
      const j = await job(spec);
      const records = await trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer });
      expect(records.phase.status).toBe("completed");
      const steps = Math.min(20, records.steps.length);
      const ref = referenceLosses(j, steps);
      const gpu = records.steps.slice(0, steps).map((s) => s.loss);
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
      expect(Math.abs(ref[steps - 1] - ref[0])).toBeGreaterThan(100 * worst.tol);
    });
  }
});

describe("batch normalization at evaluation", () => {
  test("the epoch's evaluation normalises with the moving statistics, as the float64 twin does", async () => {
    const ctx = await testContext();
    const j = await job(caseNamed("dense → batchnorm → dense"));
    const records = await trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer });
    // The float64 trainer over every step of the run, then its inference pass on the training split.
    const twins = modelTwins(j.shape);
    const model = {
      layers: twins,
      loss: j.scenario.loss,
      optimizer: j.scenario.optimizer,
      dropoutSeed: j.dropoutSeed,
    };
    const state = referenceTrainerState(j.initial);
    for (let epoch = 1; epoch <= j.epochs; epoch++) {
      for (const rows of j.plan.epoch(epoch)) {
        referenceStep(model, state, { x: gatherRows(j.train.x, rows), y: gatherRows(j.train.y, rows) });
      }
    }
    const cfg = {
      name: j.scenario.loss.name,
      fromLogits: j.scenario.loss.fromLogits,
      delta: j.scenario.loss.delta,
    };
    const lossOf = (training: boolean) => {
      const fwd = referenceForward(
        model,
        state.params,
        j.train.x,
        training ? { step: state.step } : undefined,
      );
      return reduceLoss(lossPerRow(cfg, j.train.y, fwd.y[fwd.y.length - 1]), "mean");
    };
    const ref = lossOf(false);
    const gpu = records.history[records.history.length - 1].train.loss!;
    const tol = stepTolerance(j, state.step, ref) + (j.train.x.rows * 8) * U * ref;
    expect(Math.abs(gpu - ref), `gpu ${gpu}, float64 ${ref}`).toBeLessThanOrEqual(tol);
    // Normalising with the split's own statistics (training mode) gives a clearly different loss:
    // the match above is the moving statistics', not an accident.
    expect(Math.abs(lossOf(true) - ref)).toBeGreaterThan(100 * tol);
  });
});

describe("L2 regularization in the reported loss", () => {
  test("the evaluation's loss is the data loss plus every regularized kernel's l2·Σw², as Keras's evaluate", async () => {
    const ctx = await testContext();
    const j = await job(caseNamed("L2 regularizers"));
    let initial: number | null = null;
    await trainOnGpu(ctx, {
      ...j,
      loss: j.scenario.loss,
      optimizer: j.scenario.optimizer,
      epochs: 1,
      onEpoch: (e) => {
        if (e.epoch === 0) initial = e.train.engine.loss;
      },
    });
    const model = {
      layers: modelTwins(j.shape),
      loss: j.scenario.loss,
      optimizer: j.scenario.optimizer,
      dropoutSeed: 0,
    };
    const cfg = {
      name: j.scenario.loss.name,
      fromLogits: j.scenario.loss.fromLogits,
      delta: j.scenario.loss.delta,
    };
    const fwd = referenceForward(model, j.initial, j.train.x);
    const data = reduceLoss(lossPerRow(cfg, j.train.y, fwd.y[fwd.y.length - 1]), "mean");
    const penalty = regularizedKernels(j.shape, j.initial).reduce(
      (sum, k) => sum + l2Penalty(k.weights, k.l2),
      0,
    );
    expect(penalty).toBeGreaterThan(0.01);
    const gpu = initial!;
    expect(Math.abs(gpu - (data + penalty)), `gpu ${gpu}, data ${data} + penalty ${penalty}`)
      .toBeLessThanOrEqual(stepTolerance(j, 0, data + penalty));
  });

  test("the penalty's consistency entry accepts the engine's f32 value and rejects a wrong one", () => {
    const kernels = [{ weights: Float64Array.of(0.5, -1, 2), l2: 0.1 }, {
      weights: Float64Array.of(3),
      l2: 0.01,
    }];
    const exact = 0.1 * 5.25 + 0.01 * 9;
    expect(checkPenaltyConsistency(0, "train", { value: Math.fround(exact), kernels: 2 }, kernels).ok).toBe(
      true,
    );
    expect(checkPenaltyConsistency(0, "train", { value: exact * 1.001, kernels: 2 }, kernels).ok).toBe(false);
  });
});

describe("layer definitions: initialisers, shapes and input errors", () => {
  test("Keras initialisers: embedding U(-0.05, 0.05) with no bias, batch norm γ = 1 and β = 0", async () => {
    const j = await job(caseNamed("embedding → conv1d same"));
    const [table, conv, bn] = j.initial;
    expect(table.weights.length).toBe(20 * 5);
    expect(Math.max(...table.weights.map(Math.abs))).toBeLessThan(0.05);
    expect(new Set(table.weights).size).toBe(table.weights.length);
    expect(Array.from(table.biases)).toEqual([0, 0, 0, 0, 0]);
    expect([conv.inputs, conv.units]).toEqual([3 * 5, 7]);
    expect(Array.from(bn.weights)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(bn.biases)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  test("a token with no row is an input error naming the data row, the column and the value", async () => {
    const rows = tokenRows(30);
    rows[17][3] = 20; // inputDim is 20: rows 0..19
    const spec = { ...caseNamed("embedding → global-avgpool1d"), data: { rows, target: 8 } };
    const err = await job(spec).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain("data row 18");
    expect(err.message).toContain("token 20 has no row");
    expect(err.message).toContain("0..19");
    rows[17][3] = 2.5;
    expect((await job({ ...spec, data: { rows, target: 8 } }).catch((e) => e)).message).toContain(
      "token 2.5",
    );
  });

  test("shape mismatches and misplaced layers are input errors naming the layer and the shapes", async () => {
    const base = { data: tokens, loss: "categorical-crossentropy", optimizer: { name: "adam" } };
    const cases: [unknown[], unknown, string][] = [
      [
        [{ type: "conv1d", filters: 2, kernelSize: 3 }, { units: 2, activation: "softmax" }],
        [8],
        "[steps, channels]",
      ],
      [
        [{ type: "global-avgpool2d" }, { units: 2, activation: "softmax" }],
        [4, 2],
        "[height, width, channels]",
      ],
      [
        [{ type: "conv1d", filters: 2, kernelSize: 5 }, { units: 2, activation: "softmax" }],
        [4, 2],
        "at least 5 steps",
      ],
      [
        [{ units: 3 }, { type: "embedding", inputDim: 20, outputDim: 4 }, {
          units: 2,
          activation: "softmax",
        }],
        [8],
        "first layer",
      ],
      [
        [{ type: "embedding", inputDim: 20, outputDim: 4 }, { units: 2, activation: "softmax" }],
        [4, 2],
        "[steps]",
      ],
    ];
    for (const [layers, shape, text] of cases) {
      const err = await job({ ...base, model: { input: { shape }, layers } }).catch((e) => e);
      expect(err, text).toBeInstanceOf(InputError);
      expect(err.message).toContain("model.layers");
      expect(err.message).toContain(text);
    }
  });
});
