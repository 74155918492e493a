/** The report of CONTRACT §4: what `--json` prints, what the terminal and HTML renderers draw. */

export type Severity = "error" | "warning" | "info";

export const FINDING_CODES = [
  // setup
  "loss-task-mismatch",
  "single-unit-softmax",
  "double-softmax",
  "missing-output-activation",
  "sigmoid-multiclass-head",
  "softmax-multilabel-head",
  "output-range-mismatch",
  "loss-reduction-sum",
  "accuracy-semantics-mismatch",
  "batchnorm-batch-of-one",
  "batchnorm-stale-statistics",
  // data
  "labels-not-class-indices",
  "non-finite-data",
  "unscaled-features",
  "unscaled-regression-target",
  "class-imbalance",
  "feature-label-leakage",
  "train-validation-overlap",
  "split-distribution-shift",
  "unshuffled-data",
  "label-noise",
  "insufficient-data",
  // training
  "repeated-batch",
  "non-finite-loss",
  "learning-rate-too-high",
  "learning-rate-too-low",
  "vanishing-gradients",
  "exploding-gradients",
  "dead-relu",
  "saturated-activations",
  "constant-initialization",
  "not-learning",
  "majority-class-collapse",
  "accuracy-hides-class-failure",
  "overfitting",
  "validation-better-than-training",
  "underfitting",
  "initial-loss-anomaly",
  // metric consistency
  "metric-mismatch",
  "metric-insensitive",
  "loss-mismatch",
  "gpu-reference-divergence",
] as const;
export type FindingCode = typeof FINDING_CODES[number];

/** Loss and metrics of one split at one point: {"loss": 0.5, "accuracy": 0.3, ...}. */
export type SplitMetrics = Record<string, number | null>;

export interface Symptoms {
  initialLoss: number | null;
  train: SplitMetrics;
  validation: SplitMetrics | null;
  baseline:
    & { majorityClassAccuracy?: number; meanPredictorLoss?: number }
    & Record<string, number | undefined>;
}

export interface Verification {
  /** "loss -> categorical-crossentropy" */
  change: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  confirmed: boolean;
  /** Per-epoch history of the original run and of the retrained one, for before/after curves. */
  history?: { before: HistoryEntry[]; after: HistoryEntry[] };
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  title: string;
  message: string;
  evidence: Record<string, unknown>;
  fix: string;
  verification?: Verification;
}

export interface ConsistencyEntry {
  /** "train.loss", "validation.accuracy", ... */
  quantity: string;
  epoch: number;
  engine: number | null;
  reference: number | null;
  absError: number | null;
  tolerance: number;
  ok: boolean;
}

export interface HistoryEntry {
  epoch: number;
  train: SplitMetrics;
  validation: SplitMetrics | null;
}

export interface AdapterReport {
  description: string;
  isFallbackAdapter: boolean;
  vendor?: string;
  architecture?: string;
}

export interface Report {
  schema: "fitcheck.report/v1";
  tool: { name: "fitcheck"; version: string };
  mode: "run" | "data" | "audit";
  adapter: AdapterReport | null;
  scenario: { name: string; path: string } | null;
  summary: { status: "ok" | "warnings" | "errors"; primary: FindingCode | null };
  symptoms: Symptoms | null;
  history: HistoryEntry[];
  findings: Finding[];
  consistency: ConsistencyEntry[];
  timings: { totalMs: number; trainMs: number; diagnoseMs: number };
  /** Per-class precision / recall of classification runs (absent for regression). */
  perClass?: PerClassReport;
  /** Confusion matrix of classification runs (absent for regression and multi-label). */
  confusion?: ConfusionReport;
  /** What the diagnosis budget trained (src/app/budget.ts); absent when it trained everything. */
  budget?: BudgetReport;
  /** Additive fields (not renamed contract ones): what was inferred, the training phase, notes. */
  [extra: string]: unknown;
}

/** The `budget` section of a report, present only when the budget changed what was trained. */
export interface BudgetReport {
  /** The budget, seconds. */
  limitS: number;
  /** The full run's estimated training time on this machine, seconds. */
  estimatedFullS: number;
  /** The budgeted run's estimated training time, seconds. */
  estimatedS: number;
  /** The per-step time measured by the calibration, ms (batch of `batchSize` rows). */
  stepMs: number;
  trained: {
    trainRows: number;
    ofTrainRows: number;
    validationRows: number;
    ofValidationRows: number;
    epochs: number;
    ofEpochs: number;
    /** How the rows were chosen. */
    sampling: string;
    /** Per class (classification): rows trained of rows available. */
    classes?: { label: string; rows: number; of: number }[];
  };
}

export const TOOL_VERSION = "0.1.0";

/** One class's row of `Report.perClass`. Precision is null when the class was never predicted. */
export interface PerClassEntry {
  /** Class name (from `Dataset.classNames`) or its index as a string. */
  label: string;
  /** Rows whose true class is this one. */
  support: number;
  precision: number | null;
  recall: number | null;
}

/** Per-class metrics of one split at one epoch (the last, unless said otherwise). */
export interface PerClassReport {
  split: "train" | "validation";
  epoch: number;
  classes: PerClassEntry[];
}

/** `matrix[i][j]`: rows of true class `labels[i]` predicted as `labels[j]` (argmax, or threshold for binary). */
export interface ConfusionReport {
  split: "train" | "validation";
  epoch: number;
  labels: string[];
  matrix: number[][];
}

/** One scenario of the gallery (CONTRACT §4). */
export interface GalleryEntry {
  name: string;
  /** `expect.findings` of the scenario file. */
  expected: string[];
  /** Codes of the error and warning findings the run produced, in report order. */
  found: string[];
  ok: boolean;
  ms: number;
  /** Additive: why the scenario could not run (its InputError message); `found` is then empty. */
  error?: string;
}

/** What `diagnose --json` prints. */
export interface GalleryDocument {
  schema: "fitcheck.gallery/v1";
  scenarios: GalleryEntry[];
}
