/**
 * The shared machinery of every detector: a catalogue of finding codes (default severity, family,
 * which symptoms each root cause explains), the machine-readable remedies that `--verify` applies,
 * and one constructor so every finding has the same shape.
 *
 * Remedies travel in the finding's evidence under the key `remedy` (see {@linkcode remedyOf}), so
 * they survive JSON serialization and the report shows exactly what `--verify` would change.
 */
import type { Finding, FindingCode, Severity } from "../report/types.ts";
import type { Activation, LossName } from "../scenario/types.ts";

/** Which part of the pipeline a finding is about. */
export type FindingFamily = "setup" | "data" | "training" | "metric";

/**
 * One change `--verify` can make to a scenario and re-train with. Each is a single conceptual change;
 * a new output head (activation and the loss that goes with it) counts as one.
 */
export type Remedy =
  | { kind: "set-loss"; loss: LossName; fromLogits?: boolean; activation?: Activation }
  | { kind: "set-output-activation"; activation: Activation; loss?: LossName; fromLogits?: boolean }
  | { kind: "set-from-logits"; fromLogits: boolean }
  | { kind: "set-reduction"; reduction: "mean" }
  | { kind: "set-metric"; from: string; to: string; threshold?: number }
  | { kind: "drop-feature"; columns: string[] }
  | { kind: "drop-non-finite-rows" }
  | { kind: "shuffle" }
  | { kind: "stratify" }
  | { kind: "standardize-features" }
  | { kind: "standardize-target" }
  | { kind: "fix-labels"; mapping: Array<{ from: number; to: number }> }
  | { kind: "drop-duplicates" }
  | { kind: "scale-learning-rate"; factor: number }
  | { kind: "random-init" }
  /** Keras `class_weight` (scikit-learn's "balanced"): the rare classes' rows weigh more. */
  | { kind: "class-weight"; classWeight: "balanced" }
  /** Keras `EarlyStopping` on the validation loss, with the best weights restored. */
  | { kind: "early-stopping"; monitor: string; patience: number }
  /** Keras `BatchNormalization(momentum=...)` on the given batch-norm layers (1-based positions). */
  | { kind: "set-batchnorm-momentum"; layers: number[]; momentum: number };

/** What the catalogue knows about one code. */
export interface CodeInfo {
  family: FindingFamily;
  /** The severity a detector uses unless its evidence calls for another. */
  severity: Severity;
  /** The symptoms this code, as a root cause, can produce (direct edges; ordering uses the closure). */
  explains: readonly FindingCode[];
}

const NONE: readonly FindingCode[] = [];

/**
 * Root cause → symptom edges. Read each line as "when X is present, Y may be its consequence".
 * The graph is acyclic (a test checks it): symptoms never explain their causes.
 */
