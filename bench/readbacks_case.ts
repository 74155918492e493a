/**
 * `readbacks-per-epoch`: a real `trainOnGpu` run (instrumented, as diagnosis runs it, with a validation
 * split and an accuracy metric) of the benchmark's MLP over a few epochs, and the readbacks per epoch
 * its records report. Each readback waits >= 10 ms in Deno, so this is the figure that bounds how
 * short an epoch can be.
 *
 * @module
 */
import { planBatches } from "../src/data/batches.ts";
import type { GpuContext } from "../src/gpu/context.ts";
import type { Matrix } from "../src/reference/matrix.ts";
import { trainOnGpu } from "../src/train/train.ts";
import type { MlpProblem } from "./mlp.ts";
import type { ReadbacksCase } from "./schema.ts";

/** Issue 9's target. */
export const READBACKS_TARGET = 2;

/**
 * Runs the case: the problem's batches but the last form the training set, the last one the
 * validation split.
 */
export async function benchReadbacks(
  ctx: GpuContext,
  problem: MlpProblem,
  options: { epochs: number; seed: number },
): Promise<ReadbacksCase> {
  if (problem.batches.length < 2) {
    throw new RangeError(`readbacks-per-epoch needs at least 2 batches, got ${problem.batches.length}`);
  }
  const { shape, classes } = problem;
  const stack = (parts: Float32Array[], cols: number): Matrix => {
    const data = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      data.set(p, offset);
      offset += p.length;
    }
    return { data, rows: data.length / cols, cols };
  };
  const trainBatches = problem.batches.slice(0, -1), validation = problem.batches.at(-1)!;
  const train = {
    x: stack(trainBatches.map((b) => b.x), shape.inputs),
    y: stack(trainBatches.map((b) => b.y), classes),
  };
  const plan = planBatches(train.x.rows, {
    epochs: options.epochs,
    batchSize: problem.batchSize,
    shuffle: true,
    sameBatchEveryStep: false,
  }, options.seed);
  const records = await trainOnGpu(ctx, {
    shape,
    loss: problem.loss,
    optimizer: problem.optimizer,
    initial: problem.initial,
    train,
    validation: { x: stack([validation.x], shape.inputs), y: stack([validation.y], classes) },
    plan,
    epochs: options.epochs,
    dropoutSeed: 0,
    metrics: [{ name: "accuracy", kind: "correct", mode: "categorical", threshold: 0.5 }],
  });
  const value = records.readbacksPerEpoch;
  const epochs = records.history.length;
  return {
    name: "readbacks-per-epoch",
    unit: "readbacks",
    fitcheck: value,
    target: {
      description: `at most ${READBACKS_TARGET} readbacks per epoch`,
      quantity: "readbacks / epoch",
      comparison: "<=",
      threshold: READBACKS_TARGET,
      achieved: value,
    },
    met: value <= READBACKS_TARGET,
    epochs,
    stepsPerEpoch: records.stepsPerEpoch,
    trainMs: records.trainMs,
    checks: [{
      name: "the run completed every epoch with finite losses",
      ok: records.phase.status === "completed" && epochs === options.epochs &&
        records.steps.every((s) => Number.isFinite(s.loss)),
      detail:
        `phase ${records.phase.status}, ${epochs} of ${options.epochs} epochs, ${records.steps.length} steps`,
    }],
  };
}
