/**
 * Detectors of what training produced: the final predictions against the labels (collapse onto one
 * class, a class never recalled behind a good accuracy), train against validation (over- and
 * underfitting), the fallback `not-learning`, and the training-side evidence of a double softmax.
 * Accuracies and per-class numbers are recomputed from the prediction snapshots with the float64
 * metric references, whatever metrics the user asked for.
 *
 * Calibration: AUTOTRAINER (Zhang et al. 2021) `monitor.py` — satisfied accuracy Θ = 0.7, overfitting
 * gap ≥ 0.1 (≥ 0.07 when train accuracy > 0.9), "test turns bad" when the training loss falls while
 * the validation loss rises; Deepchecks `TrainTestPerformance` (relative degradation > 0.1 fails) and
 * `SimpleModelComparison` (gain over the simpler model, default condition 0.1).
 *
 * @module
 */
import { lossGradient, lossPerRow, reduceLoss } from "../reference/losses.ts";
import type { Matrix } from "../reference/matrix.ts";
import { balancedAccuracy, macroF1, perClassMetrics } from "../reference/metrics.ts";
import type { Finding } from "../report/types.ts";
import { makeFinding } from "./finding.ts";
import {
  accuracyOf,
  type ClassView,
  classView,
  decisionThreshold,
  fmt,
  histogram,
  isClassification,
  logitsOf,
  majorityShare,
  outputActivation,
  outputsOf,
  progress,
  sig,
  snapshot,
  snapshotLoss,
  type TrainingContext,
} from "./training_signals.ts";

// ---------------------------------------------------------------------------------------------
// not-learning

/** Under `training.classWeight`: the last training snapshot's balanced accuracy and class count. */
function weightedChance(ctx: TrainingContext): { balanced: number; classes: number } | null {
  if (ctx.scenario.training.classWeight === undefined || !isClassification(ctx.task)) return null;
  const snap = snapshot(ctx.records, "train", "last");
  if (!snap) return null;
  const opts = { threshold: decisionThreshold(ctx.scenario) };
  const balanced = balancedAccuracy(ctx.targets.train, outputsOf(snap), opts);
  return Number.isFinite(balanced) ? { balanced, classes: Math.max(2, snap.cols) } : null;
}

/**
 * The fallback: the loss does not decrease — less than 10% of the initial loss removed, or a final
 * loss still ≥ 90% of the best constant predictor's (a model that started over-confident can "improve"
 * just by becoming uninformative) — AND the model is no better than chance: training accuracy within
 * 5 points of the majority-class share (classification) or, for other tasks, the constant-predictor
 * test above. Callers drop it when a detected cause explains it.
 */
export function detectNotLearning(ctx: TrainingContext): Finding | null {
  const p = progress(ctx);
  const t = p.trajectory;
  const prior = p.meanPredictorLoss;
  if (t.end === null || !Number.isFinite(t.end)) return null;
  const lossFlat = t.improvement !== null && t.improvement < 0.1;
  const atPrior = prior !== null && prior > 0 && t.end >= 0.9 * prior;
  if (!lossFlat && !atPrior) return null;
  let chance: boolean, chanceText: string;
  const weighted = weightedChance(ctx);
  if (weighted) {
    // Class weights trade accuracy for the rare classes on purpose (and weight the loss, so the
    // unweighted constant-predictor loss is no yardstick): chance is balanced accuracy near 1/C.
    chance = weighted.balanced <= 1 / weighted.classes + 0.05;
    chanceText = `training balanced accuracy ${fmt(weighted.balanced)} under class weights against ${
      fmt(1 / weighted.classes)
    } for chance`;
  } else if (p.accuracy !== null && p.majority !== null) {
    chance = p.accuracy <= p.majority + 0.05;
    chanceText = `training accuracy ${fmt(p.accuracy)} against a majority-class share of ${fmt(p.majority)}`;
  } else {
    chance = atPrior;
    chanceText = `the best constant predictor (the target means) gives ${fmt(prior)}`;
  }
  if (!chance) return null;
  return makeFinding("not-learning", {
    title: "The model is not learning: the loss does not decrease and it does no better than chance",
    message: `The training loss went from ${fmt(t.start)} to ${fmt(t.end)}` +
      (t.improvement !== null ? ` (${fmt(100 * t.improvement)}% removed)` : "") +
      (prior !== null ? `; predicting the label distribution alone gives ${fmt(prior)}` : "") +
      `; ${chanceText}. No more specific cause was found in the training records.`,
    evidence: {
      initialLoss: t.start === null ? null : sig(t.start),
      finalLoss: t.end === null ? null : sig(t.end),
      lossRemoved: t.improvement === null ? null : sig(t.improvement),
      constantPredictorLoss: prior === null ? null : sig(prior),
      trainAccuracy: p.accuracy === null ? null : sig(p.accuracy),
      majorityClassShare: p.majority === null ? null : sig(p.majority),
      epochs: ctx.records.history.length,
    },
    fix: "Check that the model can overfit a handful of rows; then check the learning rate (×10 / ÷10), " +
      "the initialization and the feature scaling.",
  });
}

