/**
 * Dropout as a layer (Keras `Dropout`): inverted dropout of its input during training, identity at
 * evaluation. The masks are the dense layer's (src/reference/dropout.ts), keyed by this layer's
 * position, so the GPU and the float64 twin drop the same elements.
 * @module
 */
import { z } from "zod";
import { prepareDropout } from "../kernels/dropout.ts";
import { dropoutApply, type DropoutKey } from "../reference/dropout.ts";
import { type LayerDefinition, parameterFreeTraining } from "./layer.ts";

/** `{"type": "dropout", "rate": 0.25}` */
export interface DropoutLayerSpec {
  type: "dropout";
  rate: number;
}

/** The dropout layer kind. */
export const dropoutLayer: LayerDefinition<DropoutLayerSpec> = {
  type: "dropout",
  schema: z.strictObject({ type: z.literal("dropout"), rate: z.number().min(0).lt(1) }),
  outputShape: (_spec, input) => input,
  parameters: () => null,
  hasParameters: () => false,
  describe: (spec) => `dropout ${spec.rate}`,
  activation: () => "linear",
  twin: (layer) => ({
    label: `layer ${layer.position + 1} (dropout)`,
    hasParameters: false,
    forward(x, _p, training) {
      if (!training || layer.spec.rate === 0) return { y: x, z: null, cache: null };
      const key: DropoutKey = {
        rate: layer.spec.rate,
        seed: training.dropoutSeed,
        step: training.step,
        layer: layer.position,
      };
      return { y: { rows: x.rows, cols: x.cols, data: dropoutApply(x.data, key) }, z: null, cache: key };
    },
    backward(cache, dy) {
      const key = cache as DropoutKey | null;
      return { dx: key ? { rows: dy.rows, cols: dy.cols, data: dropoutApply(dy.data, key) } : dy };
    },
  }),
  prepareEvaluation: (_ctx, _layer, io) =>
    Promise.resolve({ y: io.x, z: null, activations: io.x, setRows() {}, forward() {} }),
  async prepareTraining(ctx, layer, io) {
    const n = io.rows * layer.outSize;
    const y = ctx.storage(`${io.label} dropout(x)`, n);
    const dy = ctx.storage(`${io.label} dL/dy`, n);
    const op = (pass: "forward" | "backward", input: GPUBuffer, output: GPUBuffer) =>
      prepareDropout(ctx, {
        label: `${io.label} ${pass}`,
        input,
        output,
        count: n,
        rate: layer.spec.rate,
        seed: io.dropoutSeed,
        layer: layer.position,
        step: 0,
        pass,
      });
    const fwd = await op("forward", io.x, y);
    const bwd = io.dx ? await op("backward", dy, io.dx) : null;
    return parameterFreeTraining(
      { y, dy },
      fwd,
      bwd,
      (r) => ({ count: r * layer.outSize }),
      (step) => ({ step: step >>> 0 }),
    );
  },
};
