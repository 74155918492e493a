/**
 * What the instrumented training loop records: the only input (with the scenario and the data) of
 * the training-time detectors. Everything here was computed on the GPU and read back once per epoch;
 * the detectors and the consistency check never touch the GPU.
 */
import type { SplitMetrics } from "../report/types.ts";

/** Per layer, per optimizer step. Norms are L2 over the whole tensor. */
export interface LayerStepStats {
  /** ‖∂L/∂W‖ for this step's batch. */
  gradNorm: number;
  /** ‖∂L/∂b‖. */
  biasGradNorm: number;
  /** ‖W‖ before the update. */
  weightNorm: number;
  /** ‖ΔW‖ / ‖W‖ of this step's update (Infinity when ‖W‖ = 0 and ΔW ≠ 0; 0 when both are 0). */
  updateRatio: number;
  /**
   * ReLU-family layers: fraction of units whose output is <= 0 on every row of the batch (dead on this
   * batch). null for other activations.
   */
  deadFraction: number | null;
  /**
   * sigmoid / tanh layers: fraction of pre-activations in the flat tails (|z| > 4 for
   * sigmoid, > 2.5 for tanh: derivative below ~0.02 of its peak). null for other activations.
   */
  saturatedFraction: number | null;
  /** Non-finite values (by bit pattern) in this layer's weights, biases and gradients after the step. */
  nonFinite: number;
}

export interface StepRecord {
  /** 0-based global step. */
  step: number;
  /** 1-based epoch. */
  epoch: number;
  /** Rows in this batch (the last batch of an epoch may be partial). */
  batchRows: number;
  /** The reduced training loss of this batch, before the update (as Keras's per-batch loss). */
  loss: number;
  /** Hash of the batch's feature and target bits: equal batches give equal fingerprints. */
  fingerprint: number;
  layers: LayerStepStats[];
}

/** Model outputs for every row of a split at one point of training, read back from the GPU. */
export interface PredictionSnapshot {
  /** Epoch after which it was taken (0 = before any update). */
  epoch: number;
  split: "train" | "validation";
  rows: number;
  /** Output width (units of the last layer). */
  cols: number;
  /** Row-major rows x cols: the last layer's activations (what the loss and metrics consume). */
  outputs: Float64Array;
  /** Row-major rows x cols: the last layer's pre-activations (logits). */
  logits: Float64Array;
  /**
   * Per hidden/output layer: per unit, the fraction of rows on which the unit's activation is > 0
   * (ReLU family) — a unit at 0 is dead on the whole split. null for other activations.
   */
  unitActivity: (Float64Array | null)[];
}

export interface LayerWeights {
  /** Row-major inputs x units. */
  weights: Float64Array;
  biases: Float64Array;
  inputs: number;
  units: number;
}

/**
 * One batch-normalization layer's statistics after one epoch, per channel (plain arrays, one entry per
 * channel, so the records serialise as JSON): the moving mean and (biased) variance the evaluation
 * normalises with, and the mean and variance of the epoch's last training batch (what training
 * normalised with on that step).
 */
export interface BatchNormEpochStatistics {
  /** 1-based epoch. */
  epoch: number;
  movingMean: number[];
  movingVariance: number[];
  batchMean: number[];
  batchVariance: number[];
}

/** The per-epoch statistics of one batch-normalization layer (see LayerDefinition.normalization). */
export interface BatchNormRecord {
  /** 0-based position in model.layers. */
  layer: number;
  /** Keras's momentum of the moving statistics (moving = moving·momentum + batch·(1 - momentum)). */
  momentum: number;
  /** Keras's epsilon (x̂ = (x - mean)/√(var + ε)). */
  epsilon: number;
  epochs: BatchNormEpochStatistics[];
}

export type TrainingPhase =
  | { status: "completed" }
  /** Training stopped early because the loss or the weights became non-finite. */
  | { status: "diverged"; step: number; epoch: number; layer: number | null; what: string }
  /** The setup makes training undefined (e.g. class labels that are not class indices). */
  | { status: "skipped"; reason: string };

export interface TrainingRecords {
  phase: TrainingPhase;
  /** Loss of the first batch before any update. */
  initialLoss: number | null;
  steps: StepRecord[];
  stepsPerEpoch: number;
  /** Engine (GPU) loss and metrics per epoch: a full pass over each split after the epoch, no dropout. */
  history: { epoch: number; train: SplitMetrics; validation: SplitMetrics | null; batchLossMean: number }[];
  /** Snapshots after epoch 0 (initial model), the first and the last epoch, for train and validation. */
  predictions: PredictionSnapshot[];
  initialWeights: LayerWeights[];
  finalWeights: LayerWeights[];
  /**
   * Per batch-normalization layer, in model order: its statistics after each epoch, read back with
   * the epoch's step records (no readback of their own). Empty (or absent in records written
   * before it existed) when the model has none.
   */
  batchNorm?: BatchNormRecord[];
  /** Readbacks performed per epoch (the benchmark and the tests watch this). */
  readbacksPerEpoch: number;
  trainMs: number;
  /**
   * With `training.earlyStopping`: the epoch training stopped after (null when it ran every epoch),
   * the best epoch and its monitored value, and whether the best weights were restored.
   */
  earlyStopping?: { stoppedEpoch: number | null; bestEpoch: number; best: number; restored: boolean };
}