// ---------------------------------------------------------------------------------------------
// majority-class-collapse

/**
 * The model predicts one class for ≥ 95% of the training rows AND recalls ≤ 10% of the rows of all the
 * other classes together (≥ 5 such rows). The second condition keeps imbalanced-but-learnable runs
 * quiet: a model that predicts the majority often but still finds the minority is not collapsed.
 */
export function detectMajorityClassCollapse(ctx: TrainingContext): Finding | null {
  const v = classView(ctx, snapshot(ctx.records, "train", "last"));
  if (!v) return null;
  const predHist = histogram(v.predicted, v.classes), labelHist = histogram(v.truth, v.classes);
  const n = v.truth.length;
  const top = predHist.indexOf(Math.max(...predHist));
  const share = predHist[top] / n;
  let others = 0, othersHit = 0;
  for (let i = 0; i < n; i++) {
    if (v.truth[i] === top) continue;
    others++;
    if (v.predicted[i] === v.truth[i]) othersHit++;
  }
  if (share < 0.95 || others < 5 || othersHit / others > 0.1) return null;
  const val = classView(ctx, snapshot(ctx.records, "validation", "last"));
  const acc = accuracyOf(v);
  return makeFinding("majority-class-collapse", {
    title: `The model predicts class ${top} for ${fmt(100 * share)}% of the rows`,
    message:
      `After epoch ${v.epoch} the model predicts class ${top} for ${predHist[top]} of ${n} training rows, ` +
      `while the labels hold ${
        labelHist[top]
      } rows of that class. It recalls ${othersHit} of the ${others} rows ` +
      `of the other classes; its accuracy ${fmt(acc)} is just the share of class ${top} (${
        fmt(labelHist[top] / n)
      }).`,
    evidence: {
      split: "train",
      epoch: v.epoch,
      predictedClass: top,
      predictedHistogram: predHist,
      labelHistogram: labelHist,
      validationPredictedHistogram: val ? histogram(val.predicted, val.classes) : null,
      validationLabelHistogram: val ? histogram(val.truth, val.classes) : null,
      otherClassesRecall: sig(others ? othersHit / others : 0, 3),
      accuracy: sig(acc),
      majorityShare: sig(majorityShare(v)),
    },
    fix: "Look at the class balance (class weights, resampling, a stratified split) and at what keeps the " +
      "model from learning (learning rate, dead units, output/loss setup).",
  });
}

// ---------------------------------------------------------------------------------------------
// accuracy-hides-class-failure

/**
 * Accuracy ≥ 0.7 (AUTOTRAINER's satisfied accuracy Θ) while a class with ≥ 5 rows has a recall ≤ 0.1
 * ("almost never recalled"). Per-class recall is TP / support — not the one-vs-rest agreement, which
 * counts the true negatives and looks fine for any rare class (reported beside it for contrast).
 * Validation first (what users read), else training.
 */
