/**
 * Findings of an audit: from the forensics (which definition reproduced each logged number), from
 * the history over all epochs (constant metrics), and from the predictions themselves (collapse,
 * class failures hidden by accuracy, imbalance). Detectors return findings; they never throw.
 *
 * @module
 */
import type { Finding, FindingCode, Severity } from "../report/types.ts";
import { type PerClassMetrics, perClassMetrics } from "../reference/metrics.ts";
import type { Matrix } from "../reference/matrix.ts";
import type { CandidateCheck, QuantityCheck } from "./forensics.ts";
import { type AuditContext, fmt } from "./infer.ts";
import type { History } from "./inputs.ts";
import { writtenPrecision } from "./inputs.ts";
import { classifyKey } from "./names.ts";

/** Root causes before the symptoms they explain, within one severity. */
const ORDER: FindingCode[] = [
  "non-finite-loss",
  "labels-not-class-indices",
  "loss-task-mismatch",
  "single-unit-softmax",
  "double-softmax",
  "loss-mismatch",
  "accuracy-semantics-mismatch",
  "metric-insensitive",
  "metric-mismatch",
  "learning-rate-too-high",
  "initial-loss-anomaly",
  "repeated-batch",
  "majority-class-collapse",
  "not-learning",
  "accuracy-hides-class-failure",
  "class-imbalance",
  "overfitting",
  "validation-better-than-training",
];
const SEVERITY: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors, then warnings, then info; root cause first within each. */
export function orderFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    SEVERITY[a.severity] - SEVERITY[b.severity] || ORDER.indexOf(a.code) - ORDER.indexOf(b.code)
  );
}