export const CATALOGUE: Readonly<Record<FindingCode, CodeInfo>> = {
  // setup
  "loss-task-mismatch": {
    family: "setup",
    severity: "error",
    explains: [
      "not-learning",
      "majority-class-collapse",
      "accuracy-hides-class-failure",
      "initial-loss-anomaly",
      "underfitting",
      "learning-rate-too-low",
      "metric-insensitive",
    ],
  },
  "single-unit-softmax": {
    family: "setup",
    severity: "error",
    // softmax over one unit is the constant 1: zero gradient, constant predictions and metrics.
    explains: [
      "not-learning",
      "vanishing-gradients",
      "learning-rate-too-low",
      "majority-class-collapse",
      "initial-loss-anomaly",
      "metric-insensitive",
      "underfitting",
      "accuracy-semantics-mismatch",
      "loss-task-mismatch",
    ],
  },
  "double-softmax": {
    family: "setup",
    severity: "error",
    explains: [
      "not-learning",
      "vanishing-gradients",
      "learning-rate-too-low",
      "underfitting",
      "initial-loss-anomaly",
      "majority-class-collapse",
    ],
  },
  "missing-output-activation": {
    family: "setup",
    severity: "error",
    explains: [
      "not-learning",
      "non-finite-loss",
      "initial-loss-anomaly",
      "majority-class-collapse",
      "underfitting",
      "dead-relu",
      "loss-mismatch",
    ],
  },
  "sigmoid-multiclass-head": {
    family: "setup",
    severity: "warning",
    explains: [
      "not-learning",
      "majority-class-collapse",
      "accuracy-hides-class-failure",
      "underfitting",
      "initial-loss-anomaly",
      "accuracy-semantics-mismatch",
    ],
  },
  "softmax-multilabel-head": {
    family: "setup",
    severity: "error",
    explains: ["not-learning", "underfitting", "accuracy-hides-class-failure", "initial-loss-anomaly"],
  },
  "output-range-mismatch": {
    family: "setup",
    severity: "error",
    explains: [
      "not-learning",
      "underfitting",
      "saturated-activations",
      "dead-relu",
      "initial-loss-anomaly",
      "majority-class-collapse",
    ],
  },
  "loss-reduction-sum": {
    family: "setup",
    severity: "warning",
    explains: [
      "learning-rate-too-high",
      "exploding-gradients",
      "non-finite-loss",
      "loss-mismatch",
      "initial-loss-anomaly",
    ],
  },
  "accuracy-semantics-mismatch": {
    family: "setup",
    severity: "error",
    explains: ["metric-insensitive", "metric-mismatch"],
  },
  "batchnorm-batch-of-one": {
    family: "setup",
    severity: "error",
    // A batch-norm layer normalising one value per channel outputs β whatever its input: the model's
    // output stops depending on the input and nothing below the layer gets a gradient.
    explains: [
      "not-learning",
      "vanishing-gradients",
      "learning-rate-too-low",
      "majority-class-collapse",
      "accuracy-hides-class-failure",
      "underfitting",
      "initial-loss-anomaly",
      // One value per channel drags the moving variance towards 0: evaluation then normalises with it.
      "batchnorm-stale-statistics",
    ],
  },
  "batchnorm-stale-statistics": {
    family: "setup",
    severity: "warning",
    // Evaluation normalises with moving statistics far from the data's: the evaluated model is worse
    // than the trained one, on validation (looks like memorization) and on the training rows alike;
    // the evaluated loss curve can climb while the training-mode loss falls (read as a divergence).
    explains: [
      "learning-rate-too-high",
      "overfitting",
      "underfitting",
      "not-learning",
      "majority-class-collapse",
      "accuracy-hides-class-failure",
    ],
  },
  // data
  "labels-not-class-indices": {
    family: "data",
    severity: "error",
    explains: [
      "loss-task-mismatch",
      "output-range-mismatch",
      "accuracy-semantics-mismatch",
      "not-learning",
      "non-finite-loss",
      "initial-loss-anomaly",
      "majority-class-collapse",
      "class-imbalance",
      "label-noise",
    ],
  },
  "non-finite-data": {
    family: "data",
    severity: "error",
    explains: ["non-finite-loss", "exploding-gradients", "not-learning", "gpu-reference-divergence"],
  },
  "unscaled-features": {
    family: "data",
    severity: "warning",
    explains: [
      "learning-rate-too-high",
      "learning-rate-too-low",
      "exploding-gradients",
      "vanishing-gradients",
      "non-finite-loss",
      "saturated-activations",
      "dead-relu",
      "not-learning",
      "underfitting",
      "initial-loss-anomaly",
    ],
  },
  "unscaled-regression-target": {
    family: "data",
    severity: "warning",
    explains: [
      "learning-rate-too-low",
      "learning-rate-too-high",
      "exploding-gradients",
      "non-finite-loss",
      "not-learning",
      "underfitting",
      "initial-loss-anomaly",
    ],
  },
  "class-imbalance": {
    family: "data",
    severity: "warning",
    explains: ["majority-class-collapse", "accuracy-hides-class-failure"],
  },
  "feature-label-leakage": { family: "data", severity: "error", explains: NONE },
  "train-validation-overlap": { family: "data", severity: "error", explains: NONE },
  "split-distribution-shift": {
    family: "data",
    severity: "warning",
    explains: ["overfitting", "accuracy-hides-class-failure"],
  },
  "unshuffled-data": {
    family: "data",
    severity: "warning",
    explains: [
      "split-distribution-shift",
      "majority-class-collapse",
      "not-learning",
      "learning-rate-too-high",
      "overfitting",
      "accuracy-hides-class-failure",
    ],
  },
  "label-noise": {
    family: "data",
    severity: "warning",
    explains: ["overfitting", "underfitting", "not-learning"],
  },
  "insufficient-data": { family: "data", severity: "warning", explains: ["overfitting"] },
  // training
  "repeated-batch": { family: "training", severity: "error", explains: ["overfitting"] },
  "non-finite-loss": { family: "training", severity: "error", explains: ["not-learning"] },
  "learning-rate-too-high": {
    family: "training",
    severity: "error",
    explains: [
      "non-finite-loss",
      "exploding-gradients",
      "dead-relu",
      "not-learning",
      "majority-class-collapse",
      "saturated-activations",
    ],
  },
  "learning-rate-too-low": {
    family: "training",
    severity: "warning",
    explains: ["not-learning", "underfitting"],
  },
  "vanishing-gradients": {
    family: "training",
    severity: "warning",
    explains: ["not-learning", "underfitting", "majority-class-collapse"],
  },
  "exploding-gradients": {
    family: "training",
    severity: "error",
    explains: ["non-finite-loss", "not-learning"],
  },
  "dead-relu": {
    family: "training",
    severity: "warning",
    explains: ["vanishing-gradients", "not-learning", "underfitting"],
  },
  "saturated-activations": {
    family: "training",
    severity: "warning",
    explains: ["vanishing-gradients", "not-learning", "underfitting"],
  },
  "constant-initialization": {
    family: "training",
    severity: "error",
    explains: ["not-learning", "underfitting", "vanishing-gradients", "dead-relu"],
  },
  "not-learning": { family: "training", severity: "error", explains: NONE },
  "majority-class-collapse": {
    family: "training",
    severity: "error",
    explains: ["accuracy-hides-class-failure", "not-learning"],
  },
  "accuracy-hides-class-failure": { family: "training", severity: "warning", explains: NONE },
  "overfitting": { family: "training", severity: "warning", explains: NONE },
  // History-only audit: validation numbers better than training all along (dropout, or overlap).
  "validation-better-than-training": { family: "training", severity: "info", explains: NONE },
  // Claimed only with the capacity probe's evidence (a bigger model does much better), so a collapse
  // onto one class or a flat run is what too small a model shows, not a cause of its own.
  "underfitting": {
    family: "training",
    severity: "warning",
    explains: ["majority-class-collapse", "not-learning"],
  },
  "initial-loss-anomaly": { family: "training", severity: "warning", explains: NONE },
  // metric consistency
  "metric-mismatch": { family: "metric", severity: "error", explains: NONE },
  "metric-insensitive": { family: "metric", severity: "error", explains: NONE },
  "loss-mismatch": { family: "metric", severity: "error", explains: NONE },
  // A defect of fitcheck itself: every number computed on the GPU is suspect, so it explains the rest.
  "gpu-reference-divergence": {
    family: "metric",
    severity: "error",
    explains: ["loss-mismatch", "metric-mismatch", "non-finite-loss"],
  },
};

