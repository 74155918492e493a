/**
 * batchnorm-stale-statistics on its case (moving statistics far from the batches' AND an inference
 * loss well above the training-mode loss) and quiet on every healthy variant: statistics that agree,
 * stale statistics that do not hurt, a disagreement that one small batch's sampling noise explains,
 * a model without batch norm. Then real runs on the GPU: Keras's default momentum over 12 steps
 * fires, momentum 0.9 on the same setup does not, and `--verify` confirms the gallery case's remedy.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/app/run.ts";
import {
  detectStaleBatchNormStatistics,
  statisticsGap,
  suggestedMomentum,
} from "../../src/diagnose/batchnorm_statistics.ts";
import type { TrainingContext } from "../../src/diagnose/training.ts";
import { memoryFileSource } from "../../src/io.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import type { BatchNormRecord, StepRecord, TrainingRecords } from "../../src/train/records.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { inlineJob, trainOptions } from "../resources/_scenario.ts";

afterAll(releaseTestContext);

const LAYERS = [{ units: 16, activation: "relu" }, { type: "batchnorm" }, {
  units: 3,
  activation: "softmax",
}];

function scenarioOf(layers: unknown[] = LAYERS, shape?: number[]) {
  return parseScenario(
    JSON.stringify({
      name: "bn-stale",
      data: { generate: { kind: "blobs", samples: 120, features: 4, classes: 3 } },
      model: { ...(shape ? { input: { shape } } : {}), layers },
      loss: "sparse-categorical-crossentropy",
      training: { batchSize: 32, epochs: 4 },
    }),
    "/virtual/bn-stale.json",
    memoryFileSource({}),
  );
}

/** Outputs of `rows` rows whose sparse cross-entropy is exactly `loss` (p = e^-loss on class 0). */
function snapshotWithLoss(rows: number, loss: number, epoch: number) {
  const p = Math.exp(-loss), outputs = new Float64Array(rows * 3);
  for (let r = 0; r < rows; r++) outputs.set([p, (1 - p) / 2, (1 - p) / 2], 3 * r);
  return { epoch, split: "train" as const, rows, cols: 3, outputs, logits: outputs, unitActivity: [] };
}

/** Statistics of 16 channels: the batches' (mean 0.5, variance 0.1) and the moving ones given. */
function bnRecord(moving: { mean: number; variance: number }, layer = 1): BatchNormRecord {
  const c = 16, fill = (v: number) => new Array<number>(c).fill(v);
  // A little spread across channels so the summaries are not degenerate.
  const jitter = (v: number) => fill(v).map((x, i) => x * (1 + 0.01 * i));
  return {
    layer,
    momentum: 0.99,
    epsilon: 1e-3,
    epochs: [{
      epoch: 4,
      movingMean: jitter(moving.mean),
      movingVariance: jitter(moving.variance),
      batchMean: jitter(0.5),
      batchVariance: jitter(0.1),
    }],
  };
}

function context(
  o: { trainingLoss: number; inferenceLoss: number; bn: BatchNormRecord[] | undefined; lastRows?: number },
  layers: unknown[] = LAYERS,
  shape?: number[],
): TrainingContext {
  const rows = 96;
  const steps: StepRecord[] = [];
  for (let epoch = 1; epoch <= 4; epoch++) {
    for (let s = 0; s < 3; s++) {
      const batchRows = s === 2 && o.lastRows ? o.lastRows : 32;
      steps.push({
        step: steps.length,
        epoch,
        batchRows,
        loss: epoch === 1 && s === 0 ? 1.1 : o.trainingLoss,
        fingerprint: steps.length,
        layers: [],
      });
    }
  }
  const records: TrainingRecords = {
    phase: { status: "completed" },
    initialLoss: 1.1,
    steps,
    stepsPerEpoch: 3,
    history: [1, 2, 3, 4].map((epoch) => ({
      epoch,
      train: { loss: o.inferenceLoss },
      validation: null,
      batchLossMean: o.trainingLoss,
    })),
    predictions: [snapshotWithLoss(rows, o.inferenceLoss, 4)],
    initialWeights: [],
    finalWeights: [],
    batchNorm: o.bn,
    readbacksPerEpoch: 1,
    trainMs: 0,
  };
  const y = { rows, cols: 1, data: new Float64Array(rows) };
  return {
    scenario: scenarioOf(layers, shape),
    task: "multiclass",
    targets: { train: y, validation: null },
    records,
  };
}