/** Findings from the forensics of one epoch, and from the whole history. */
export function forensicFindings(
  checks: QuantityCheck[],
  history: History,
  split: "train" | "validation",
  epochHint: number | null,
): Finding[] {
  const out: Finding[] = [];
  const trainNote = split === "train"
    ? " Training-split numbers are running means over the epoch while the weights move, with dropout active and any regularisation penalty added, so they are only loosely comparable with predictions made after the epoch."
    : "";
  // On the training split a match can be a coincidence of the loose tolerance: one step down.
  const sev = (s: Severity): Severity => (split === "train" ? (s === "error" ? "warning" : "info") : s);
  const consumed = new Set<string>();

  // metric-insensitive: constant over the epochs while the loss moves, and not reproduced.
  const logPrecision = writtenPrecision(
    Float64Array.from(
      Object.values(history.values).flat().filter((v): v is number => v !== null && Number.isFinite(v)),
    ),
  );
  // A metric some definition reproduces is explained (constant because the predictions are, or a
  // known wrong definition reported below); only unexplained constants are "insensitive".
  const okBases = new Set(
    checks.filter((c) => c.status === "ok" || c.status === "wrong-definition").map((c) => c.info.base),
  );
  const constant: { key: string; value: number; epochs: number; lossRange: [number, number] }[] = [];
  for (const key of history.keys) {
    const info = classifyKey(key);
    if (info.bookkeeping || info.family === "loss" || okBases.has(info.base)) continue;
    const lossKey = history.keys.find((k) => {
      const i = classifyKey(k);
      return i.split === info.split && i.base === "loss";
    });
    const v = history.values[key].filter((x): x is number => x !== null && Number.isFinite(x));
    const loss = lossKey
      ? history.values[lossKey].filter((x): x is number => x !== null && Number.isFinite(x))
      : [];
    if (v.length < 3 || loss.length < 3) continue;
    const spread = Math.max(...v) - Math.min(...v);
    const lo = Math.min(...loss), hi = Math.max(...loss);
    // "Moves": more than 0.1% of its size and more than the log's written precision.
    const lossMoves = hi - lo > Math.max(1e-3 * Math.abs(hi), 2 * logPrecision);
    if (spread <= 2 * logPrecision + Math.abs(v[0]) * 64 * 2 ** -24 && lossMoves) {
      constant.push({ key, value: v[0], epochs: v.length, lossRange: [lo, hi] });
      consumed.add(info.base);
    }
  }
  if (constant.length > 0) {
    const names = constant.map((c) => c.key).join(", ");
    const check = checks.find((c) => constant.some((k) => k.key === c.key));
    out.push({
      code: "metric-insensitive",
      severity: "error",
      title: `${names} never change${constant.length === 1 ? "s" : ""} while the loss moves`,
      message: `${names} stay${constant.length === 1 ? "s" : ""} at ${fmt(constant[0].value)} for all ${
        constant[0].epochs
      } epochs while the loss goes from ${fmt(constant[0].lossRange[1])} to ${fmt(constant[0].lossRange[0])}${
        check?.best
          ? `, and no definition recomputed from the predictions gives it (nearest: ${check.best.description} = ${
            fmt(check.best.value)
          })`
          : ""
      }. A metric that does not respond to the predictions is hard-coded, computed on something other than the outputs, or returns a constant by mistake.`,
      evidence: {
        constant,
        ...(check?.best ? { nearestDefinition: check.best.id, nearestValue: check.best.value } : {}),
      },
      fix:
        "Check the metric function: it must compute from y_true and y_pred (no constants, no captured tensors); log a built-in metric next to it to compare.",
    });
  }

  const wrong = checks.filter((c) => c.status === "wrong-definition" && c.best);
  const group = (pred: (c: QuantityCheck) => boolean) => wrong.filter(pred);

  const taskMismatch = group((c) => c.best!.verdict === "task-mismatch");
  if (taskMismatch.length > 0) {
    const c = taskMismatch[0];
    out.push({
      code: "loss-task-mismatch",
      severity: sev("error"),
      // Named in words (the definition's description up to its details), not by its internal id.
      title: `The logged loss is ${c.best!.description.split(/ between | of |: | \(/)[0]} on ${
        c.best!.problem?.includes("continuous") ? "a continuous target" : "class labels"
      }`,
      message: `${c.quantity} = ${fmt(c.logged!)} at epoch ${c.epoch} is reproduced by ${
        c.best!.description
      } (${fmt(c.best!.value)}), not by any cross-entropy: ${c.best!.problem}.${trainNote}`,
      evidence: evidenceOf(taskMismatch),
      fix: c.best!.problem?.includes("continuous")
        ? "Use mse, mae or huber for a continuous target."
        : "Use categorical-crossentropy (one-hot targets) or sparse-categorical-crossentropy (class indices) with a softmax output, or binary-crossentropy with a sigmoid output for two classes.",
    });
  }

  const lossVariant = group((c) => c.best!.verdict === "loss-variant");
  for (const c of lossVariant) {
    const v = c.best!.variant;
    out.push({
      code: "loss-mismatch",
      severity: sev(v === "sum" ? "warning" : "error"),
      title: v === "sum"
        ? `${c.quantity} is a sum, not a mean`
        : v === "logits-as-probabilities"
        ? "The loss reads logits as probabilities"
        : v === "single-unit-categorical"
        ? "Categorical cross-entropy over one unit is always 0"
        : "The loss applies softmax/sigmoid to outputs that are already probabilities",
      message: `${c.quantity} = ${fmt(c.logged!)} at epoch ${c.epoch} matches ${c.best!.description} (${
        fmt(c.best!.value)
      }), not the ${nearestCorrectText(c)}: ${c.best!.problem}.${trainNote}`,
      evidence: evidenceOf([c]),
      fix: v === "sum"
        ? "Use reduction 'mean' (Keras SUM_OVER_BATCH_SIZE, torch reduction='mean'): with 'sum' the loss and the step size grow with the batch size."
        : v === "logits-as-probabilities"
        ? "Either add the output activation (softmax / sigmoid) or tell the loss it gets logits (from_logits=True; in tfjs use tf.losses.softmaxCrossEntropy / sigmoidCrossEntropy)."
        : v === "single-unit-categorical"
        ? "Use binary-crossentropy with one sigmoid unit, or two softmax units with categorical cross-entropy."
        : "Remove from_logits=True (the model already ends in softmax/sigmoid), or remove the output activation and keep from_logits=True.",
    });
  }

  const sem = group((c) => c.best!.verdict === "semantics");
  if (sem.length > 0) {
    const c = sem[0];
    out.push({
      code: "accuracy-semantics-mismatch",
      severity: sev("error"),
      title: `${sem.map((s) => s.quantity).join(", ")} ${
        sem.length === 1 ? "does" : "do"
      } not measure the task`,
      message: sem.map((s) =>
        `${s.quantity} = ${fmt(s.logged!)} at epoch ${s.epoch} is reproduced by ${s.best!.description} (${
          fmt(s.best!.value)
        }): ${s.best!.problem}; the ${nearestCorrectText(s)}`
      ).join(". ") + "." + trainNote,
      evidence: evidenceOf(sem),
      fix: fixForSemantics(c.best!),
    });
  }

  for (const c of checks.filter((c) => c.status === "unreproduced" && !consumed.has(c.info.base))) {
    const near = c.best;
    const isLoss = c.info.family === "loss";
    const above = near ? c.logged! > near.value : false;
    const hint = epochHint !== null
      ? ` The predictions do reproduce the log at epoch ${epochHint}: are they from that epoch?`
      : "";
    out.push({
      code: isLoss ? "loss-mismatch" : "metric-mismatch",
      severity: sev(isLoss && above ? "warning" : "error"),
      title: `${c.quantity} = ${fmt(c.logged!)} is not reproduced by any known definition`,
      message: `No definition recomputed from the predictions gives ${c.quantity} = ${
        fmt(c.logged!)
      } at epoch ${c.epoch} within ${fmt(c.tolerance)}${
        near ? `; the nearest is ${near.description} = ${fmt(near.value)} (off by ${fmt(near.absError)})` : ""
      }.${
        isLoss && above
          ? " A logged loss above the data loss is what a regularisation penalty (kernel_regularizer, weight decay in the loss) adds."
          : ""
      }${hint}${trainNote}`,
      evidence: { ...evidenceOf([c]), ...(epochHint !== null ? { predictionsMatchEpoch: epochHint } : {}) },
      fix: isLoss
        ? "Check the loss configuration (reduction, from_logits, added penalties) and that the predictions are the model outputs of this split at this epoch."
        : "Check the metric's definition (threshold, averaging, per-batch averaging of a non-additive metric) and that the predictions are the model outputs of this split at this epoch.",
    });
  }

  const nonFinite = checks.find((c) => c.status === "not-finite" && c.info.family === "loss");
  if (nonFinite) {
    const vals = history.values[nonFinite.key];
    const first = vals.findIndex((v) => v === null || !Number.isFinite(v));
    out.push({
      code: "non-finite-loss",
      severity: "error",
      title: `${nonFinite.quantity} is ${nonFinite.logged === null ? "NaN" : nonFinite.logged}`,
      message:
        `The logged ${nonFinite.quantity} is not finite at epoch ${nonFinite.epoch}; it first became non-finite at epoch ${
          history.epochs[first]
        }.`,
      evidence: { firstNonFiniteEpoch: history.epochs[first], key: nonFinite.key },
      fix: "Lower the learning rate, clip gradients, scale the inputs, and check the data for NaN/Inf.",
    });
  }
  return out;
}

