/**
 * Setup detectors: what is wrong with the model head, the loss and the metrics given the task and
 * the targets, found before a single step is trained. Pure functions of the scenario and a summary
 * of the targets; the training-time evidence (the gradients actually seen) is added by the training
 * detectors.
 *
 * @module
 */
import type { Finding } from "../report/types.ts";
import { type AccuracyResolution, binaryAccuracy, oneHot, resolveAccuracy } from "../reference/metrics.ts";
import { matrix } from "../reference/matrix.ts";
import type { Activation, LossName, Scenario, Task } from "../scenario/types.ts";
import { makeFinding, type Remedy, sig } from "./finding.ts";
import {
  clampedLossFloor,
  clippedOutputEvidence,
  crossEntropyOnContinuousEvidence,
  doubleSigmoidEvidence,
  doubleSoftmaxEvidence,
  sigmoid,
  singleUnitSoftmaxEvidence,
  squaredLossThroughSquashEvidence,
} from "./_setup_evidence.ts";
import type { TargetSummary } from "./targets.ts";
import { batchNormBatchOfOneFinding } from "./setup_layers.ts";
import { outputLayer } from "../layers/mod.ts";

/** The task and how it was decided (as `inferTask` reports it). */
export interface TaskInfo {
  task: Task;
  inferred: boolean;
  reason: string;
}

/** Everything the setup detectors look at. */
export interface SetupContext {
  scenario: Scenario;
  task: TaskInfo;
  /** Summary of the training targets as loaded (before one-hot encoding for the loss). */
  targets: TargetSummary;
  /**
   * How the metric `accuracy` resolved for this run (src/reference/metrics.ts `resolveAccuracy`);
   * when absent it is resolved here by the tf.keras shape rule.
   */
  accuracy?: AccuracyResolution | null;
}

const PROBABILITY_LOSSES: readonly LossName[] = [
  "binary-crossentropy",
  "categorical-crossentropy",
  "sparse-categorical-crossentropy",
];
const REGRESSION_LOSSES: readonly LossName[] = ["mse", "mae", "huber"];
const UNBOUNDED: readonly Activation[] = ["linear", "relu", "leaky-relu", "elu", "tanh"];

/** Closed range each activation can output (softmax also sums to 1 per row). */
const RANGE: Record<Activation, [number, number]> = {
  linear: [-Infinity, Infinity],
  "leaky-relu": [-Infinity, Infinity],
  relu: [0, Infinity],
  elu: [-1, Infinity],
  sigmoid: [0, 1],
  softmax: [0, 1],
  tanh: [-1, 1],
};

/**
 * Share of targets an output activation cannot reach above which the head is an error: beyond 5 %
 * the unreachable rows bias the fit of every row (the clamped-target loss floor in the evidence shows
 * how much); below 0.5 % they are outliers the loss tolerates. DeepDiagnosis checks the same thing
 * ("out of range": last-layer activation range against the label range) without a tolerance.
 */
const OUT_OF_RANGE_ERROR = 0.05;
const OUT_OF_RANGE_WARNING = 0.005;

/**
 * Runs every setup detector.
 *
 * @example
 * ```ts
 * const findings = diagnoseSetup({ scenario, task: inferTask(scenario, train), targets: summarizeTargets(train) });
 * ```
 */
export function diagnoseSetup(ctx: SetupContext): Finding[] {
  const s = facts(ctx);
  const out: Finding[] = [];
  const head = headFindings(s);
  out.push(...head);
  out.push(...lossTaskFindings(s, head.length > 0));
  const range = outputRangeFinding(s);
  if (range) out.push(range);
  const reduction = reductionFinding(s);
  if (reduction) out.push(reduction);
  out.push(...accuracyFindings(s, ctx.accuracy ?? null));
  const batchNorm = batchNormBatchOfOneFinding(ctx.scenario, ctx.targets.rows);
  if (batchNorm) out.push(batchNorm);
  return out;
}

