/**
 * Keras `Conv1D` (channels last, no dilation): inputs [steps, channels], kernel
 * [kernelSize, channels, filters] stored as the LayerWeights matrix (kernelSize·channels) × filters,
 * outputs [outSteps, filters]. On the GPU it is conv2d with a height of 1 (src/kernels/conv2d.ts);
 * its float64 twin is its own, written from the 1-D definition (src/reference/conv1d.ts), so the
 * trajectory tests check conv2d's kernels against an independent 1-D reference.
 * @module
 */
import { z } from "zod";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { conv1dBackward, conv1dForward, type Conv1dShape, convOutputGeometry } from "../reference/conv1d.ts";
import { matrix } from "../reference/matrix.ts";
import { type Activation, ACTIVATIONS } from "../scenario/types.ts";
import { conv2dLayer, type Conv2dLayerSpec } from "./conv2d.ts";
import { describeShape, type LayerDefinition, LayerShapeError, type ModelLayer } from "./layer.ts";

/** `{"type": "conv1d", "filters": 16, "kernelSize": 3, "strides": 1, "padding": "valid", "activation": "relu"}` */
export interface Conv1dLayerSpec {
  type: "conv1d";
  filters: number;
  kernelSize: number;
  strides: number;
  /** Keras's default is "valid". */
  padding: "same" | "valid";
  /** Not softmax (the schema refuses it): an element-wise activation. */
  activation: Activation;
  /** Keras's kernel_regularizer L2 factor (absent or 0: none). */
  l2?: number;
}

const schema = z.strictObject({
  type: z.literal("conv1d"),
  filters: z.number().int().min(1),
  kernelSize: z.number().int().min(1),
  strides: z.number().int().min(1).default(1),
  padding: z.enum(["same", "valid"]).default("valid"),
  activation: z.enum(ACTIVATIONS).refine((a) => a !== "softmax", {
    error:
      "softmax is not an element-wise activation: a conv1d layer takes linear, relu, leaky-relu, elu, sigmoid or tanh",
  }).default("linear"),
  l2: z.number().min(0).optional(),
});

const elementwise = (spec: Conv1dLayerSpec) => spec.activation as ElementwiseActivation;

function geometry(layer: ModelLayer<Conv1dLayerSpec>, batch: number): Conv1dShape {
  const { spec } = layer;
  return {
    batch,
    length: layer.input[0],
    inChannels: layer.input[1],
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    stride: spec.strides,
    padding: spec.padding,
  };
}

/** The conv1d layer kind. */
export const conv1dLayer: LayerDefinition<Conv1dLayerSpec> = {
  type: "conv1d",
  schema,
  outputShape(spec, input) {
    if (input.length !== 2) {
      throw new LayerShapeError(`conv1d needs a [steps, channels] input, got ${describeShape(input)}`);
    }
    const { outLength } = convOutputGeometry(input[0], spec.kernelSize, spec.strides, spec.padding);
    if (outLength < 1) {
      throw new LayerShapeError(
        `a kernel of ${spec.kernelSize} with "valid" padding needs at least ${spec.kernelSize} steps, got ${
          describeShape(input)
        }`,
      );
    }
    return [outLength, spec.filters];
  },
  parameters: (spec, input) => ({
    inputs: spec.kernelSize * input[1],
    units: spec.filters,
    // Keras's fans for a conv kernel: receptive field × channels in / out.
    fanIn: spec.kernelSize * input[1],
    fanOut: spec.kernelSize * spec.filters,
  }),
  hasParameters: () => true,
  describe: (spec) => `${spec.filters} ${spec.activation} filters of ${spec.kernelSize}`,
  activation: (spec) => spec.activation,
  l2: (spec) => spec.l2 ?? 0,
  twin(layer) {
    const { spec } = layer;
    return {
      label: `layer ${layer.position + 1} (conv1d)`,
      hasParameters: true,
      l2: spec.l2 ?? 0,
      forward(x, p) {
        const shape = geometry(layer, x.rows);
        const { z, y } = conv1dForward(x.data, p!.weights, p!.biases, shape, {
          activation: elementwise(spec),
        });
        return {
          y: matrix(x.rows, layer.outSize, y),
          z: matrix(x.rows, layer.outSize, z),
          cache: { x, z, shape },
        };
      },
      backward(cache, dy, p) {
        const c = cache as { x: { data: Float64Array; rows: number }; z: Float64Array; shape: Conv1dShape };
        const g = conv1dBackward({ x: c.x.data, w: p!.weights, z: c.z, dy: dy.data }, c.shape, {
          activation: elementwise(spec),
        });
        return { dx: matrix(c.x.rows, layer.inSize, g.dx), dw: g.dw, db: g.db };
      },
    };
  },
  // On the GPU a [steps, channels] sequence is a [1, steps, channels] image and the kernel a 1×K
  // window (the same [K, C, F] weights): conv2d's ops, with their measured choice of direct or
  // im2col + matmul, do the work. TensorFlow's "same" padding adds nothing along a height of 1.
  prepareEvaluation: (ctx, layer, io) => conv2dLayer.prepareEvaluation(ctx, asConv2d(layer), io),
  prepareTraining: (ctx, layer, io) => conv2dLayer.prepareTraining(ctx, asConv2d(layer), io),
};

/** The conv2d layer that computes `layer` on [1, steps, channels]. */
function asConv2d(layer: ModelLayer<Conv1dLayerSpec>): ModelLayer<Conv2dLayerSpec> {
  const { spec } = layer;
  return {
    ...layer,
    def: conv2dLayer,
    spec: {
      type: "conv2d",
      filters: spec.filters,
      kernelSize: [1, spec.kernelSize],
      strides: [1, spec.strides],
      padding: spec.padding,
      activation: elementwise(spec),
      l2: spec.l2,
    },
    input: [1, ...layer.input],
    output: [1, ...layer.output],
  };
}
