/**
 * Which task the scenario is, when it does not say: read from the targets, not from the loss. A
 * one-column target of a few integers is classification even under MSE (the "MSE on classes" bug
 * the diagnosis must name); a continuous target is regression even under cross-entropy.
 *
 * @module
 */
import { MAX_INDEX_CLASSES, targetShape } from "../data/classes.ts";
import type { Dataset } from "../data/dataset.ts";
import type { LossName, Scenario, Task } from "./types.ts";

/** The task, whether it was inferred, and why, in words a report can show. */
export interface TaskInference {
  task: Task;
  inferred: boolean;
  reason: string;
}

const CLASS_LOSSES: readonly LossName[] = [
  "binary-crossentropy",
  "categorical-crossentropy",
  "sparse-categorical-crossentropy",
];

/**
 * The scenario's task when given; else the task the training targets describe.
 *
 * @example
 * ```ts
 * inferTask(scenario, train); // { task: "multiclass", inferred: true, reason: "one target column of 3 distinct integers (0, 1, 2) ..." }
 * ```
 */
export function inferTask(scenario: Pick<Scenario, "task" | "loss">, train: Dataset): TaskInference {
  if (scenario.task !== undefined) {
    return { task: scenario.task, inferred: false, reason: "set in the scenario" };
  }
  const shape = targetShape(train);
  const loss = scenario.loss.name;
  const classLoss = CLASS_LOSSES.includes(loss);
  let task: Task;
  let reason: string;
  switch (shape.kind) {
    case "index": {
      task = shape.values.length <= 2 ? "binary" : "multiclass";
      const shown = shape.values.slice(0, 8).join(", ") + (shape.values.length > 8 ? ", ..." : "");
      reason = train.classNames
        ? `one target column of ${train.classNames.length} class names`
        : `one target column of ${shape.values.length} distinct integers (${shown}), at most ${MAX_INDEX_CLASSES} read as classes`;
      if (!classLoss) reason += `; the loss ${loss} treats them as continuous values`;
      break;
    }
    case "one-hot":
      task = shape.classes === 2 ? "binary" : "multiclass";
      reason = `${shape.classes} target columns of 0/1 with exactly one 1 per row (one-hot)`;
      if (!classLoss) reason += `; the loss ${loss} treats them as continuous values`;
      break;
    case "multilabel":
      task = "multilabel";
      reason = `${shape.labels} target columns of 0/1 with any number of ones per row`;
      if (!classLoss) reason += `; the loss ${loss} treats them as continuous values`;
      break;
    case "continuous":
      task = "regression";
      reason = `${train.targetNames.length} target column(s) with ${shape.distinct} distinct ` +
        `${shape.integer ? "integer" : "non-integer"} values`;
      if (classLoss) reason += `; the loss ${loss} expects classes`;
      break;
  }
  return { task, inferred: true, reason };
}