/** The derived facts every detector reads. */
interface Facts {
  scenario: Scenario;
  task: Task;
  targets: TargetSummary;
  units: number;
  activation: Activation;
  loss: Scenario["loss"];
  classes: number;
  /** Target columns the loss and metrics see (one-hot encoding for categorical cross-entropy). */
  trainedColumns: number;
  classification: boolean;
}

function facts(ctx: SetupContext): Facts {
  const { scenario, targets } = ctx;
  const last = outputLayer(scenario.model.layers);
  const task = ctx.task.task;
  const classification = task !== "regression";
  const classes = targets.columns > 1
    ? targets.columns
    : task === "binary"
    ? 2
    : targets.integer && targets.min >= 0
    ? targets.max + 1
    : targets.distinctCount;
  const trainedColumns =
    scenario.loss.name === "categorical-crossentropy" && targets.columns === 1 && classification
      ? classes
      : targets.columns;
  return {
    scenario,
    task,
    targets,
    units: last.units,
    activation: last.activation,
    loss: scenario.loss,
    classes,
    trainedColumns,
    classification,
  };
}

function headFindings(s: Facts): Finding[] {
  const { units, activation: act, loss, task } = s;
  const probLoss = PROBABILITY_LOSSES.includes(loss.name);
  if (act === "softmax" && units === 1) {
    const remedy: Remedy | undefined = task === "binary"
      ? {
        kind: "set-output-activation",
        activation: "sigmoid",
        loss: "binary-crossentropy",
        fromLogits: false,
      }
      : undefined;
    return [makeFinding("single-unit-softmax", {
      title: "softmax over a single output unit",
      message:
        "The output layer applies softmax to one unit: exp(z)/exp(z) = 1 for every input, so the model predicts the same value for every row and no gradient flows back through the output. The loss and accuracy can only reflect the label mix, never the inputs.",
      evidence: { units, activation: act, loss: loss.name, ...singleUnitSoftmaxEvidence(loss) },
      fix: task === "binary"
        ? "output activation -> sigmoid (with loss -> binary-crossentropy)"
        : `output layer -> ${s.classes} units with softmax`,
      remedy,
    })];
  }
  if ((act === "softmax" || act === "sigmoid") && loss.fromLogits && probLoss) {
    const matched = (act === "softmax" && loss.name !== "binary-crossentropy") ||
      (act === "sigmoid" && loss.name === "binary-crossentropy");
    const remedy: Remedy = matched
      ? { kind: "set-from-logits", fromLogits: false }
      : { kind: "set-output-activation", activation: "linear" };
    const evidence = act === "softmax" || loss.name !== "binary-crossentropy"
      ? doubleSoftmaxEvidence(units)
      : doubleSigmoidEvidence();
    return [makeFinding("double-softmax", {
      title: `${act} output fed to a loss that applies ${
        loss.name === "binary-crossentropy" ? "sigmoid" : "softmax"
      } again`,
      message:
        `The output layer already applies ${act}, and ${loss.name} with fromLogits: true treats those outputs as logits and squashes them a second time. Probabilities in [0, 1] make nearly uniform logits, so the loss cannot become confident, its floor stays far above 0, and the gradient reaching the network is shrunk.`,
      evidence: { activation: act, loss: loss.name, fromLogits: true, ...evidence },
      fix: matched
        ? "fromLogits -> false (the loss reads the probabilities)"
        : "output activation -> linear (the loss applies the squashing)",
      remedy,
    })];
  }
  if (task === "multilabel" && units > 1 && (act === "softmax" || loss.name === "categorical-crossentropy")) {
    const labelsPerRow = meanLabelsPerRow(s.targets);
    return [makeFinding("softmax-multilabel-head", {
      title: act === "softmax"
        ? "softmax outputs for multi-label targets"
        : "categorical cross-entropy on multi-label targets",
      message: `The targets are multi-label (${sig(labelsPerRow.mean)} positive labels per row on average, ${
        sig(100 * labelsPerRow.multi)
      }% of rows with several), but ${
        act === "softmax"
          ? "softmax makes the outputs compete for a total of 1"
          : "categorical cross-entropy divides the outputs by their row sum"
      }: at most one label per row can exceed 0.5, so rows with several labels can never be predicted right.`,
      evidence: {
        activation: act,
        loss: loss.name,
        meanPositiveLabelsPerRow: sig(labelsPerRow.mean),
        rowsWithSeveralLabels: sig(labelsPerRow.multi),
        bestReachableBinaryAccuracy: sig(labelsPerRow.bestBinaryAccuracy),
      },
      fix: "output activation -> sigmoid, loss -> binary-crossentropy",
      remedy: {
        kind: "set-output-activation",
        activation: "sigmoid",
        loss: "binary-crossentropy",
        fromLogits: false,
      },
    })];
  }
  if (s.classification && probLoss && !loss.fromLogits && UNBOUNDED.includes(act)) {
    const target: Activation = task === "multiclass" ? "softmax" : "sigmoid";
    const [lo, hi] = RANGE[act];
    return [makeFinding("missing-output-activation", {
      title: `${act} outputs fed to ${loss.name} as probabilities`,
      message:
        `${loss.name} with fromLogits: false reads the outputs as probabilities, but a ${act} output ranges over [${lo}, ${hi}]. Outputs outside [1e-7, 1 - 1e-7] are clipped, the clip passes no gradient, and the loss never sees a distribution.`,
      evidence: {
        activation: act,
        outputRange: [lo, hi],
        loss: loss.name,
        ...clippedOutputEvidence(act, loss, units),
      },
      fix: `output activation -> ${target}`,
      remedy: { kind: "set-output-activation", activation: target },
    })];
  }
  if (task === "multiclass" && act === "sigmoid" && units > 1) {
    return [makeFinding("sigmoid-multiclass-head", {
      title: "sigmoid outputs for single-label multi-class targets",
      message:
        `Each of the ${units} sigmoid units is an independent yes/no, but every row belongs to exactly one class: the outputs do not compete, need not sum to 1 (about ${
          sig(units / 2)
        } at initialization), and several classes can be "predicted" at once.`,
      evidence: { activation: act, units, loss: loss.name, initialRowSum: sig(units * sigmoid(0)) },
      fix: "output activation -> softmax, loss -> categorical-crossentropy",
      remedy: {
        kind: "set-output-activation",
        activation: "softmax",
        loss: "categorical-crossentropy",
        fromLogits: false,
      },
    })];
  }
  return [];
}

