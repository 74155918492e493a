/**
 * Every layer kind, in one explicit list (no registration by side effect), and the model built from
 * a scenario's `model.layers` by walking it. To add a kind: see the module doc of ./layer.ts.
 * @module
 */
import { InputError } from "../errors.ts";
import type { LayerTwin } from "../reference/layer_twin.ts";
import type { Matrix } from "../reference/matrix.ts";
import type { Activation } from "../scenario/types.ts";
import { activationLayer, type ActivationLayerSpec } from "./activation.ts";
import { conv2dLayer, type Conv2dLayerSpec } from "./conv2d.ts";
import { denseLayer, type DenseLayerSpec } from "./dense.ts";
import { avgPool2dLayer, maxPool2dLayer, type Pool2dLayerSpec } from "./pool2d.ts";
import { dropoutLayer, type DropoutLayerSpec } from "./dropout.ts";
import { flattenLayer, type FlattenLayerSpec } from "./flatten.ts";
import { batchNormLayer, type BatchNormLayerSpec } from "./batchnorm.ts";
import { conv1dLayer, type Conv1dLayerSpec } from "./conv1d.ts";
import { embeddingLayer, type EmbeddingLayerSpec } from "./embedding.ts";
import {
  globalAvgPool1dLayer,
  type GlobalAvgPool1dLayerSpec,
  globalAvgPool2dLayer,
  type GlobalAvgPool2dLayerSpec,
} from "./global_pool.ts";
import {
  describeShape,
  type LayerDefinition,
  LayerShapeError,
  type ModelLayer,
  type Shape,
  sizeOf,
} from "./layer.ts";

export * from "./layer.ts";
export type {
  ActivationLayerSpec,
  BatchNormLayerSpec,
  Conv1dLayerSpec,
  Conv2dLayerSpec,
  DenseLayerSpec,
  DropoutLayerSpec,
  EmbeddingLayerSpec,
  FlattenLayerSpec,
  GlobalAvgPool1dLayerSpec,
  GlobalAvgPool2dLayerSpec,
  Pool2dLayerSpec,
};

/** A validated `model.layers` entry: one of the kinds' specs. Append a kind's spec type here. */
export type LayerSpec =
  | DenseLayerSpec
  | FlattenLayerSpec
  | DropoutLayerSpec
  | Conv2dLayerSpec
  | Pool2dLayerSpec
  | ActivationLayerSpec
  | BatchNormLayerSpec
  | Conv1dLayerSpec
  | EmbeddingLayerSpec
  | GlobalAvgPool1dLayerSpec
  | GlobalAvgPool2dLayerSpec;

/** All layer kinds. Append with one-line edits; the order carries no meaning. */
// deno-lint-ignore no-explicit-any
export const LAYERS: readonly LayerDefinition<any>[] = [
  denseLayer,
  flattenLayer,
  dropoutLayer,
  conv2dLayer,
  maxPool2dLayer,
  avgPool2dLayer,
  activationLayer,
  batchNormLayer,
  conv1dLayer,
  embeddingLayer,
  globalAvgPool1dLayer,
  globalAvgPool2dLayer,
];

/** The definition of layer kind `type`, or undefined. */
export function layerDefinition(type: string): LayerDefinition<LayerSpec> | undefined {
  return LAYERS.find((d) => d.type === type);
}

/** The model: its per-row input shape and its layers with their shapes. */
export interface Model {
  input: Shape;
  /** Values per input row. */
  inputs: number;
  layers: ModelLayer<LayerSpec>[];
}

/**
 * The layers of `specs` on inputs of per-row shape `input`: each kind infers its output shape and
 * its parameters. An input a layer cannot take throws an InputError (exit 2) on field
 * `model.layers[i]` naming the layer, the shape it got and the shape it needs.
 */
