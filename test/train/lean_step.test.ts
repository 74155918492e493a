/**
 * The lean training step: batches gathered on the GPU from the epoch's row order must be exactly the
 * rows the plan chose (every step's fingerprint equals the float64-side fingerprint of those rows,
 * partial last batches and `sameBatchEveryStep` included), and the plain step (instrument: false)
 * must train exactly like the instrumented one while recording only the loss.
 */
import { afterAll, describe, expect, test } from "vitest";
import { loadScenarioData } from "../../src/data/load.ts";
import { memoryFileSource } from "../../src/io.ts";
import { batchFingerprint, fingerprintNumber } from "../../src/reference/fingerprint.ts";
import { gatherRows } from "../../src/reference/trainer.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { trainingJob } from "../../src/train/job.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const source = memoryFileSource({});

async function job(training: Record<string, unknown>, dropout = 0) {
  const scenario = parseScenario(
    JSON.stringify({
      name: "lean-step",
      data: { generate: { kind: "blobs", samples: 103, features: 5, classes: 3 } },
      model: { layers: [{ units: 12, activation: "relu", dropout }, { units: 3, activation: "softmax" }] },
      loss: "categorical-crossentropy",
      optimizer: { name: "adam", learningRate: 0.01 },
      training,
    }),
    "/virtual/lean.json",
    source,
  );
  return trainingJob(scenario, await loadScenarioData(scenario, source));
}

/** The fingerprint of the rows the plan chose, from the float64 data rounded to f32 as uploaded. */
function expectedFingerprint(j: Awaited<ReturnType<typeof job>>, rows: Uint32Array): number {
  const x = Float32Array.from(gatherRows(j.train.x, rows).data);
  const y = Float32Array.from(gatherRows(j.train.y, rows).data);
  return fingerprintNumber(
    batchFingerprint(new Uint32Array(x.buffer), new Uint32Array(y.buffer), rows.length),
  );
}

describe("lean training step", () => {
  for (
    const [name, training] of [
      ["shuffled epochs, partial last batch", { epochs: 3, batchSize: 16, shuffle: true }],
      ["data order, batch of one row at the end", { epochs: 2, batchSize: 17, shuffle: false }],
      ["the same batch every step", { epochs: 2, batchSize: 10, sameBatchEveryStep: true }],
    ] as const
  ) {
    test(`GPU-gathered batches are the planned rows: ${name}`, async () => {
      const ctx = await testContext();
      const j = await job(training);
      const records = await trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer });
      expect(records.phase.status).toBe("completed");
      const planned = Array.from({ length: j.epochs }, (_, e) => j.plan.epoch(e + 1)).flat();
      expect(records.steps.map((s) => s.batchRows)).toEqual(planned.map((rows) => rows.length));
      expect(records.steps.map((s) => s.fingerprint)).toEqual(
        planned.map((rows) => expectedFingerprint(j, rows)),
      );
      expect(records.readbacksPerEpoch).toBeLessThanOrEqual(2);
    });
  }

  test("the plain step trains identically and records only the batch loss", async () => {
    const ctx = await testContext();
    const j = await job({ epochs: 2, batchSize: 16, shuffle: true }, 0.25);
    const run = (instrument: boolean) =>
      trainOnGpu(ctx, { ...j, loss: j.scenario.loss, optimizer: j.scenario.optimizer, instrument });
    const full = await run(true);
    const plain = await run(false);
    // Same kernels on the same data in the same order: bit-identical losses and final weights.
    expect(plain.steps.map((s) => s.loss)).toEqual(full.steps.map((s) => s.loss));
    expect(plain.finalWeights).toEqual(full.finalWeights);
    expect(full.steps.some((s) => s.fingerprint !== 0 && s.layers[0].gradNorm > 0)).toBe(true);
    for (const s of plain.steps) {
      expect(s.fingerprint).toBe(0);
      for (const l of s.layers) {
        expect([l.gradNorm, l.biasGradNorm, l.updateRatio, l.weightNorm]).toEqual([0, 0, 0, 0]);
      }
    }
  });
});