function lossTaskFindings(s: Facts, headReported: boolean): Finding[] {
  const { loss, task, targets, units, activation: act } = s;
  const out: Finding[] = [];
  const regressionLoss = REGRESSION_LOSSES.includes(loss.name);
  if (s.classification && regressionLoss) {
    // A squared loss on sigmoid probabilities of 0/1 targets is the Brier score: proper, only slower
    // to correct confident mistakes. Everywhere else it treats class codes as quantities.
    const brier = act === "sigmoid" && (task === "binary" || task === "multilabel");
    const remedy: Remedy = task === "multiclass"
      ? { kind: "set-loss", loss: "categorical-crossentropy", activation: "softmax", fromLogits: false }
      : { kind: "set-loss", loss: "binary-crossentropy", activation: "sigmoid", fromLogits: false };
    const indices = task === "multiclass" && targets.columns === 1 && units === 1;
    // One column of class indices against several outputs: Keras broadcasts it, so every output is
    // pulled towards the index itself.
    const broadcast = task === "multiclass" && targets.columns === 1 && units > 1;
    out.push(makeFinding("loss-task-mismatch", {
      severity: brier ? "warning" : "error",
      title: `${loss.name} on ${task} class targets`,
      message: indices
        ? `${loss.name} regresses the class index as a number: class 1 sits "between" 0 and 2, an undecided model is rewarded for predicting the mean index, and nothing in the loss respects class boundaries.`
        : broadcast
        ? `${loss.name} compares the one column of class indices with each of the ${units} outputs (Keras broadcasting), so every output is pulled towards the index itself: an output for class 0 is asked for 2 on class-2 rows, no output is asked to be the likeliest for its class, and the predicted class is left to chance.`
        : `${loss.name} measures distances to the 0/1 target entries instead of the likelihood of the right class, so it can be low while the predicted class is wrong${
          brier
            ? " (for sigmoid outputs it is the Brier score: it learns, but corrects confident mistakes slowly)"
            : ""
        }.`,
      evidence: {
        loss: loss.name,
        task,
        outputUnits: units,
        activation: act,
        targetColumns: targets.columns,
        distinctTargets: targets.distinct.slice(0, 20),
        ...squaredLossThroughSquashEvidence(s.classes, act),
      },
      fix: remedy.kind === "set-loss"
        ? `loss -> ${remedy.loss}, output activation -> ${remedy.activation}${
          indices ? `, ${s.classes} output units` : ""
        }`
        : "",
      remedy: indices ? undefined : remedy,
    }));
  }
  if (task === "regression" && PROBABILITY_LOSSES.includes(loss.name)) {
    out.push(makeFinding("loss-task-mismatch", {
      title: `${loss.name} on a continuous target`,
      message: `The target is continuous (${targets.distinctCount}${
        targets.distinctCount >= 1000 ? "+" : ""
      } distinct values in [${sig(targets.min)}, ${
        sig(targets.max)
      }]), but cross-entropy expects class labels or probabilities in [0, 1]${
        loss.name === "categorical-crossentropy" && targets.columns === 1
          ? "; one-hot encoding truncates every value to an integer class"
          : ""
      }.`,
      evidence: {
        loss: loss.name,
        targetMin: sig(targets.min),
        targetMax: sig(targets.max),
        distinctValues: targets.distinctCount,
        ...crossEntropyOnContinuousEvidence(loss, targets.min, targets.max),
      },
      fix: "loss -> mse (or mae), output activation -> linear",
      remedy: { kind: "set-loss", loss: "mse", activation: "linear", fromLogits: false },
    }));
  }
  if (
    task === "binary" && units === 1 && !headReported && !loss.fromLogits &&
    (loss.name === "categorical-crossentropy" || loss.name === "sparse-categorical-crossentropy")
  ) {
    out.push(makeFinding("loss-task-mismatch", {
      title: `${loss.name} over a single output unit`,
      message: loss.name === "categorical-crossentropy"
        ? "Categorical cross-entropy divides each output row by its sum; with one unit that is always 1, so the loss is -y·log(1) = 0 on every row whatever the model does, and nothing is learned."
        : "Sparse categorical cross-entropy over one unit has a single class, index 0: the label 1 is out of range.",
      evidence: { loss: loss.name, outputUnits: 1, normalizedOutput: 1, lossOnEveryRow: 0 },
      fix: "loss -> binary-crossentropy",
      remedy: { kind: "set-loss", loss: "binary-crossentropy" },
    }));
  }
  if (task === "multiclass" && loss.name === "binary-crossentropy" && units === 1 && s.classes > 2) {
    out.push(makeFinding("loss-task-mismatch", {
      title: `binary-crossentropy on ${s.classes}-class labels`,
      message:
        `Binary cross-entropy over one output expects labels 0 and 1; labels up to ${targets.max} make its target outside [0, 1], so it rewards saturating the output instead of separating classes.`,
      evidence: {
        loss: loss.name,
        classes: s.classes,
        ...crossEntropyOnContinuousEvidence(loss, targets.min, targets.max),
      },
      fix: `loss -> categorical-crossentropy, output layer -> ${s.classes} units with softmax`,
    }));
  }
  return out;
}