/** Findings from the labels and predictions alone. */
export function predictionFindings(
  ctx: AuditContext,
): { findings: Finding[]; perClass: PerClassMetrics | null } {
  const out: Finding[] = [];
  if (!ctx.classes) return { findings: out, perClass: null };
  const n = ctx.rows;
  const labels: Matrix = { data: Float64Array.from(ctx.classes), rows: n, cols: 1 };
  const pc = perClassMetrics(labels, ctx.units === 1 ? ctx.probs : ctx.raw);
  const c = pc.support.length;
  const name = (i: number) => ctx.classNames?.[i] ?? String(i);
  const present = [...pc.support.keys()].filter((i) => pc.support[i] > 0);
  let hits = 0;
  for (let i = 0; i < c; i++) hits += pc.recall[i] * pc.support[i] || 0;
  const accuracy = hits / n;
  const balanced = mean(present.map((i) => pc.recall[i]));
  const macroF1 = mean(present.map((i) => pc.f1[i]));
  const perClass = present.map((i) => ({
    class: name(i),
    support: pc.support[i],
    predicted: pc.predicted[i],
    recall: pc.recall[i],
    precision: pc.precision[i],
  }));

  // class-imbalance: at 10:1 the majority predictor already scores ≥ 91%, the point where accuracy
  // stops telling a working model from a trivial one.
  const counts = present.map((i) => pc.support[i]);
  const ratio = Math.min(...counts) / Math.max(...counts);
  if (present.length >= 2 && ratio <= 0.1) {
    const rare = present[counts.indexOf(Math.min(...counts))],
      common = present[counts.indexOf(Math.max(...counts))];
    out.push({
      code: "class-imbalance",
      severity: "warning",
      title: `Class ${name(rare)} is ${fmt(1 / ratio)}× rarer than class ${name(common)}`,
      message: `The labels hold ${pc.support[common]} rows of class ${name(common)} and ${
        pc.support[rare]
      } of class ${name(rare)} (ratio ${fmt(ratio)}): always predicting ${name(common)} already scores ${
        fmt(Math.max(...counts) / n)
      } accuracy.`,
      evidence: { classCounts: Object.fromEntries(present.map((i) => [name(i), pc.support[i]])), ratio },
      fix:
        "Weight the loss by inverse class frequency (class_weight), resample, and judge the model by balanced accuracy, per-class recall or macro F1.",
    });
  }

  // majority-class-collapse: one class predicted for ≥ 95% of rows ("nearly every row") while the
  // rows of the other classes are recalled ≤ 10% of the time: the model ignores them.
  const top = [...pc.predicted.keys()].reduce((a, b) => (pc.predicted[b] > pc.predicted[a] ? b : a), 0);
  const share = pc.predicted[top] / n;
  const others = n - pc.support[top];
  const othersRecalled = others > 0 ? (hits - pc.support[top] * (pc.recall[top] || 0)) / others : 1;
  let collapsed = false;
  if (share >= 0.95 && others > 0 && othersRecalled <= 0.1) {
    collapsed = true;
    out.push({
      code: "majority-class-collapse",
      severity: "error",
      title: `The model predicts class ${name(top)} for ${fmt(100 * share)}% of rows`,
      message: `${pc.predicted[top]} of ${n} rows are predicted as class ${
        name(top)
      }; of the ${others} rows of other classes only ${fmt(100 * othersRecalled)}% are recalled. Accuracy ${
        fmt(accuracy)
      } against a majority-class baseline of ${fmt(Math.max(...counts) / n)}; balanced accuracy ${
        fmt(balanced)
      }, macro F1 ${fmt(macroF1)}.`,
      evidence: { predictedShare: share, accuracy, balancedAccuracy: balanced, macroF1, perClass },
      fix:
        "Counter the imbalance (class weights, resampling), check the learning rate and the loss, and monitor balanced accuracy or macro F1 instead of accuracy.",
    });
  }

  // accuracy-hides-class-failure: accuracy ≥ 0.7 reads as "working", yet a class with enough rows to
  // judge (≥ 5) is recalled ≤ 20% of the time. Left out when the collapse finding already says it.
  const failing = present.filter((i) => pc.support[i] >= 5 && pc.recall[i] <= 0.2);
  if (!collapsed && accuracy >= 0.7 && failing.length > 0) {
    out.push({
      code: "accuracy-hides-class-failure",
      severity: "warning",
      title: `Accuracy ${fmt(accuracy)} hides class ${failing.map(name).join(", ")} (recall ≤ 20%)`,
      message: `Accuracy is ${fmt(accuracy)} but ${
        failing.map((i) => `class ${name(i)} is recalled ${fmt(100 * pc.recall[i])}% (${pc.support[i]} rows)`)
          .join(", ")
      }; balanced accuracy ${fmt(balanced)}, macro F1 ${fmt(macroF1)}.`,
      evidence: { accuracy, balancedAccuracy: balanced, macroF1, perClass },
      fix: "Report per-class recall, balanced accuracy or macro F1; weight or resample the failing classes.",
    });
  }
  return { findings: out, perClass: pc };
}

