/**
 * The in-memory table every loader produces and every later stage (transforms, split, training,
 * detectors) consumes. float64 on the host; the GPU sees float32 copies.
 */
export interface Dataset {
  /** Row-major `rows x featureNames.length`. Missing or unparsable-as-missing cells are NaN. */
  features: Float64Array;
  /** Row-major `rows x targetNames.length`. Class labels are indices 0..C-1 (see `classNames`). */
  targets: Float64Array;
  rows: number;
  featureNames: string[];
  targetNames: string[];
  /**
   * When a target column held strings, their sorted distinct values: index i stands for classNames[i].
   * Undefined when targets were numeric in the source.
   */
  classNames?: string[];
  /** Where it came from, for messages and reports ("train.csv", "generate:blobs", "<inline>"). */
  source: string;
  /**
   * The per-row shape of the features as the file had it (a .npy of shape [N, 8, 8, 1] gives
   * [8, 8, 1]); undefined for tables. Used only while it still multiplies to the feature count.
   */
  rowShape?: number[];
}