function outputRangeFinding(s: Facts): Finding | null {
  const { task, activation: act, targets, loss } = s;
  if (task !== "regression" || !REGRESSION_LOSSES.includes(loss.name)) return null;
  const [lo, hi] = RANGE[act];
  const v = targets.values.data;
  let outside = 0, finite = 0, rowSumOff = 0;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) continue;
    finite++;
    if (v[i] < lo || v[i] > hi) outside++;
  }
  if (act === "softmax" && targets.columns > 1 && !targets.rowsSumToOne) {
    for (let r = 0; r < targets.rows; r++) {
      let sum = 0;
      for (let c = 0; c < targets.columns; c++) sum += v[r * targets.columns + c];
      if (Math.abs(sum - 1) > 1e-6) rowSumOff++;
    }
  }
  const fraction = finite > 0 ? outside / finite : 0;
  const rowFraction = targets.rows > 0 ? rowSumOff / targets.rows : 0;
  const worst = Math.max(fraction, rowFraction);
  if (worst <= OUT_OF_RANGE_WARNING) return null;
  const floors = Number.isFinite(lo) || Number.isFinite(hi)
    ? clampedLossFloor(loss, targets.values, lo, hi)
    : null;
  return makeFinding("output-range-mismatch", {
    severity: worst >= OUT_OF_RANGE_ERROR ? "error" : "warning",
    title: `${act} output cannot reach the targets`,
    message: `The output activation ${act} ranges over [${lo}, ${hi}]${
      rowFraction > 0 ? " with rows summing to 1" : ""
    }, but ${sig(100 * Math.max(fraction, rowFraction))}% of the targets lie ${
      rowFraction > fraction ? "in rows that do not sum to 1" : "outside it"
    } (targets span [${sig(targets.min)}, ${sig(targets.max)}]). Those rows can never be fitted${
      floors ? `: even a perfect model cannot bring ${loss.name} below ${sig(floors.floor)}` : ""
    }.`,
    evidence: {
      activation: act,
      outputRange: [lo, hi],
      targetMin: sig(targets.min),
      targetMax: sig(targets.max),
      targetsOutside: outside,
      fractionOutside: sig(fraction),
      ...(rowFraction > 0 ? { rowsNotSummingTo1: rowSumOff } : {}),
      ...(floors ? { lossFloor: sig(floors.floor), meanPredictorLoss: sig(floors.meanPredictor) } : {}),
    },
    fix: "output activation -> linear",
    remedy: { kind: "set-output-activation", activation: "linear" },
  });
}

