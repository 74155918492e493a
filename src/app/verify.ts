/**
 * `--verify`: for each error finding with an automatic remedy (and each finding whose remedy is class
 * weights or early stopping), re-train with that one change and
 * record the symptoms before and after. A remedy is `confirmed` only when the finding is gone after
 * the change and, for findings whose symptom is poor learning, the key metric clearly improved.
 *
 * @module
 */
import type { FileSource } from "../io.ts";
import { remedyOf } from "../diagnose/finding.ts";
import { lossPerRow, reduceLoss } from "../reference/losses.ts";
import { computeMetric } from "../reference/metrics.ts";
import type { Finding, FindingCode } from "../report/types.ts";
import { analyse, type AnalyseOptions, type Analysis } from "./analyse.ts";
import { applyRemedy } from "./remedies.ts";

/**
 * Codes whose complaint is about the numbers' integrity (a leak, an overlap, a mis-measured metric,
 * a scale that depends on batch size), not about learning: the fix must make the finding go away;
 * scores may well go DOWN (a leak removed).
 */
const INTEGRITY: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "feature-label-leakage",
  "train-validation-overlap",
  "split-distribution-shift",
  "accuracy-semantics-mismatch",
  "metric-mismatch",
  "metric-insensitive",
  "loss-reduction-sum",
  "label-noise",
]);

/** An absolute gain in accuracy, balanced accuracy or R² that is clearly more than run-to-run noise. */
const CLEAR_GAIN = 0.05;

/**
 * Remedies that change how training runs (class weights, early stopping, the batch-norm momentum):
 * verified for warnings too, since the findings they answer (class-imbalance,
 * accuracy-hides-class-failure, overfitting, batchnorm-stale-statistics) are warnings whose fix a
 * user wants to see work before adopting it.
 */
const TRAINING_REMEDIES: ReadonlySet<string> = new Set([
  "class-weight",
  "early-stopping",
  "set-batchnorm-momentum",
]);

/**
 * Class weights answer a class the model neglects: confirmed when balanced accuracy gains clearly
 * (the class counts do not change, so `class-imbalance` itself stays; a hidden class failure must go).
 */
function classWeightsHelped(code: FindingCode, before: KeySymptoms, after: KeySymptoms): boolean {
  const gain = before.balancedAccuracy !== null && after.balancedAccuracy !== null
    ? after.balancedAccuracy - before.balancedAccuracy
    : 0;
  const gone = code !== "accuracy-hides-class-failure" || !after.findings.includes(code);
  return gone && gain >= CLEAR_GAIN;
}

/**
 * Early stopping answers overfitting: confirmed when the run stopped before its last epoch and the
 * model it ends with (the best epoch's, restored) has a validation loss at least 5% below the final
 * one of the original run, without losing accuracy (or R²) beyond noise.
 */
function earlyStoppingHelped(before: KeySymptoms, after: KeySymptoms): boolean {
  if (after.stoppedEpoch === null) return false;
  const b = before.finalValidationLoss, a = after.finalValidationLoss;
  const lower = b !== null && a !== null && a <= 0.95 * b;
  const kept = before.score === null || after.score === null || after.score >= before.score - CLEAR_GAIN;
  return lower && kept;
}

/** Key symptoms of one analysis, as the report's before / after show them. */
export interface KeySymptoms {
  trainLoss: number | null;
  validationLoss: number | null;
  /** Accuracy (classification) or R² (regression) on the validation split, else on train. */
  score: number | null;
  scoreName: string;
  balancedAccuracy: number | null;
  /** Loss of the model the run ends with on validation (its last snapshot: the restored best model under early stopping). */
  finalValidationLoss: number | null;
  /** The epoch early stopping stopped after, or null. */
  stoppedEpoch: number | null;
  findings: FindingCode[];
}