export function detectAccuracyHidesClassFailure(ctx: TrainingContext): Finding | null {
  for (const split of ["validation", "train"] as const) {
    const snap = snapshot(ctx.records, split, "last");
    const v = classView(ctx, snap);
    if (!v || !snap) continue;
    const acc = accuracyOf(v);
    if (!(acc >= 0.7)) continue;
    const y = split === "train" ? ctx.targets.train : ctx.targets.validation!;
    const opts = { threshold: decisionThreshold(ctx.scenario) };
    const yPred = outputsOf(snap);
    const pc = perClassMetrics(y, yPred, opts);
    const failing: number[] = [];
    for (let c = 0; c < pc.recall.length; c++) if (pc.support[c] >= 5 && pc.recall[c] <= 0.1) failing.push(c);
    if (failing.length === 0) continue;
    const perClass = Array.from(pc.recall, (r, c) => ({
      class: c,
      support: pc.support[c],
      recall: Number.isNaN(r) ? null : sig(r, 3),
      precision: sig(pc.precision[c], 3),
      oneVsRestAgreement: sig(oneVsRest(v, c), 3),
    }));
    const bal = balancedAccuracy(y, yPred, opts), f1 = macroF1(y, yPred, opts);
    const f = failing[0];
    return makeFinding("accuracy-hides-class-failure", {
      title: `Accuracy ${fmt(acc)} hides class ${f}, recalled ${fmt(pc.recall[f])} of the time`,
      message:
        `On the ${split} split after epoch ${v.epoch}, accuracy is ${fmt(acc)} but class ${
          failing.join(", ")
        } ` +
        `(${failing.map((c) => pc.support[c]).join(", ")} rows) ${
          failing.length > 1 ? "are" : "is"
        } almost never ` +
        `predicted: recall ${
          failing.map((c) => fmt(pc.recall[c])).join(", ")
        }. Balanced accuracy (mean per-class ` +
        `recall) is ${fmt(bal)} and macro F1 ${fmt(f1)}. One-vs-rest agreement for class ${f} is ` +
        `${fmt(oneVsRest(v, f))}, which is why it looks fine; it counts the rows correctly left out.`,
      evidence: {
        split,
        epoch: v.epoch,
        accuracy: sig(acc),
        balancedAccuracy: sig(bal),
        macroF1: sig(f1),
        failingClasses: failing,
        perClass,
      },
      fix: "Report per-class recall, balanced accuracy or macro F1; rebalance the classes (class weights, " +
        "resampling) or lower the decision threshold for the missed class.",
      remedy: singleLabelTask(ctx) ? { kind: "class-weight", classWeight: "balanced" } : undefined,
    });
  }
  return null;
}

function oneVsRest(v: ClassView, c: number): number {
  let agree = 0;
  for (let i = 0; i < v.truth.length; i++) if ((v.truth[i] === c) === (v.predicted[i] === c)) agree++;
  return agree / v.truth.length;
}

// ---------------------------------------------------------------------------------------------
// overfitting

/** Patience of the early stopping `--verify` tries: a few epochs, as Keras examples use (3-5). */
const EARLY_STOPPING_PATIENCE = 3;

function singleLabelTask(ctx: TrainingContext): boolean {
  return ctx.task === "binary" || ctx.task === "multiclass";
}

/**
 * Classification: the final train − validation accuracy gap ≥ 0.1 (≥ 0.07 when train accuracy > 0.9,
 * AUTOTRAINER's `test_not_well`) AND the validation loss rose ≥ 10% above its minimum while the
 * training loss kept falling (AUTOTRAINER's `test_turn_bad`; 10% is Deepchecks' degradation default),
 * or the gap grew by ≥ 5 points since the first epoch and exceeds twice the validation accuracy's
 * binomial standard error (so a few rows of a small validation split cannot make it) while the
 * validation loss is no longer at its best at the last epoch. Other tasks: the validation loss ≥ 1.5× the
 * training loss AND the same rising validation loss.
 */