function reductionFinding(s: Facts): Finding | null {
  const { loss, scenario } = s;
  if (loss.reduction !== "sum") return null;
  const opt = scenario.optimizer, batch = scenario.training.batchSize;
  // SGD's step is lr × gradient, so a summed loss multiplies it by the batch size. Adam and RMSprop
  // divide by the gradient's running RMS, which cancels a constant scale (up to epsilon): there the
  // sum only inflates the reported loss and weights the partial last batch less.
  const sgd = opt.name === "sgd";
  return makeFinding("loss-reduction-sum", {
    severity: sgd && batch > 1 ? "warning" : "info",
    title: "the loss is summed over the batch",
    message: sgd
      ? `With reduction "sum" the loss and its gradient are ${batch}× the per-row mean, so SGD's effective learning rate is ${
        sig(opt.learningRate * batch)
      } instead of ${opt.learningRate}, and it changes with the batch size.`
      : `With reduction "sum" the reported loss is ${batch}× the per-row mean and depends on the batch size; ${opt.name} normalizes the gradient scale, so the step size is mostly unaffected.`,
    evidence: {
      reduction: "sum",
      batchSize: batch,
      optimizer: opt.name,
      learningRate: opt.learningRate,
      ...(sgd ? { effectiveLearningRate: sig(opt.learningRate * batch) } : {}),
      lossScale: batch,
    },
    fix: "reduction -> mean",
    remedy: { kind: "set-reduction", reduction: "mean" },
  });
}