export async function verifyFindings(
  findings: Finding[],
  before: Analysis,
  options: AnalyseOptions & { source: FileSource },
): Promise<Finding[]> {
  const cache = new Map<string, Promise<{ change: string; after: Analysis } | null>>();
  const beforeKey = keySymptoms(before);
  const out: Finding[] = [];
  for (const finding of findings) {
    const remedy = remedyOf(finding);
    if (!remedy || (finding.severity !== "error" && !TRAINING_REMEDIES.has(remedy.kind))) {
      out.push(finding);
      continue;
    }
    const key = JSON.stringify(remedy);
    if (!cache.has(key)) {
      cache.set(
        key,
        (async () => {
          const changed = await applyRemedy(remedy, before.scenario, before.data, options.source);
          if (!changed) return null;
          options.progress?.({ phase: "verify", message: `retraining with ${changed.change}` });
          return { change: changed.change, after: await analyse(changed.scenario, changed.data, options) };
        })(),
      );
    }
    const result = await cache.get(key)!;
    if (!result) {
      out.push(finding);
      continue;
    }
    const afterKey = keySymptoms(result.after);
    out.push({
      ...finding,
      verification: {
        change: result.change,
        before: { ...beforeKey },
        after: { ...afterKey },
        confirmed: remedy.kind === "class-weight"
          ? classWeightsHelped(finding.code, beforeKey, afterKey)
          : remedy.kind === "early-stopping"
          ? earlyStoppingHelped(beforeKey, afterKey)
          : confirmed(finding.code, beforeKey, afterKey),
        history: { before: before.history, after: result.after.history },
      },
    });
  }
  return out;
}

/** A finding `--verify` did not retrain for, and why (the report's additive `verify.notVerified`). */
export interface NotVerified {
  code: FindingCode;
  reason: string;
}

/**
 * The findings of a `--verify` run that carry no verification, each with the reason: only errors are
 * retrained; some fixes are advice with no automatic remedy; a remedy may not apply to the scenario.
 * So that a silent --verify never reads as "checked".
 */
export function notVerified(findings: readonly Finding[]): NotVerified[] {
  return findings.filter((f) => !f.verification).map((f) => ({
    code: f.code,
    reason: f.severity !== "error"
      ? "not an error (--verify retrains for errors only)"
      : !remedyOf(f)
      ? "no automatic remedy (the fix is advice to act on)"
      : "its remedy does not apply to this scenario",
  }));
}

function confirmed(code: FindingCode, before: KeySymptoms, after: KeySymptoms): boolean {
  const gone = !after.findings.includes(code);
  if (INTEGRITY.has(code)) return gone;
  const gain = (
    a: number | null,
    b: number | null,
  ) => (a !== null && b !== null ? b - a : b !== null && a === null ? Infinity : 0);
  const improved = gain(before.score, after.score) >= CLEAR_GAIN ||
    gain(before.balancedAccuracy, after.balancedAccuracy) >= CLEAR_GAIN;
  return gone && improved;
}

export function keySymptoms(a: Analysis): KeySymptoms {
  const classification = a.data.task.task === "binary" || a.data.task.task === "multiclass" ||
    a.data.task.task === "multilabel";
  const snaps = a.records?.predictions ?? [];
  const last = snaps.filter((p) => p.split === "validation").at(-1) ??
    snaps.filter((p) => p.split === "train").at(-1);
  let score: number | null = null, balanced: number | null = null, finalValidationLoss: number | null = null;
  const lastValidation = snaps.filter((p) => p.split === "validation").at(-1);
  if (lastValidation && a.data.targets.validation) {
    const t = a.data.targets.validation;
    const l = a.scenario.loss;
    const v = reduceLoss(
      lossPerRow(
        { name: l.name, fromLogits: l.fromLogits, delta: l.delta },
        { data: t.values, rows: t.rows, cols: t.width },
        { data: lastValidation.outputs, rows: lastValidation.rows, cols: lastValidation.cols },
      ),
      l.reduction,
    );
    finalValidationLoss = Number.isFinite(v) ? round(v) : null;
  }
  if (last) {
    const t = last.split === "validation" ? a.data.targets.validation! : a.data.targets.train;
    const y = { data: t.values, rows: t.rows, cols: t.width };
    const p = { data: last.outputs, rows: last.rows, cols: last.cols };
    const finite = (v: number) => (Number.isFinite(v) ? round(v) : null);
    if (classification) {
      score = finite(computeMetric("accuracy", y, p).value);
      if (a.data.task.task !== "multilabel") {
        balanced = finite(computeMetric("balanced-accuracy", y, p).value);
      }
    } else {
      score = finite(computeMetric("r2", y, p).value);
    }
  }
  const loss = (
    s: Record<string, number | null> | null,
  ) => (s && typeof s.loss === "number" && Number.isFinite(s.loss) ? round(s.loss) : null);
  return {
    trainLoss: loss(a.symptoms.train),
    validationLoss: loss(a.symptoms.validation),
    score,
    scoreName: classification ? "accuracy" : "r2",
    balancedAccuracy: balanced,
    finalValidationLoss,
    stoppedEpoch: a.records?.earlyStopping?.stoppedEpoch ?? null,
    findings: a.findings.filter((f) => f.severity !== "info").map((f) => f.code),
  };
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
