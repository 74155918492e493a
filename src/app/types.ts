/**
 * What the CLI (and any other front end) needs from fitcheck's engines. The CLI is built around these
 * injected functions so that it can be tested without a GPU and so that no engine imports `Deno.*`.
 *
 * @module
 */
import type { FileSource } from "../io.ts";
import type { Report, SplitMetrics } from "../report/types.ts";
import type { Task } from "../scenario/types.ts";
import type { ModelAuditOptions, ModelInitOptions, ModelRunOptions } from "./model_file.ts";

/** One progress report from a long-running engine; the CLI draws bars from these on a TTY. */
export interface ProgressEvent {
  phase: "train" | "verify" | "diagnose";
  /** 1-based epoch just finished, with `epochs` the total planned. */
  epoch?: number;
  epochs?: number;
  /** The training loss of that epoch, when known. */
  loss?: number;
  /** Free text ("retraining with loss -> categorical-crossentropy"). */
  message?: string;
  /**
   * The epoch's numbers as the report's `history` will hold them (engine and float64 host metrics),
   * so live charts can draw accuracy as well as loss. Present on every per-epoch event.
   */
  metrics?: { train: SplitMetrics; validation: SplitMetrics | null };
}

/** Receives progress events; must not throw and must be cheap (called once per epoch at most). */
export type ProgressSink = (e: ProgressEvent) => void;

/** Options of `diagnose run`. */
export interface RunOptions {
  /** Overrides `training.epochs` of the scenario. */
  epochs?: number;
  /** Retrain with each finding's fix applied and record before/after (`Finding.verification`). */
  verify?: boolean;
  source: FileSource;
  progress?: ProgressSink;
  /** Time limit of each call of a scenario's metric module (`--metric-timeout`), in ms; default 10 s. */
  metricTimeoutMs?: number;
  /** Time matmul variants on this adapter (cached) instead of the fixed rule; default true (`--no-tune`). */
  tune?: boolean;
  /**
   * The diagnosis budget in seconds (src/app/budget.ts): a run estimated to take longer trains on a
   * stratified sample. Default {@linkcode DEFAULT_BUDGET_S}; null: the full run (`--budget none`).
   */
  budget?: number | null;
}

/**
 * The default diagnosis budget, seconds (`--budget`): the training's share of a diagnosis that answers
 * in seconds (issue 20: 200,000 × 32 rows in at most 20 s on a 2-core llvmpipe machine; the data
 * checks, float64 replay and detectors take a few more). The sample's floors (src/app/budget.ts)
 * keep a big run from being cut below what its detectors and its accuracy need, so a run may take
 * longer than this, but not minutes.
 */
export const DEFAULT_BUDGET_S = 10;

/** Options of `diagnose data`: data checks only, no training. Paths are absolute. */
export interface DataOptions {
  train: string;
  validation?: string;
  /** Target column names, in order (one, or several for one-hot / multi-label targets). */
  target: string[];
  /** Feature columns (CSV, Parquet) or the features array (`.npz`); default: all but the target. */
  features?: string[];
  task?: Task;
  source: FileSource;
}

/** Options of `diagnose audit` (CONTRACT §3). Paths are absolute. */
export interface AuditOptions {
  /** With `predictions`; neither: a history-only audit of `history`. */
  labels?: string;
  predictions?: string;
  history?: string;
  /** Number of classes (history-only bounds). */
  classes?: number;
  /** 1-based epoch row of the history the predictions belong to; default the last one. */
  epoch?: number;
  split: "validation" | "train";
  task?: Task;
  /** Loss name as the user gave it (Keras or fitcheck spelling); the audit validates it. */
  loss?: string;
  fromLogits: boolean;
  source: FileSource;
}

/** The three engines behind `diagnose run`, `diagnose data` and `diagnose audit`. */
export interface Engines {
  /** Trains the scenario at `path` (absolute) and diagnoses it. Throws InputError for bad input. */
  runScenario(path: string, options: RunOptions): Promise<Report>;
  checkData(options: DataOptions): Promise<Report>;
  audit(options: AuditOptions): Promise<Report>;
  /** Model files (CONTRACT §7.1, src/app/model_file.ts): `run --model`, `init`, `audit --model`. */
  models?: ModelEngines;
  /**
   * Engines like these over a GPU context of their own (a gallery lane past the first, src/app/gallery.ts):
   * runs on the two never share a buffer pool. The caller disposes them.
   */
  fork?(): Engines & { dispose(): Promise<void> };
}

/** The model-file engines; paths absolute. */
export interface ModelEngines {
  run(options: Omit<ModelRunOptions, "gpu">): Promise<Report>;
  init(options: ModelInitOptions): Promise<string>;
  audit(options: Omit<ModelAuditOptions, "gpu">): Promise<Report>;
}