export function detectOverfitting(ctx: TrainingContext): Finding | null {
  const r = ctx.records;
  const vLast = snapshot(r, "validation", "last"), tLast = snapshot(r, "train", "last");
  if (!vLast || !tLast || !ctx.targets.validation) return null;
  const hist = r.history.filter((h) => h.validation && Number.isFinite(h.validation.loss ?? NaN));
  let rising = false, minVal = NaN, minEpoch = -1, finalVal = NaN;
  if (hist.length >= 3) {
    const vals = hist.map((h) => h.validation!.loss as number), trains = hist.map((h) => h.train.loss ?? NaN);
    const i = vals.indexOf(Math.min(...vals));
    minVal = vals[i], minEpoch = hist[i].epoch, finalVal = vals[vals.length - 1];
    rising = i < vals.length - 1 && finalVal >= 1.1 * minVal && trains[trains.length - 1] < trains[i];
  }
  const trainLoss = snapshotLoss(ctx, tLast), valLoss = snapshotLoss(ctx, vLast);
  const tv = classView(ctx, tLast), vv = classView(ctx, vLast);
  let gap: number | null = null, gapGrew = false, threshold: number | null = null;
  let trainAcc: number | null = null, valAcc: number | null = null, firstGap: number | null = null;
  let noise: number | null = null;
  if (tv && vv) {
    trainAcc = accuracyOf(tv), valAcc = accuracyOf(vv), gap = trainAcc - valAcc;
    threshold = trainAcc > 0.9 ? 0.07 : 0.1;
    const t1 = classView(ctx, snapshot(r, "train", 1)), v1 = classView(ctx, snapshot(r, "validation", 1));
    if (t1 && v1 && t1.epoch < tv.epoch) {
      firstGap = accuracyOf(t1) - accuracyOf(v1);
      gapGrew = gap - firstGap >= 0.05;
    }
    // A gap a few validation rows could make is not memorization: without a rising validation loss,
    // the gap must also exceed twice the validation accuracy's binomial standard error (30 rows at
    // 0.9 give 0.11; 3 errors on iris are not overfitting).
    noise = 2 * Math.sqrt((valAcc * (1 - valAcc)) / Math.max(1, vv.truth.length));
    // Nor is it memorization that harms yet while the validation loss is still at its best at the
    // last epoch: training on would still improve validation, and early stopping would change nothing.
    const stillImproving = hist.length >= 3 && minEpoch === hist[hist.length - 1].epoch;
    if (gap < threshold || !(rising || (gapGrew && gap >= noise && !stillImproving))) return null;
  } else {
    if (trainLoss === null || valLoss === null || !(valLoss >= 1.5 * trainLoss) || !rising) return null;
  }
  return makeFinding("overfitting", {
    title: gap !== null
      ? `Training accuracy ${fmt(trainAcc)} against validation ${
        fmt(valAcc)
      }: the model memorizes the training rows`
      : `Validation loss ${fmt(valLoss)} against training loss ${
        fmt(trainLoss)
      }: the model memorizes the training rows`,
    message: (gap !== null
      ? `After epoch ${tv!.epoch} the train − validation accuracy gap is ${fmt(gap)}` +
        (firstGap !== null ? ` (${fmt(firstGap)} after epoch 1)` : "") + ". "
      : `The validation loss is ${fmt(valLoss! / trainLoss!)}× the training loss. `) +
      (rising
        ? `The validation loss bottomed at ${fmt(minVal)} after epoch ${minEpoch} and rose to ${
          fmt(finalVal)
        } while the training loss kept falling.`
        : "The gap widened during training."),
    evidence: {
      trainAccuracy: trainAcc === null ? null : sig(trainAcc),
      validationAccuracy: valAcc === null ? null : sig(valAcc),
      gap: gap === null ? null : sig(gap),
      gapAfterFirstEpoch: firstGap === null ? null : sig(firstGap),
      gapThreshold: threshold,
      validationNoise: noise === null ? null : sig(noise),
      trainLoss: trainLoss === null ? null : sig(trainLoss),
      validationLoss: valLoss === null ? null : sig(valLoss),
      validationLossMin: Number.isFinite(minVal) ? sig(minVal) : null,
      validationLossMinEpoch: minEpoch >= 0 ? minEpoch : null,
      validationLossFinal: Number.isFinite(finalVal) ? sig(finalVal) : null,
      validationLossRising: rising,
    },
    remedy: { kind: "early-stopping", monitor: "val_loss", patience: EARLY_STOPPING_PATIENCE },
    fix: minEpoch >= 0 && rising
      ? `Stop at epoch ${minEpoch} (early stopping), add dropout, or use more data / a smaller model.`
      : "Add dropout or use more data / a smaller model; stop when the validation loss stops improving.",
  });
}