function accuracyFindings(s: Facts, resolved: AccuracyResolution | null): Finding[] {
  const out: Finding[] = [];
  for (const metric of s.scenario.metrics) {
    if (metric.module) continue;
    const kind = metric.name === "accuracy"
      ? (resolved ?? resolveAccuracy(s.trainedColumns, s.units)).kind
      : metric.name === "binary-accuracy"
      ? "binary"
      : metric.name === "categorical-accuracy"
      ? "categorical"
      : metric.name === "sparse-categorical-accuracy"
      ? "sparse-categorical"
      : null;
    if (kind === null) continue;
    const f = accuracyMismatch(s, metric.name, kind, metric.threshold);
    if (f) out.push(f);
  }
  return out;
}

function accuracyMismatch(
  s: Facts,
  name: string,
  kind: AccuracyResolution["kind"],
  threshold: number,
): Finding | null {
  const { task, targets, units } = s;
  const base = {
    metric: name,
    resolvedTo: `${kind}-accuracy`,
    task,
    outputUnits: units,
    targetColumns: s.trainedColumns,
  };
  if (task === "regression") {
    // Perfect predictions (yPred = y) scored by the metric: what the metric can say at best.
    const y = targets.values;
    const perfect = kind === "binary" ? binaryAccuracy(y, y, { threshold }) : NaN;
    return makeFinding("accuracy-semantics-mismatch", {
      title: "accuracy on a regression target",
      message:
        `"${name}" resolves to ${kind} accuracy, which counts exact class matches; a continuous target almost never equals a thresholded prediction${
          Number.isFinite(perfect) ? `: even perfect predictions score ${sig(perfect)}` : ""
        }. It says nothing about the fit.`,
      evidence: {
        ...base,
        ...(Number.isFinite(perfect) ? { accuracyOfPerfectPredictions: sig(perfect) } : {}),
      },
      fix: `metric ${name} -> mae (or r2)`,
      remedy: { kind: "set-metric", from: name, to: "mae" },
    });
  }
  if (kind === "binary" && task === "multiclass" && s.trainedColumns > 1) {
    const yOneHot = targets.columns > 1 ? targets.values : oneHot(indicesOf(targets), s.classes);
    const zeros = matrix(yOneHot.rows, yOneHot.cols);
    const allZero = binaryAccuracy(yOneHot, zeros, { threshold });
    return makeFinding("accuracy-semantics-mismatch", {
      title: `binary accuracy over ${s.trainedColumns} one-hot classes`,
      message:
        `"${name}" resolves to binary accuracy, which scores each of the ${s.trainedColumns} outputs separately against its 0/1 entry. The ${
          s.trainedColumns - 1
        } zeros of every one-hot row count as hits, so a model that predicts nothing at all scores ${
          sig(allZero)
        }: the number is inflated and does not measure which class was picked.`,
      evidence: { ...base, accuracyOfAllZeroPredictions: sig(allZero), threshold },
      fix: `metric ${name} -> categorical-accuracy`,
      remedy: { kind: "set-metric", from: name, to: "categorical-accuracy" },
    });
  }
  if (kind === "binary" && task === "multiclass" && units === 1 && s.classes > 2) {
    let reachable = 0, n = 0;
    for (let i = 0; i < targets.values.data.length; i++) {
      const v = targets.values.data[i];
      if (!Number.isFinite(v)) continue;
      n++;
      if (v === 0 || v === 1) reachable++;
    }
    return makeFinding("accuracy-semantics-mismatch", {
      title: `binary accuracy on ${s.classes}-class labels`,
      message:
        `"${name}" resolves to binary accuracy on one output: (p > ${threshold}) is 0 or 1, so labels 2 and above can never match. At most ${
          sig(n > 0 ? reachable / n : 0)
        } is reachable, by a perfect model.`,
      evidence: { ...base, bestReachableAccuracy: sig(n > 0 ? reachable / n : 0) },
      fix: `output layer -> ${s.classes} units with softmax, metric -> categorical accuracy`,
    });
  }
  if ((kind === "categorical" || kind === "sparse-categorical") && units === 1) {
    const idx = indicesOf(targets);
    const share0 = idx.length > 0 ? idx.filter((c) => c === 0).length / idx.length : 0;
    return makeFinding("accuracy-semantics-mismatch", {
      title: "argmax over a single output unit",
      message:
        `"${name}" resolves to ${kind} accuracy, which takes the argmax of the outputs; over one unit the argmax is always 0, so the metric reports the share of class 0 (${
          sig(share0)
        }) whatever the model predicts.`,
      evidence: { ...base, shareOfClass0: sig(share0) },
      fix: `metric ${name} -> binary-accuracy`,
      remedy: { kind: "set-metric", from: name, to: "binary-accuracy" },
    });
  }
  if (kind === "sparse-categorical" && s.trainedColumns > 1) {
    return makeFinding("accuracy-semantics-mismatch", {
      title: "sparse categorical accuracy on one-hot targets",
      message:
        `"${name}" compares a class index with the argmax, but the targets are ${s.trainedColumns}-column one-hot rows: it reads the first column (0 or 1) as the class.`,
      evidence: base,
      fix: `metric ${name} -> categorical-accuracy`,
      remedy: { kind: "set-metric", from: name, to: "categorical-accuracy" },
    });
  }
  if (kind === "categorical" && task === "multilabel") {
    return makeFinding("accuracy-semantics-mismatch", {
      severity: "warning",
      title: "categorical accuracy on multi-label targets",
      message:
        `"${name}" checks only whether the top output is the first positive label of the row; with several labels per row it ignores the rest.`,
      evidence: base,
      fix: `metric ${name} -> binary-accuracy`,
      remedy: { kind: "set-metric", from: name, to: "binary-accuracy" },
    });
  }
  const logits = s.loss.fromLogits && (s.activation === "linear" || s.activation === "leaky-relu");
  if (kind === "binary" && logits && threshold > 0 && (units === 1 || task === "multilabel")) {
    return makeFinding("accuracy-semantics-mismatch", {
      severity: "warning",
      title: `a ${threshold} threshold on logits`,
      message:
        `The outputs are logits (fromLogits: true), but binary accuracy thresholds them at ${threshold}: that is a probability cut of sigmoid(${threshold}) = ${
          sig(sigmoid(threshold))
        }, not 0.5, so rows with probabilities between 0.5 and that count as class 0.`,
      evidence: { ...base, threshold, equivalentProbabilityThreshold: sig(sigmoid(threshold)) },
      fix: `metric ${name} -> binary-accuracy with threshold 0`,
      remedy: { kind: "set-metric", from: name, to: "binary-accuracy", threshold: 0 },
    });
  }
  return null;
}

