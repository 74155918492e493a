/**
 * The GPU memory of a training step stays within 2× of the sum of its activations and parameters,
 * counted from the buffer pool: every buffer the parameters and the prepared step acquire (including
 * gradients, optimizer state, the record and the uniforms) against the tensors a forward pass must
 * produce anyway (the input batch, each layer's output, and its pre-activations where it keeps them)
 * plus the weights and biases.
 *
 * The bound is for convolutional steps, whose memory is their activations. A parameter-heavy MLP
 * cannot meet it by construction: Adam's two moments alone are twice the parameters, and the step
 * keeps dW and W before the update (for the update ratio) besides (the bench's MLP: 2.65× under
 * Adam, 2.19× under SGD).
 */
import { afterAll, describe, expect, it } from "vitest";
import { parameterLayers } from "../../src/layers/mod.ts";
import { prepareTrainStep, uploadParameters } from "../../src/train/gpu_network.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { inlineJob } from "./_scenario.ts";

afterAll(releaseTestContext);

const CASES: [string, Record<string, unknown>][] = [
  ["the bench CNN: 64 × 28×28×1, conv 16 3×3 relu, max pool, dense 10, adam", {
    data: { generate: { kind: "shapes", samples: 64, features: 784, classes: 4 } },
    model: {
      input: { shape: [28, 28, 1] },
      layers: [
        { type: "conv2d", filters: 16, kernelSize: 3, activation: "relu" },
        { type: "maxpool2d", poolSize: 2 },
        { type: "flatten" },
        { units: 4, activation: "softmax" },
      ],
    },
    loss: "sparse-categorical-crossentropy",
    optimizer: "adam",
    training: { batchSize: 64 },
  }],
  ["the digits CNN: 64 × 8×8×1, conv 16 3×3 same relu, max pool, dense 10, adam", {
    data: { generate: { kind: "shapes", samples: 64, features: 64, classes: 4 } },
    model: {
      input: { shape: [8, 8, 1] },
      layers: [
        { type: "conv2d", filters: 16, kernelSize: 3, padding: "same", activation: "relu" },
        { type: "maxpool2d", poolSize: 2 },
        { type: "flatten" },
        { units: 4, activation: "softmax" },
      ],
    },
    loss: "sparse-categorical-crossentropy",
    optimizer: "adam",
    training: { batchSize: 64 },
  }],
  // The second conv's window depth 3·3·32 = 288 trains through im2col: the patch matrix (reused for
  // dZ·Wᵀ before col2im) is the one buffer beyond the activations.
  ["an MNIST-sized two-conv CNN: 32 × 28×28×1, conv 32 and 64 3×3 relu with max pools, dense 10", {
    data: { generate: { kind: "shapes", samples: 32, features: 784, classes: 4 } },
    model: {
      input: { shape: [28, 28, 1] },
      layers: [
        { type: "conv2d", filters: 32, kernelSize: 3, activation: "relu" },
        { type: "maxpool2d", poolSize: 2 },
        { type: "conv2d", filters: 64, kernelSize: 3, activation: "relu" },
        { type: "maxpool2d", poolSize: 2 },
        { type: "flatten" },
        { units: 4, activation: "softmax" },
      ],
    },
    loss: "sparse-categorical-crossentropy",
    optimizer: "adam",
    training: { batchSize: 32 },
  }],
];

describe("memory of a training step", () => {
  for (const [name, spec] of CASES) {
    it(`${name}: within 2× of activations + parameters`, async () => {
      const ctx = await testContext();
      const job = await inlineJob("step-memory", { ...spec, validation: null });
      const B = job.plan.batchSize;
      const before = ctx.pool.stats().liveBytes;
      const params = uploadParameters(ctx, job.initial);
      const step = await prepareTrainStep(ctx, params, {
        shape: job.shape,
        loss: job.scenario.loss,
        optimizer: job.scenario.optimizer,
        batchSize: B,
        targetWidth: job.train.y.cols,
        dropoutSeed: 1,
      });
      const used = ctx.pool.stats().liveBytes - before;
      const activations = B * job.shape.inputs +
        job.shape.layers.reduce((n, l) => n + B * l.outSize * (l.parameters ? 2 : 1), 0);
      const parameters = parameterLayers(job.shape)
        .reduce((n, l) => n + (l.parameters!.inputs + 1) * l.parameters!.units, 0);
      const ratio = used / (4 * (activations + parameters));
      console.log(`${name}: ${used} bytes, ${ratio.toFixed(3)}× activations + parameters`);
      expect(step.recordWords).toBeGreaterThan(0);
      expect(ratio).toBeLessThanOrEqual(2);
    });
  }
});