// ---------------------------------------------------------------------------------------------
// underfitting

/**
 * Only with a capacity probe (the pipeline retrains with more capacity / nonlinearity). Fires when
 * the probe's validation score gains ≥ 0.3 of the remaining room over the model's — gain =
 * (probe − model) / (perfect − model), Deepchecks' `SimpleModelComparison` gain, with 0.3 instead of
 * its 0.1 because here it must show "much better", not "better" — AND the model does not even fit
 * its own training rows as well as the probe does unseen ones (train and validation both poor).
 */
export function detectUnderfitting(ctx: TrainingContext): Finding | null {
  const probe = ctx.probes?.capacity;
  if (!probe) return null;
  const r = ctx.records;
  const tLast = snapshot(r, "train", "last"), vLast = snapshot(r, "validation", "last");
  const useAcc = isClassification(ctx.task) && typeof (probe.validation ?? probe.train).accuracy === "number";
  const probeScore =
    (useAcc ? (probe.validation ?? probe.train).accuracy : (probe.validation ?? probe.train).loss) ?? null;
  if (probeScore === null || !Number.isFinite(probeScore)) return null;
  let modelTrain: number | null, modelVal: number | null, gain: number;
  if (useAcc) {
    const tv = classView(ctx, tLast), vv = classView(ctx, vLast);
    modelTrain = tv ? accuracyOf(tv) : null;
    modelVal = vv ? accuracyOf(vv) : modelTrain;
    if (modelTrain === null || modelVal === null || modelVal >= 1) return null;
    gain = (probeScore - modelVal) / (1 - modelVal);
    if (gain < 0.3 || modelTrain > probeScore) return null;
  } else {
    modelTrain = snapshotLoss(ctx, tLast);
    modelVal = vLast ? snapshotLoss(ctx, vLast) : modelTrain;
    if (modelTrain === null || modelVal === null || !(modelVal > 0)) return null;
    gain = (modelVal - probeScore) / modelVal;
    if (gain < 0.3 || modelTrain < probeScore) return null;
  }
  const what = useAcc ? "accuracy" : "loss";
  return makeFinding("underfitting", {
    title: `A model with more capacity reaches ${what} ${fmt(probeScore)} against ${fmt(modelVal)}`,
    message:
      `The model's training ${what} is ${fmt(modelTrain)} and its validation ${what} ${
        fmt(modelVal)
      }: it does ` +
      `not fit even the rows it trains on. ${
        probe.description ?? "A probe with more capacity"
      } reaches validation ` +
      `${what} ${fmt(probeScore)} on the same data (gain ${
        fmt(gain)
      } of the remaining room), so the model is too ` +
      `small or too linear for the data.`,
    evidence: {
      metric: what,
      modelTrain: sig(modelTrain),
      modelValidation: sig(modelVal),
      probeTrain: (useAcc ? probe.train.accuracy : probe.train.loss) ?? null,
      probeValidation: sig(probeScore),
      probe: probe.description ?? null,
      gain: sig(gain, 3),
      gainThreshold: 0.3,
    },
    fix: "Add hidden units or a nonlinear hidden layer (relu), or train longer.",
  });
}

