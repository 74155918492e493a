/**
 * Mini-batch order, as Keras's `fit` makes it: each epoch a fresh permutation (when shuffling), then
 * `ceil(rows / batchSize)` steps with a smaller last batch. Epoch e's permutation comes from its own
 * Rng stream, so an epoch's batches do not depend on how many epochs ran before.
 *
 * @module
 */
import { Rng } from "../random.ts";
import type { TrainingSpec } from "../scenario/types.ts";

/** The batches of a training run, as row indices into the training set. */
export interface BatchPlan {
  rows: number;
  batchSize: number;
  stepsPerEpoch: number;
  /** The batches of epoch `epoch` (1-based, as reported), in step order. */
  epoch(epoch: number): Uint32Array[];
}

/**
 * Plans the batches for `rows` training rows. `training.shuffle` false keeps the data order every
 * epoch; `training.sameBatchEveryStep` returns the first batch of epoch 1 at every step of every
 * epoch (the bug of a loop that calls `next(iter(loader))` once).
 *
 * @example
 * ```ts
 * const plan = planBatches(100, { epochs: 2, batchSize: 32, shuffle: true, sameBatchEveryStep: false }, 7);
 * plan.stepsPerEpoch; // 4: 32, 32, 32, 4
 * ```
 */
export function planBatches(rows: number, training: TrainingSpec, seed: number): BatchPlan {
  const batchSize = Math.min(training.batchSize, Math.max(rows, 1));
  const stepsPerEpoch = Math.ceil(rows / batchSize);
  const root = Rng.fromSeed(seed).stream("batches");
  const order = (epoch: number) =>
    training.shuffle
      ? root.stream(`epoch:${epoch}`).permutation(rows)
      : Uint32Array.from({ length: rows }, (_, i) => i);
  const slice = (o: Uint32Array) =>
    Array.from(
      { length: stepsPerEpoch },
      (_, s) => o.slice(s * batchSize, Math.min((s + 1) * batchSize, rows)),
    );
  return {
    rows,
    batchSize,
    stepsPerEpoch,
    epoch(epoch: number): Uint32Array[] {
      if (!Number.isInteger(epoch) || epoch < 1) {
        throw new RangeError(`epochs are numbered from 1, got ${epoch}`);
      }
      if (training.sameBatchEveryStep) {
        const first = slice(order(1))[0];
        return Array.from({ length: stepsPerEpoch }, () => first);
      }
      return slice(order(epoch));
    },
  };
}
