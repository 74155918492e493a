/**
 * A scenario after validation: every default of CONTRACT §2 filled in, every path absolute (resolved
 * against the scenario file's directory). `src/scenario/schema.ts` turns user JSON into this; the
 * rest of fitcheck only ever sees this shape.
 */

export type Task = "binary" | "multiclass" | "multilabel" | "regression";

export const ACTIVATIONS = ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh", "softmax"] as const;
export type Activation = typeof ACTIVATIONS[number];

export const LOSSES = [
  "mse",
  "mae",
  "huber",
  "binary-crossentropy",
  "categorical-crossentropy",
  "sparse-categorical-crossentropy",
] as const;
export type LossName = typeof LOSSES[number];

export type Reduction = "mean" | "sum";

export type Init =
  | { kind: "glorot-uniform" }
  | { kind: "he-normal" }
  | { kind: "zeros" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; std: number };

/** A `model.layers` entry: one of the layer kinds' specs (src/layers/mod.ts lists them). */
export type { LayerSpec } from "../layers/mod.ts";
import type { LayerSpec } from "../layers/mod.ts";

/** `model.input`: the per-row shape the features are read as (channels last); absent: [features]. */
export interface ModelInputSpec {
  shape: number[];
}

export interface LossSpec {
  name: LossName;
  fromLogits: boolean;
  reduction: Reduction;
  /** Huber's delta (Keras default 1.0). */
  delta: number;
}

/** Keras defaults: adam beta1 0.9, beta2 0.999, epsilon 1e-7; rmsprop rho 0.9, epsilon 1e-7; sgd momentum 0. */
export type OptimizerSpec =
  | { name: "sgd"; learningRate: number; momentum: number }
  | { name: "adam"; learningRate: number; beta1: number; beta2: number; epsilon: number }
  | { name: "rmsprop"; learningRate: number; rho: number; epsilon: number };

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  sameBatchEveryStep: boolean;
}

export interface MetricSpec {
  /** As written by the user ("accuracy", "precision", "my-metric"). */
  name: string;
  /** Decision threshold for binary metrics; default 0.5. */
  threshold: number;
  /** Absolute path of a module metric; undefined for built-in metrics. */
  module?: string;
}

/** One data transform, applied in order. Parameters are documented in the README. */
export type TransformSpec = { op: string } & Record<string, unknown>;

export interface GeneratorSpec {
  kind:
    | "blobs"
    | "moons"
    | "circles"
    | "xor"
    | "spirals"
    | "linear"
    | "polynomial"
    | "multilabel"
    | "shapes"
    | "tokens";
  samples: number;
  features: number;
  /** Classes for classification generators, output columns for multilabel / regression ones. */
  classes: number;
  noise: number;
  /** Any further generator parameters, as written. */
  params: Record<string, unknown>;
}

export type DataSpec =
  | { kind: "csv"; path: string; target: string[]; features?: string[]; transforms: TransformSpec[] }
  | { kind: "npy"; features: string; target: string; transforms: TransformSpec[] }
  | { kind: "rows"; rows: number[][]; target: number[]; transforms: TransformSpec[] }
  | { kind: "generate"; generator: GeneratorSpec; transforms: TransformSpec[] };

export type ValidationSpec =
  | { kind: "split"; fraction: number; shuffle: boolean; stratify: boolean }
  | { kind: "data"; data: DataSpec }
  | null;

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  /** Undefined when the file did not say: inferred from the targets later, and reported as inferred. */
  task?: Task;
  data: DataSpec;
  validation: ValidationSpec;
  model: { input?: ModelInputSpec; layers: LayerSpec[]; init: Init };
  loss: LossSpec;
  optimizer: OptimizerSpec;
  training: TrainingSpec;
  metrics: MetricSpec[];
  expect?: { findings: string[] };
  /** Absolute path of the scenario file ("<inline>" when built in code). */
  path: string;
}
