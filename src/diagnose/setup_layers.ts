/**
 * Setup detectors of the layer kinds beyond dense (src/layers/): mistakes that only these layers
 * make possible, read from the scenario alone.
 *
 * `batchnorm-batch-of-one`: in training mode a batch-norm layer normalises each channel with the
 * statistics of the values it sees in the batch: batch × positions values (positions = 1 for a
 * [features] input, steps or height·width for a channels-last one). With one value per channel the
 * mean is that value and the variance 0, so every output is exactly β: the layer's output no longer
 * depends on its input, its input gradient is exactly 0 (nothing below it learns), and the moving
 * variance is pulled towards 0. Keras trains on silently; PyTorch refuses ("Expected more than 1
 * value per channel when training").
 * @module
 */
import { InputError } from "../errors.ts";
import { buildModel, type Model } from "../layers/mod.ts";
import type { Finding } from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";
import { makeFinding } from "./finding.ts";

/**
 * The model's layer shapes for rank questions: a scenario without `model.input.shape` reads rows as
 * [features], whose size does not change any rank (dense outputs are [units] whatever their input).
 */
function shapesOf(scenario: Scenario): Model | null {
  try {
    return buildModel(scenario.model.input?.shape ?? [1], scenario.model.layers);
  } catch (e) {
    if (e instanceof InputError) return null; // a shape error is reported when the model is built
    throw e;
  }
}

/**
 * Batch-norm layers that see one value per channel: in every step when the batch size is 1
 * (error), or in the last, partial batch of each epoch when the training rows leave one over
 * (info: one step per epoch gives the layers below no gradient and drags the moving variance).
 * Only layers whose input has one position per channel are affected.
 */
export function batchNormBatchOfOneFinding(scenario: Scenario, trainRows: number): Finding | null {
  const model = shapesOf(scenario);
  if (!model) return null;
  const hits = model.layers.filter((l) => l.def.type === "batchnorm" && l.input.length === 1);
  if (hits.length === 0) return null;
  const batchSize = scenario.training.batchSize;
  const every = batchSize === 1;
  const lastOnly = !every && trainRows > batchSize && trainRows % batchSize === 1;
  if (!every && !lastOnly) return null;
  const layers = hits.map((l) => l.position + 1);
  const names = layers.map((n) => `layer ${n}`).join(", ");
  const evidence = {
    layers,
    batchSize,
    trainRows,
    valuesPerChannel: 1,
    stepsAffected: every ? "every step" : "the last batch of each epoch",
  };
  if (every) {
    return makeFinding("batchnorm-batch-of-one", {
      title: `batch normalization over batches of one row: ${names} output β whatever the input`,
      message: `With batchSize 1, batch normalization at ${names} normalises each channel over a single ` +
        `value: the batch mean is that value and the variance 0, so every output is exactly β and the ` +
        `input gradient is exactly 0. The model's output no longer depends on its input while training, ` +
        `the layers below never learn, and the moving variance the evaluation uses decays towards 0.`,
      evidence,
      fix: "Train with batches of several rows (batchSize 32 is Keras's default), or remove the " +
        "batch-normalization layer; for one-sample updates use a normalisation that does not depend on the batch.",
    });
  }
  return makeFinding("batchnorm-batch-of-one", {
    severity: "info",
    title: `the last batch of each epoch has one row: ${names} output β on that step`,
    message:
      `${trainRows} training rows in batches of ${batchSize} leave one row in the last batch of each ` +
      `epoch; on that step batch normalization at ${names} sees one value per channel, outputs β, passes ` +
      `no gradient down and pulls its moving variance towards 0.`,
    evidence,
    fix: `Pick a batch size that does not leave one row over (e.g. ${
      batchSize + 1
    }), or drop the last partial batch.`,
  });
}