export function buildModel(input: Shape, specs: readonly LayerSpec[]): Model {
  let shape = input;
  const layers = specs.map((spec, position): ModelLayer<LayerSpec> => {
    const type = spec.type ?? "dense";
    const def = layerDefinition(type);
    const field = `model.layers[${position}]`;
    if (!def) throw new InputError(`unknown layer type "${type}"`, { field });
    if (def.rawInput && position > 0) {
      throw new InputError(`${type} reads the data's values (token indices): it must be the first layer`, {
        field,
      });
    }
    let output: Shape;
    try {
      output = def.outputShape(spec, shape);
    } catch (e) {
      if (!(e instanceof LayerShapeError)) throw e;
      throw new InputError(`${type} got input shape ${describeShape(shape)}: ${e.message}`, { field });
    }
    const layer: ModelLayer<LayerSpec> = {
      position,
      def,
      spec,
      input: shape,
      output,
      inSize: sizeOf(shape),
      outSize: sizeOf(output),
      parameters: def.parameters(spec, shape),
      activation: def.activation(spec),
    };
    shape = output;
    return layer;
  });
  return { input, inputs: sizeOf(input), layers };
}

/**
 * Checks a split's features against a first layer that reads the data's values themselves
 * (embedding: token indices). `sourceRow` maps a row of `x` to its 0-based row in the source (a
 * validation split from the training data is a subset of it). Throws an InputError (exit 2) naming
 * the source, the data row, the column and the value.
 */
export function checkRawInput(
  model: Model,
  x: Matrix,
  where: { source: string; featureNames: readonly string[]; sourceRow?: (row: number) => number },
): void {
  const first = model.layers[0];
  const bad = first?.def.rawInput?.check(first.spec, x);
  if (!bad) return;
  throw new InputError(`layer 1 (${first.def.type}): ${bad.problem}`, {
    file: where.source,
    row: (where.sourceRow?.(bad.row) ?? bad.row) + 1,
    field: where.featureNames[bad.column] ?? `feature ${bad.column}`,
  });
}

/** The weights of the model's L2-regularized kernels with their factors, in parameter order. */
export function regularizedKernels(
  model: Model,
  params: readonly { weights: ArrayLike<number> }[],
): { weights: ArrayLike<number>; l2: number }[] {
  return parameterLayers(model).flatMap((layer, r) => {
    const l2 = layer.def.l2?.(layer.spec) ?? 0;
    return l2 > 0 ? [{ weights: params[r].weights, l2 }] : [];
  });
}

/** Whether the first layer reads the data's values themselves (token indices): see `rawInput`. */
export function readsRawValues(specs: readonly LayerSpec[]): boolean {
  const first = specs[0];
  return first !== undefined && layerDefinition(first.type ?? "dense")?.rawInput !== undefined;
}

/** The layers of `model` that carry parameters (and so a record and a LayerWeights entry), in order. */
export function parameterLayers(model: Model): ModelLayer<LayerSpec>[] {
  return model.layers.filter((l) => l.parameters !== null);
}

/** The float64 twins of the model's layers, in order, for the float64 trainer. */
export function modelTwins(model: Model): LayerTwin[] {
  return model.layers.map((l) => l.def.twin(l));
}

/** The layer a record (or LayerWeights entry) describes: see {@linkcode recordedLayers}. */
export interface RecordedLayer {
  /** 0-based position in model.layers. */
  position: number;
  type: string;
  activation: Activation;
  /** "16 relu units", "8 relu filters 3×3" */
  description: string;
}

/**
 * The layers records are kept for, from the scenario's layer list alone (no data needed): those with
 * parameters. Record `i`, LayerWeights `i` and unitActivity `i` describe recordedLayers(...)[i].
 */
export function recordedLayers(specs: readonly LayerSpec[]): RecordedLayer[] {
  const out: RecordedLayer[] = [];
  specs.forEach((spec, position) => {
    const type = spec.type ?? "dense";
    const def = layerDefinition(type);
    if (!def || !def.hasParameters(spec)) return;
    out.push({ position, type, activation: def.activation(spec), description: def.describe(spec) });
  });
  return out;
}

/** Parameters of the model of `specs` on rows of shape `input` (0 when the shapes do not fit). */
export function countParameters(input: Shape, specs: readonly LayerSpec[]): number {
  try {
    return parameterLayers(buildModel(input, specs))
      .reduce((n, l) => n + (l.parameters!.inputs + 1) * l.parameters!.units, 0);
  } catch (e) {
    if (e instanceof InputError) return 0;
    throw e;
  }
}

/** The output layer (the schema requires it to be dense). */
export function outputLayer(specs: readonly LayerSpec[]): DenseLayerSpec {
  return specs[specs.length - 1] as DenseLayerSpec;
}