function evidenceOf(checks: QuantityCheck[]): Record<string, unknown> {
  return {
    quantities: checks.map((c) => ({
      quantity: c.quantity,
      key: c.key,
      epoch: c.epoch,
      logged: c.logged,
      tolerance: c.tolerance,
      reproducedBy: c.candidates.filter((x) => x.matches).map((x) => ({
        id: x.id,
        value: x.value,
        verdict: x.verdict,
      })),
      correctDefinitions: c.candidates.filter((x) => x.verdict === "correct").map((x) => ({
        id: x.id,
        value: x.value,
      })),
    })),
  };
}

function nearestCorrectText(c: QuantityCheck): string {
  const correct =
    c.candidates.filter((x) => x.verdict === "correct").sort((a, b) => a.absError - b.absError)[0];
  return correct
    ? `right definition, ${correct.id}, gives ${fmt(correct.value)}`
    : "right definition is not computable here";
}

function fixForSemantics(c: CandidateCheck): string {
  if (c.id.startsWith("binary-accuracy") && c.problem?.includes("one-hot")) {
    return "Use categorical accuracy (metrics=['categorical_accuracy'] or tfjs 'categoricalAccuracy'), and categorical cross-entropy with a softmax output for single-label classes.";
  }
  if (c.problem?.includes("logits")) {
    return "Threshold logits at 0, or apply the sigmoid/softmax before the metric (Keras: BinaryAccuracy(threshold=0.0), AUC(from_logits=True)).";
  }
  if (c.problem?.includes("regression")) return "Drop accuracy for a regression task; log mae, rmse or r2.";
  if (c.problem?.includes("one output unit")) {
    return "With one sigmoid unit use binary accuracy; categorical metrics need one unit per class.";
  }
  if (c.id.includes("tfjs-exact")) {
    return "Threshold the predictions before tf.metrics.precision/recall, or compute them from a confusion matrix.";
  }
  if (c.id.startsWith("top-")) return "Use k below the number of classes.";
  return "Use the metric that matches the targets: binary accuracy for one sigmoid unit or multi-label, categorical accuracy for single-label classes.";
}

function mean(v: number[]): number {
  const f = v.filter((x) => !Number.isNaN(x));
  return f.length === 0 ? NaN : f.reduce((a, b) => a + b, 0) / f.length;
}