const STALE = { mean: 0.06, variance: 0.9 };
const FRESH = { mean: 0.5, variance: 0.1 };

describe("batchnorm-stale-statistics", () => {
  it("stale moving statistics and an inference loss 2.4× the training-mode loss: fires", () => {
    const f = detectStaleBatchNormStatistics(
      context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(STALE)] }),
    )!;
    expect(f.code).toBe("batchnorm-stale-statistics");
    expect(f.severity).toBe("warning");
    expect(f.title).toContain("layer 2");
    const e = f.evidence as Record<string, unknown> & { layers: Record<string, unknown>[] };
    expect(e.stepsTrained).toBe(12);
    expect(e.layers[0].layer).toBe(2);
    expect(e.layers[0].valuesPerChannelInLastBatch).toBe(32);
    expect((e.layers[0].varianceRatio as { median: number }).median).toBeGreaterThan(5);
    expect(e.lossRatio).toBeCloseTo(2.4, 3);
    expect(e.remedy).toEqual({
      kind: "set-batchnorm-momentum",
      layers: [2],
      momentum: suggestedMomentum(12),
    });
  });

  it("the same stale statistics when inference is not hurt: quiet", () => {
    expect(
      detectStaleBatchNormStatistics(
        context({ trainingLoss: 0.25, inferenceLoss: 0.3, bn: [bnRecord(STALE)] }),
      ),
    )
      .toBeNull();
  });

  it("a hurt inference loss with moving statistics that match the batches: quiet (another cause)", () => {
    expect(
      detectStaleBatchNormStatistics(
        context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(FRESH)] }),
      ),
    )
      .toBeNull();
  });

  it("a ratio of tiny losses (a model that fits its rows): quiet", () => {
    expect(
      detectStaleBatchNormStatistics(
        context({ trainingLoss: 0.001, inferenceLoss: 0.004, bn: [bnRecord(STALE)] }),
      ),
    ).toBeNull();
  });

  it("a gap that one small last batch's sampling noise explains: quiet", () => {
    // Moving mean 0.2 against a batch mean of 0.5 (variance 0.1): δ ≈ 0.58 standard deviations of
    // the moving scale, below 2·√(1.5/4) = 1.22 for a last batch of 4 values per channel.
    const gapOnly = { mean: 0.28, variance: 0.14 };
    const c = context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(gapOnly)], lastRows: 4 });
    const d = statisticsGap(c.records.batchNorm![0], 0).distortion;
    expect(d[0]).toBeGreaterThan(0.5);
    expect(d[0]).toBeLessThan(1.22);
    expect(detectStaleBatchNormStatistics(c)).toBeNull();
    // With full batches of 32 the same gap is beyond noise (threshold max(0.5, 0.43)).
    expect(
      detectStaleBatchNormStatistics(
        context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(gapOnly)] }),
      ),
    )
      .not.toBeNull();
  });

  it("channels-last: the values per channel count every position", () => {
    const layers = [
      { type: "conv2d", filters: 4, kernelSize: 3, activation: "relu" },
      { type: "batchnorm" },
      {
        type: "flatten",
      },
      { units: 3, activation: "softmax" },
    ];
    const c = context(
      { trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(STALE)], lastRows: 4 },
      layers,
      [
        6,
        6,
        1,
      ],
    );
    const f = detectStaleBatchNormStatistics(c)!;
    // 4 rows × 4×4 positions.
    expect((f.evidence.layers as Record<string, unknown>[])[0].valuesPerChannelInLastBatch).toBe(64);
  });

  it("class weights: the weighted inference loss (the engine's) is compared, not the unweighted one", () => {
    // The unweighted snapshot loss (0.6) would look hurt against weighted step losses of 0.35; the
    // weighted evaluation loss (0.4) is not.
    const c = context({ trainingLoss: 0.35, inferenceLoss: 0.6, bn: [bnRecord(STALE)] });
    c.scenario.training.classWeight = "balanced";
    c.records.history = c.records.history.map((h) => ({ ...h, train: { loss: 0.4 } }));
    expect(detectStaleBatchNormStatistics(c)).toBeNull();
    c.records.history = c.records.history.map((h) => ({ ...h, train: { loss: 0.9 } }));
    expect(detectStaleBatchNormStatistics(c)).not.toBeNull();
  });

  it("no batch norm, records from before the field, a diverged run: quiet", () => {
    expect(detectStaleBatchNormStatistics(context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [] })))
      .toBeNull();
    expect(detectStaleBatchNormStatistics(context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: undefined })))
      .toBeNull();
    const c = context({ trainingLoss: 0.25, inferenceLoss: 0.6, bn: [bnRecord(STALE)] });
    c.records.phase = { status: "diverged", step: 3, epoch: 1, layer: null, what: "the batch loss is NaN" };
    expect(detectStaleBatchNormStatistics(c)).toBeNull();
  });

  it("the suggested momentum: at most 0.9, and the start weighs <= 5% after the run's steps", () => {
    expect(suggestedMomentum(12)).toBe(0.77);
    expect(0.77 ** 12).toBeLessThanOrEqual(0.05);
    expect(suggestedMomentum(1000)).toBe(0.9);
  });
});