/** Every code a present `code` explains, directly or through a chain of symptoms. */
export function explainedBy(code: FindingCode): Set<FindingCode> {
  const seen = new Set<FindingCode>();
  const stack = [...CATALOGUE[code].explains];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...CATALOGUE[next].explains);
  }
  return seen;
}

/** What a detector supplies; code-level defaults fill the rest. */
export interface FindingInit {
  title: string;
  message: string;
  evidence?: Record<string, unknown>;
  fix: string;
  /** Defaults to the catalogue's severity for the code. */
  severity?: Severity;
  /** Stored in `evidence.remedy`. */
  remedy?: Remedy;
}

/**
 * Builds a {@linkcode Finding}: the catalogue's severity unless overridden, the remedy stored under
 * `evidence.remedy`, non-finite numbers in the evidence kept as strings so the JSON stays valid.
 *
 * @example
 * ```ts
 * const f = makeFinding("loss-reduction-sum", {
 *   title: "the loss is summed over the batch",
 *   message: "...",
 *   fix: "reduction -> mean",
 *   remedy: { kind: "set-reduction", reduction: "mean" },
 * });
 * ```
 */
export function makeFinding(code: FindingCode, init: FindingInit): Finding {
  const evidence: Record<string, unknown> = jsonSafe(init.evidence ?? {}) as Record<string, unknown>;
  if (init.remedy) evidence.remedy = init.remedy;
  return {
    code,
    severity: init.severity ?? CATALOGUE[code].severity,
    title: init.title,
    message: init.message,
    evidence,
    fix: init.fix,
  };
}

/** The machine-readable remedy of a finding, if it has one. */
export function remedyOf(finding: Finding): Remedy | undefined {
  const r = finding.evidence.remedy;
  return r && typeof r === "object" && "kind" in r ? r as Remedy : undefined;
}

/** JSON has no NaN or Infinity: keep them readable as strings instead of letting them become null. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (v) => jsonSafe(v));
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

/** Rounds for display in evidence: 4 significant digits keep tables readable without hiding scale. */
export function sig(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}
