/**
 * The 2D pooling layers (Keras `MaxPooling2D` / `AveragePooling2D`), channels last: each channel
 * pooled over poolSize windows; strides default to poolSize and padding to "valid", as Keras.
 * Max pooling routes each output's gradient to the tap it took (the argmax the forward pass keeps).
 * @module
 */
import { z } from "zod";
import { preparePool2d } from "../kernels/conv2d.ts";
import { type Padding, pool2dBackward, pool2dForward, type PoolMode } from "../reference/conv2d.ts";
import { pair } from "./conv2d.ts";
import { imageWindow } from "./conv2d.ts";
import { type LayerDefinition, parameterFreeTraining, type Shape } from "./layer.ts";

/** `{"type": "maxpool2d", "poolSize": 2}` or `{"type": "avgpool2d", ...}` */
export interface Pool2dLayerSpec<T extends "maxpool2d" | "avgpool2d" = "maxpool2d" | "avgpool2d"> {
  type: T;
  poolSize: [number, number];
  /** Defaults to poolSize. */
  strides: [number, number];
  padding: Padding;
}

function poolLayer<T extends "maxpool2d" | "avgpool2d">(
  type: T,
  mode: PoolMode,
): LayerDefinition<Pool2dLayerSpec<T>> {
  const schema = z.strictObject({
    type: z.literal(type),
    poolSize: pair.default([2, 2]),
    strides: pair.optional(),
    padding: z.enum(["valid", "same"]).default("valid"),
  }).transform((s): Pool2dLayerSpec<T> => ({
    type: s.type as T,
    poolSize: s.poolSize,
    strides: s.strides ?? s.poolSize,
    padding: s.padding,
  }));
  const geometry = (spec: Pool2dLayerSpec<T>, input: Shape) =>
    imageWindow(input, spec.poolSize, spec.strides, spec.padding);
  return {
    type,
    schema: schema as unknown as z.ZodType<Pool2dLayerSpec<T>>,
    outputShape(spec, input) {
      const g = geometry(spec, input);
      return [g.outH, g.outW, g.inC];
    },
    parameters: () => null,
    hasParameters: () => false,
    describe: (spec) => `${mode} pool ${spec.poolSize[0]}×${spec.poolSize[1]}`,
    activation: () => "linear",
    // The backward gather applies the act' of a conv2d below (its output is then that layer's dZ).
    fusion: { exposes: () => null, accepts: () => true },
    backwardReadsInput: false,
    twin(layer) {
      const g = geometry(layer.spec, layer.input);
      return {
        label: `layer ${layer.position + 1} (${type})`,
        hasParameters: false,
        forward(x) {
          const { y, argmax } = pool2dForward(x, g, mode);
          return { y, z: null, cache: argmax };
        },
        backward: (cache, dy) => ({ dx: pool2dBackward(dy, cache as Int32Array, g, mode) }),
      };
    },
    async prepareEvaluation(ctx, layer, io) {
      const g = geometry(layer.spec, layer.input);
      const n = io.rows * layer.outSize;
      const y = ctx.storage(`${io.label} ${type}`, n);
      const argmax = ctx.storage(`${io.label} argmax`, n);
      const op = await preparePool2d(ctx, {
        label: io.label,
        geometry: g,
        rows: io.rows,
        mode,
        pass: "forward",
        input: io.x,
        argmax,
        output: y,
      });
      return {
        y,
        z: null,
        activations: y,
        setRows: (rows) => op.set({ rows }),
        forward: (p) => op.encode(p),
      };
    },
    async prepareTraining(ctx, layer, io) {
      const g = geometry(layer.spec, layer.input);
      const n = io.rows * layer.outSize;
      const y = ctx.storage(`${io.label} ${type}`, n);
      const dy = ctx.storage(`${io.label} dL/dy`, n);
      const argmax = ctx.storage(`${io.label} argmax`, n);
      const common = { geometry: g, rows: io.rows, mode, argmax };
      const fwd = await preparePool2d(ctx, {
        ...common,
        label: io.label,
        pass: "forward",
        input: io.x,
        output: y,
      });
      const bwd = io.dx
        ? await preparePool2d(ctx, {
          ...common,
          label: `${io.label} backward`,
          pass: "backward",
          input: dy,
          output: io.dx,
          below: io.fusion.below,
        })
        : null;
      return parameterFreeTraining({ y, dy }, fwd, bwd, (rows) => ({ rows }));
    },
  };
}

/** The maxpool2d layer kind. */
export const maxPool2dLayer: LayerDefinition<Pool2dLayerSpec<"maxpool2d">> = poolLayer("maxpool2d", "max");
/** The avgpool2d layer kind. */
export const avgPool2dLayer: LayerDefinition<Pool2dLayerSpec<"avgpool2d">> = poolLayer("avgpool2d", "avg");
