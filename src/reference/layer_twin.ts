/**
 * The float64 side of a layer kind, as the float64 trainer sees it: a forward pass that keeps what
 * its backward pass needs, and that backward pass. Layer modules (src/layers/) build one per layer
 * of a model from the twins in this directory; the trainer walks the list without knowing kinds.
 * Tensors travel as row-major batch matrices: row r is sample r flattened channels last (NHWC).
 *
 * @module
 */
import type { LayerWeights } from "../train/records.ts";
import type { Matrix } from "./matrix.ts";

/** A training forward pass: the global step and the run's dropout seed (for the masks). */
export interface TwinTraining {
  step: number;
  dropoutSeed: number;
}

/** The result of a twin's forward pass. */
export interface TwinForward {
  /** The layer's output, batch × output size. */
  y: Matrix;
  /** The pre-activations of a layer with parameters (records, tests); null for others. */
  z: Matrix | null;
  /** Whatever the backward pass needs (inputs, masks, argmax positions). */
  cache: unknown;
}

/** The gradients of a twin's backward pass. */
export interface TwinBackward {
  /** ∂L/∂x, batch × input size. */
  dx: Matrix;
  /** ∂L/∂W and ∂L/∂b, laid out as the layer's LayerWeights; absent for layers without parameters. */
  dw?: Float64Array;
  db?: Float64Array;
}

/** One layer of a model in float64. */
export interface LayerTwin {
  /** "layer 3 (conv2d)": for messages. */
  readonly label: string;
  /** Whether this layer consumes one LayerWeights entry of the model's parameters. */
  readonly hasParameters: boolean;
  /** Keras's kernel regularizer factor on its weights (see LayerDefinition.l2); absent: none. */
  readonly l2?: number;
  /** Forward on a batch; `training` null is inference (no dropout). */
  forward(x: Matrix, params: LayerWeights | null, training: TwinTraining | null): TwinForward;
  /**
   * Normalization layers: the moving statistics now and the last training batch's (per channel),
   * as `TrainingRecords.batchNorm` records them on the GPU. Absent for other layers.
   */
  normalization?(): {
    movingMean: Float64Array;
    movingVariance: Float64Array;
    batchMean: Float64Array;
    batchVariance: Float64Array;
  };
  /** Backward from ∂L/∂y, with the cache of the forward pass of the same batch. */
  backward(cache: unknown, dy: Matrix, params: LayerWeights | null): TwinBackward;
}
