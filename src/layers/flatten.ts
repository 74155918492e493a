/**
 * Flatten: [h, w, c] (or any shape) to [h·w·c], row-major channels last as Keras. Every tensor is
 * already stored flat per row, so it moves no data: its output is its input buffer and its input
 * gradient is the gradient of its output.
 * @module
 */
import { z } from "zod";
import { type LayerDefinition, sizeOf } from "./layer.ts";

/** `{"type": "flatten"}` */
export interface FlattenLayerSpec {
  type: "flatten";
}

/** The flatten layer kind. */
export const flattenLayer: LayerDefinition<FlattenLayerSpec> = {
  type: "flatten",
  schema: z.strictObject({ type: z.literal("flatten") }),
  outputShape: (_spec, input) => [sizeOf(input)],
  parameters: () => null,
  hasParameters: () => false,
  describe: () => "flatten",
  activation: () => "linear",
  twin: (layer) => ({
    label: `layer ${layer.position + 1} (flatten)`,
    hasParameters: false,
    forward: (x) => ({ y: x, z: null, cache: null }),
    backward: (_cache, dy) => ({ dx: dy }),
  }),
  prepareEvaluation: (_ctx, _layer, io) =>
    Promise.resolve({ y: io.x, z: null, activations: io.x, setRows() {}, forward() {} }),
  prepareTraining(ctx, layer, io) {
    // ∂L/∂x is ∂L/∂y: the layer above writes straight into the buffer the layer below reads.
    const dy = io.dx ?? ctx.storage(`${io.label} dL/dy (unused)`, io.rows * layer.outSize);
    return Promise.resolve({
      y: io.x,
      z: null,
      activations: io.x,
      dy,
      dz: null,
      grads: null,
      setRows() {},
      setStep() {},
      forward() {},
      backward() {},
    });
  },
};