function indicesOf(t: TargetSummary): number[] {
  const out: number[] = [];
  const { data } = t.values;
  for (let r = 0; r < t.rows; r++) {
    if (t.columns === 1) {
      const v = data[r];
      if (Number.isInteger(v) && v >= 0) out.push(v);
      continue;
    }
    let best = 0;
    for (let c = 1; c < t.columns; c++) if (data[r * t.columns + c] > data[r * t.columns + best]) best = c;
    out.push(best);
  }
  return out;
}

function meanLabelsPerRow(t: TargetSummary): { mean: number; multi: number; bestBinaryAccuracy: number } {
  let total = 0, multi = 0, reachable = 0;
  for (let r = 0; r < t.rows; r++) {
    let k = 0;
    for (let c = 0; c < t.columns; c++) if (t.values.data[r * t.columns + c] >= 0.5) k++;
    total += k;
    if (k > 1) multi++;
    // With outputs summing to 1, at most one exceeds 0.5: a row with k labels keeps at most
    // (columns - k + 1) of its entries right.
    reachable += k <= 1 ? t.columns : t.columns - k + 1;
  }
  const n = Math.max(1, t.rows);
  return { mean: total / n, multi: multi / n, bestBinaryAccuracy: reachable / (n * Math.max(1, t.columns)) };
}
