/**
 * The batch-normalization statistics reach the records: after each epoch the GPU trainer reads back
 * each batch-norm layer's moving mean and variance and its last training batch's mean and variance
 * (in the epoch's one readback, no extra one), and they equal what the float64 twin computes on the
 * same batches within a tolerance derived from the statistics kernel.
 *
 * The layer is the model's first, so its input is the data itself: its statistics depend only on
 * the batches (not on the weights the optimizer moves), and the float64 trainer, replaying the same
 * batch order, is the exact reference; the only differences are the kernel's float32 arithmetic.
 * The pipeline's consistency check (checkBatchNormConsistency) replays them the same way.
 */
import { afterAll, describe, expect, it } from "vitest";
import { batchNormStatisticsTolerance, checkBatchNormConsistency } from "../../src/diagnose/consistency.ts";
import { modelTwins } from "../../src/layers/mod.ts";
import type { LayerTwin } from "../../src/reference/layer_twin.ts";
import { gatherRows, referenceStep, referenceTrainerState } from "../../src/reference/trainer.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { inlineJob, trainOptions } from "../resources/_scenario.ts";

afterAll(releaseTestContext);

const CASES = [
  {
    name: "dense input [5]",
    id: "dense",
    json: {
      data: { generate: { kind: "blobs", samples: 90, features: 5, classes: 3, spread: 3 } },
      model: {
        layers: [{ type: "batchnorm", momentum: 0.9 }, { units: 8, activation: "relu" }, {
          units: 3,
          activation: "softmax",
        }],
      },
      loss: "sparse-categorical-crossentropy",
      training: { epochs: 3, batchSize: 16, shuffle: true },
    },
  },
  {
    name: "image input [6, 6, 1]",
    id: "image",
    json: {
      data: { generate: { kind: "shapes", samples: 40, features: 36, classes: 2 } },
      model: {
        input: { shape: [6, 6, 1] },
        layers: [{ type: "batchnorm" }, { type: "conv2d", filters: 3, kernelSize: 3, activation: "relu" }, {
          type: "flatten",
        }, { units: 2, activation: "softmax" }],
      },
      loss: "sparse-categorical-crossentropy",
      training: { epochs: 2, batchSize: 8, shuffle: true },
    },
  },
];

describe("batch-norm statistics records", () => {
  for (const c of CASES) {
    it(`${c.name}: moving and last-batch statistics per epoch match the float64 twin`, async () => {
      const job = await inlineJob(`bn-records-${c.id}`, { validation: null, optimizer: "adam", ...c.json });
      const ctx = await testContext();
      const records = await trainOnGpu(ctx, trainOptions(job));
      expect(records.readbacksPerEpoch).toBeLessThanOrEqual(1);
      const bn = records.batchNorm!;
      expect(bn.length).toBe(1);
      expect(bn[0].layer).toBe(0);
      const momentum = (c.json.model.layers[0] as { momentum?: number }).momentum ?? 0.99;
      expect(bn[0].momentum).toBeCloseTo(momentum, 12);
      expect(bn[0].epochs.map((e) => e.epoch)).toEqual(
        Array.from({ length: c.json.training.epochs }, (_, i) => i + 1),
      );

      const twins: LayerTwin[] = modelTwins(job.shape);
      const model = {
        layers: twins,
        loss: job.scenario.loss,
        optimizer: job.scenario.optimizer,
        dropoutSeed: 0,
      };
      const state = referenceTrainerState(job.initial);
      const x = job.train.x;
      const channels = job.shape.layers[0].input[job.shape.layers[0].input.length - 1];
      // Per channel the largest |x| over the training split (as uploaded, float32): it bounds |mean|,
      // every |x - mean| by 2S and the variance by S².
      const S = new Float64Array(channels);
      for (let i = 0; i < x.data.length; i++) {
        S[i % channels] = Math.max(S[i % channels], Math.abs(x.data[i]));
      }
      let steps = 0;
      for (let epoch = 1; epoch <= c.json.training.epochs; epoch++) {
        const batches = job.plan.epoch(epoch);
        let rowsPerChannel = 0;
        for (const rows of batches) {
          referenceStep(model, state, { x: gatherRows(x, rows), y: gatherRows(job.train.y, rows) });
          rowsPerChannel = Math.max(rowsPerChannel, rows.length * (x.cols / channels));
          steps++;
        }
        const ref = twins[0].normalization!();
        const gpu = bn[0].epochs[epoch - 1];
        // |gpu - ref| <= atol per channel (rtol 0: the bounds scale with S, the channel's largest |x|),
        // derived from batchnorm_stats_forward's error analysis: see batchNormStatisticsTolerance.
        for (let ch = 0; ch < channels; ch++) {
          const tol = batchNormStatisticsTolerance(S[ch], rowsPerChannel, steps, momentum);
          expect(Math.abs(gpu.batchMean[ch] - ref.batchMean[ch])).toBeLessThanOrEqual(tol.batchMean);
          expect(Math.abs(gpu.batchVariance[ch] - ref.batchVariance[ch])).toBeLessThanOrEqual(
            tol.batchVariance,
          );
          expect(Math.abs(gpu.movingMean[ch] - ref.movingMean[ch])).toBeLessThanOrEqual(tol.movingMean);
          expect(Math.abs(gpu.movingVariance[ch] - ref.movingVariance[ch])).toBeLessThanOrEqual(
            tol.movingVariance,
          );
        }
        // Not trivially equal: the moving statistics have moved from their start (mean 0, variance 1).
        expect(ref.movingVariance.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
      }

      // The pipeline's consistency check replays the same statistics (this layer reads the data):
      // one entry per statistic, all within tolerance; a moving mean off by 1e-3 is caught.
      const batches = (e: number) => job.plan.epoch(e);
      const checked = checkBatchNormConsistency(bn, x, batches);
      expect(checked.map((e) => e.ok)).toEqual([true, true, true, true]);
      const lastEpoch = bn[0].epochs[bn[0].epochs.length - 1];
      const tampered = [{
        ...bn[0],
        epochs: [{ ...lastEpoch, movingMean: lastEpoch.movingMean.map((v, i) => (i === 0 ? v + 1e-3 : v)) }],
      }];
      expect(checkBatchNormConsistency(tampered, x, batches).map((e) => e.ok)).toEqual([
        false,
        true,
        true,
        true,
      ]);
    }, 120_000);
  }
});