describe("batchnorm-stale-statistics on a real run (GPU)", () => {
  const json = (momentum: number) => ({
    seed: 7,
    data: {
      generate: { kind: "blobs", samples: 120, features: 4, classes: 3, spread: 4 },
      transforms: [{ op: "standardize-features" }],
    },
    model: { layers: [LAYERS[0], { type: "batchnorm", momentum }, LAYERS[2]] },
    loss: "sparse-categorical-crossentropy",
    optimizer: { name: "adam", learningRate: 0.03 },
    training: { epochs: 4, batchSize: 32 },
  });
  for (const [momentum, fires] of [[0.99, true], [0.9, false]] as const) {
    it(`momentum ${momentum} over 12 steps: ${fires ? "fires" : "quiet"}`, async () => {
      const job = await inlineJob(`bn-stale-${fires ? "keras" : "fixed"}`, json(momentum));
      const records = await trainOnGpu(await testContext(), trainOptions(job));
      const ctx: TrainingContext = {
        scenario: job.scenario,
        task: "multiclass",
        targets: { train: job.train.y, validation: job.validation?.y ?? null },
        records,
      };
      expect(detectStaleBatchNormStatistics(ctx) !== null).toBe(fires);
    }, 60_000);
  }
});

describe("--verify lowers the momentum and confirms it", () => {
  it("the gallery scenario: momentum -> 0.77 retrains without the finding and better", async () => {
    const path = "examples/scenarios/batchnorm-stale-statistics.json";
    const source = memoryFileSource({});
    const scenario = parseScenario(await Deno.readTextFile(path), path, source);
    const report = await runScenario(scenario, { source, gpu: testContext, verify: true });
    expect(report.summary.primary).toBe("batchnorm-stale-statistics");
    const v = report.findings.find((f) => f.code === "batchnorm-stale-statistics")!.verification!;
    expect(v.change).toBe("batch-norm momentum -> 0.77 (layer 2)");
    expect(v.after.findings).not.toContain("batchnorm-stale-statistics");
    expect(v.confirmed).toBe(true);
  }, 120_000);
});

describe("a CNN with two batch norms (healthy-cnn-shapes with a batch norm after each convolution)", () => {
  for (const [momentum, stale] of [[0.99, true], [0.9, false]] as const) {
    it(`momentum ${momentum}: ${stale ? "the primary finding" : "no warning at all"}`, async () => {
      const path = "examples/scenarios/healthy-cnn-shapes.json";
      const json = JSON.parse(await Deno.readTextFile(path));
      const layers = json.model.layers as unknown[];
      layers.splice(1, 0, { type: "batchnorm", momentum });
      layers.splice(4, 0, { type: "batchnorm", momentum });
      json.name = "cnn-shapes-batchnorm";
      const source = memoryFileSource({});
      const scenario = parseScenario(JSON.stringify(json), "/virtual/cnn-shapes-batchnorm.json", source);
      const report = await runScenario(scenario, { source, gpu: testContext });
      if (stale) {
        expect(report.summary.primary).toBe("batchnorm-stale-statistics");
        const f = report.findings[0];
        // The first batch norm (after the first convolution) at least; each layer is judged on its own.
        expect((f.evidence.layers as { layer: number }[]).map((l) => l.layer)).toContain(2);
      } else {
        expect(report.findings.filter((f) => f.severity !== "info").map((f) => f.code)).toEqual([]);
      }
    }, 120_000);
  }
});
