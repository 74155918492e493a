/**
 * Claims a data finding makes about harm, and the tests that support them. A data detector sees a
 * pattern (few rows per feature, columns of different scales); whether it hurts depends on the model
 * and the training. Such a finding starts as `info` carrying an untested claim in
 * `evidence.claim`; `diagnose data` cannot train, so there it stays `info` and says so. In `run` the
 * claim is tested on the run's own records (a train/validation gap) or by a short counterfactual
 * re-training (standardized features), and the finding becomes a `warning` only when the test
 * supports it. The evidence always says what was tested and what came out. Severity thereby means
 * the same in every mode: a warning is a harm seen, an info a pattern not shown to hurt.
 *
 * @module
 */
import type { Finding, Symptoms } from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";
import { sig } from "./finding.ts";

/** An untested claim, as a data finding carries it in `evidence.claim`. */
export interface Claim {
  /** What would show the harm. */
  test: string;
  tested: boolean;
  /** Set once tested. */
  supported?: boolean;
  /** What the test measured, once tested. */
  result?: Record<string, unknown>;
  note: string;
}

/** The claim record of a data finding that needs a test; `ctx.scenario` present means run mode. */
export function untestedClaim(ctx: { scenario?: Scenario }, test: string): Claim {
  return {
    test,
    tested: false,
    note: ctx.scenario
      ? "tested after training"
      : "not tested: `diagnose data` cannot train, so this stays a note; `run` tests it",
  };
}

/** The claim of a finding, if it carries an untested one. */
export function pendingClaim(f: Finding): Claim | null {
  const c = f.evidence.claim as Claim | undefined;
  return c && typeof c === "object" && c.tested === false ? c : null;
}

/**
 * A data-mode finding whose claim stays untested says so in its message too (the evidence table
 * may truncate): the harm is a possibility `diagnose data` cannot check.
 */
export function noteUntested(f: Finding): Finding {
  const claim = pendingClaim(f);
  if (!claim) return f;
  return {
    ...f,
    message:
      `${f.message} Not tested here (diagnose data cannot train); run the setup to test: ${claim.test}.`,
  };
}

/** Records the outcome of a claim's test: a supported claim makes the finding a warning. */
export function settleClaim(f: Finding, supported: boolean, result: Record<string, unknown>): Finding {
  const claim = pendingClaim(f)!;
  return {
    ...f,
    severity: supported ? "warning" : "info",
    message: `${f.message} Tested (${claim.test}): ${
      supported ? "the run supports it" : "the run does not show the harm, so this is a note"
    }.`,
    evidence: {
      ...f.evidence,
      claim: {
        test: claim.test,
        tested: true,
        supported,
        result,
        note: supported ? "the test supports the claim" : "the test does not support the claim: a note only",
      },
    },
  };
}

/** Accuracy-like score of a split: accuracy under any of its names, else R². */
export function scoreOf(split: Record<string, number | null> | null | undefined): number | null {
  if (!split) return null;
  for (
    const k of ["accuracy", "sparse-categorical-accuracy", "categorical-accuracy", "binary-accuracy", "r2"]
  ) {
    const v = split[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * A generalization gap: the score (accuracy, else R²) falls by at least 0.1 from train to validation,
 * and by more than the validation score's binomial standard error, so a row or two of a small
 * validation set cannot make it. Without a score: the validation loss at least twice the training
 * loss and 0.1 above it.
 */
export const GAP_SCORE = 0.1;

/** Tests the `insufficient-data` claim on the final symptoms: is there a generalization gap? */
export function testGap(f: Finding, symptoms: Symptoms, validationRows?: number): Finding {
  const tr = symptoms.train, va = symptoms.validation;
  if (!va) return settleClaim(f, false, { validation: "none: a gap cannot be measured" });
  const sTr = scoreOf(tr), sVa = scoreOf(va);
  const lTr = typeof tr.loss === "number" ? tr.loss : null,
    lVa = typeof va.loss === "number" ? va.loss : null;
  let supported: boolean, noise: number | null = null;
  if (sTr !== null && sVa !== null) {
    const p = Math.min(Math.max(sVa, 0), 1);
    noise = validationRows ? Math.sqrt((p * (1 - p)) / validationRows) : 0;
    supported = sTr - sVa >= Math.max(GAP_SCORE, noise);
  } else {
    supported = lTr !== null && lVa !== null && Number.isFinite(lTr) && Number.isFinite(lVa) &&
      lVa >= 2 * lTr && lVa - lTr >= 0.1;
  }
  return settleClaim(f, supported, {
    trainScore: sTr === null ? null : sig(sTr),
    validationScore: sVa === null ? null : sig(sVa),
    ...(noise !== null ? { gapNeeded: sig(Math.max(GAP_SCORE, noise)) } : {}),
    trainLoss: lTr === null ? null : sig(lTr),
    validationLoss: lVa === null ? null : sig(lVa),
  });
}

/**
 * Tests a scale claim with a counterfactual run: supported when the standardized re-run scores at
 * least 0.05 better on validation (else train), or reaches a validation loss at most 0.7× as large.
 */
export function testProbe(
  f: Finding,
  before: { score: number | null; loss: number | null },
  after: { score: number | null; loss: number | null },
  description: string,
): Finding {
  const gain = before.score !== null && after.score !== null ? after.score - before.score : null;
  const lossRatio = before.loss !== null && after.loss !== null && before.loss > 0
    ? after.loss / before.loss
    : null;
  // A run that produced no score (it diverged to NaN) against one that did is the clearest gain.
  const rescued = before.score === null && after.score !== null;
  const supported = rescued || (gain !== null && gain >= 0.05) || (lossRatio !== null && lossRatio <= 0.7);
  return settleClaim(f, supported, {
    probe: description,
    scoreBefore: before.score === null ? null : sig(before.score),
    scoreAfter: after.score === null ? null : sig(after.score),
    lossBefore: before.loss === null ? null : sig(before.loss),
    lossAfter: after.loss === null ? null : sig(after.loss),
  });
}

/**
 * Tests a `label-noise` claim made on weak neighbour agreement: the contradicted labels are noise if
 * the features carry the label, which a trained model shows by scoring `margin` above the majority
 * share on validation (else train).
 */
export function testSignal(f: Finding, symptoms: Symptoms, margin: number): Finding {
  const split = symptoms.validation ?? symptoms.train;
  const score = scoreOf(split);
  const majority = f.evidence.majorityShare as number;
  const supported = score !== null && typeof majority === "number" && score >= majority + margin;
  return settleClaim(f, supported, {
    score: score === null ? null : sig(score),
    majorityShare: majority,
    split: symptoms.validation ? "validation" : "train",
  });
}