// ---------------------------------------------------------------------------------------------
// double-softmax (training evidence for the setup finding)

/**
 * The training-time evidence of a double softmax (softmax outputs fed to a cross-entropy with
 * `fromLogits: true`): the outputs already sum to 1, and the gradient that reaches the logits through
 * the second softmax is much smaller than the single-softmax gradient `softmax(z) − y` — both computed
 * with the float64 loss references on the last training snapshot. Also the loss floor the double
 * softmax imposes: even a perfect one-hot output gives −ln(e / (e + C − 1)). Null when the setup is
 * not a double softmax or no snapshot exists.
 */
export function doubleSoftmaxEvidence(ctx: TrainingContext): Record<string, unknown> | null {
  const s = ctx.scenario;
  const name = s.loss.name;
  if (outputActivation(s) !== "softmax" || !s.loss.fromLogits) return null;
  if (name !== "categorical-crossentropy" && name !== "sparse-categorical-crossentropy") return null;
  const snap = snapshot(ctx.records, "train", "last");
  const y = ctx.targets.train;
  if (!snap || snap.rows !== y.rows || snap.rows === 0) return null;
  const P = outputsOf(snap), Z = logitsOf(snap), C = snap.cols;
  let maxDev = 0, sumMean = 0;
  for (let r = 0; r < P.rows; r++) {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += P.data[r * C + c];
    maxDev = Math.max(maxDev, Math.abs(sum - 1));
    sumMean += sum / P.rows;
  }
  try {
    const cfg = { name, fromLogits: true, reduction: "mean" as const };
    const gP = lossGradient(cfg, y, P); // dL/dP: the loss treats the probabilities as logits
    const gDouble = throughSoftmax(gP, P); // chained through the first softmax to the real logits
    const gSingle = lossGradient(cfg, y, Z); // softmax(z) − y: what the logits get with one softmax
    const nD = frobenius(gDouble), nS = frobenius(gSingle);
    const doubleLoss = reduceLoss(lossPerRow({ name, fromLogits: true }, y, P), "mean");
    const singleLoss = reduceLoss(lossPerRow({ name, fromLogits: false }, y, P), "mean");
    const floor = Math.log(1 + (C - 1) / Math.E);
    return {
      epoch: snap.epoch,
      rows: snap.rows,
      outputRowSumMean: sig(sumMean, 6),
      outputRowSumMaxDeviation: sig(maxDev, 3),
      logitGradientNormDouble: sig(nD, 4),
      logitGradientNormSingle: sig(nS, 4),
      gradientShrink: nS > 0 ? sig(nD / nS, 3) : null,
      lossAsTrained: sig(doubleLoss),
      lossWithOneSoftmax: sig(singleLoss),
      lossFloorWithDoubleSoftmax: sig(floor),
      maxProbabilitySeenByLoss: sig(Math.E / (Math.E + C - 1)),
    };
  } catch {
    return null;
  }
}

/** Row-wise J_softmaxᵀ g = p ⊙ (g − ⟨g, p⟩). */
function throughSoftmax(g: Matrix, p: Matrix): Matrix {
  const out = new Float64Array(g.data.length);
  for (let r = 0; r < g.rows; r++) {
    const o = r * g.cols;
    let dot = 0;
    for (let c = 0; c < g.cols; c++) dot += g.data[o + c] * p.data[o + c];
    for (let c = 0; c < g.cols; c++) out[o + c] = p.data[o + c] * (g.data[o + c] - dot);
  }
  return { data: out, rows: g.rows, cols: g.cols };
}

function frobenius(m: Matrix): number {
  let s = 0;
  for (const v of m.data) s += v * v;
  return Math.sqrt(s);
}
