/**
 * The one shape every training-log reader produces (Keras CSVLogger and `history.history` JSON,
 * Keras console output, PyTorch epoch lines, TensorBoard event files, Lightning `metrics.csv`), so the
 * audit never knows which format a log came from.
 *
 * @module
 */

/** Which reader produced a {@linkcode History}. */
export type HistoryFormat =
  | "csv-logger"
  | "json"
  | "keras-console"
  | "epoch-lines"
  | "tensorboard"
  | "lightning-csv";

/** A series logged per step (batch), kept beside the per-epoch table. */
export interface StepSeries {
  /** The step as logged (global step, batch index), one per value. */
  steps: number[];
  values: (number | null)[];
  /** The 1-based epoch each value belongs to, when the log says so. */
  epochs?: (number | null)[];
}

/** One training log: per-key arrays, one entry per epoch (row). */
export interface History {
  file: string;
  format: HistoryFormat;
  /**
   * Every logged per-epoch key except the epoch column, in file order, spelled as the log spells it
   * (`val_loss`, `Loss/train`, `validation/epoch_accuracy`, `train_loss_epoch`): `classifyKey` in
   * src/audit/names.ts reads the split and the quantity from it.
   */
  keys: string[];
  values: Record<string, (number | null)[]>;
  /** 1-based epoch number of each row (CSVLogger's 0-based `epoch` column + 1, else row index + 1). */
  epochs: number[];
  /**
   * What a row stands for: an epoch (the default), or a logged step when the log marks no epochs
   * (a TensorBoard file whose tags carry only a global step); `epochs` then holds the steps.
   */
  axis?: "epoch" | "step";
  /** Per-step series (Lightning `*_step`, Keras `batch_*`, per-batch console redraws). */
  steps?: Record<string, StepSeries>;
  /** What the reader had to decide, in a sentence each (shown in the report). */
  notes?: string[];
}
