/**
 * The activation layer (Keras `Activation`): Y = act(X) element by element, no parameters. Its
 * derivative needs X, which is the layer below's output, kept by the forward pass.
 * @module
 */
import { z } from "zod";
import { activationBackwardKernel } from "../kernels/dense.ts";
import { prepareActivationForward } from "../kernels/conv2d.ts";
import { activationOverrides } from "../kernels/matmul.ts";
import { prepareKernel } from "../kernels/kernel.ts";
import { activationBackward, type ElementwiseActivation } from "../reference/activations.ts";
import { activationForward } from "../reference/conv2d.ts";
import type { Matrix } from "../reference/matrix.ts";
import { ELEMENTWISE } from "./conv2d.ts";
import { type LayerDefinition, parameterFreeTraining } from "./layer.ts";

/** `{"type": "activation", "activation": "relu"}` */
export interface ActivationLayerSpec {
  type: "activation";
  activation: ElementwiseActivation;
}

/** The activation layer kind. */
export const activationLayer: LayerDefinition<ActivationLayerSpec> = {
  type: "activation",
  schema: z.strictObject({ type: z.literal("activation"), activation: z.enum(ELEMENTWISE) }),
  outputShape: (_spec, input) => input,
  parameters: () => null,
  hasParameters: () => false,
  describe: (spec) => `${spec.activation} activation`,
  activation: (spec) => spec.activation,
  twin: (layer) => ({
    label: `layer ${layer.position + 1} (activation)`,
    hasParameters: false,
    forward: (x) => ({ y: activationForward(x, layer.spec.activation), z: null, cache: x }),
    backward: (cache, dy) => {
      const x = cache as Matrix;
      return {
        dx: {
          rows: dy.rows,
          cols: dy.cols,
          data: activationBackward(dy.data, x.data, layer.spec.activation),
        },
      };
    },
  }),
  async prepareEvaluation(ctx, layer, io) {
    const n = io.rows * layer.outSize;
    const y = ctx.storage(`${io.label} act(x)`, n);
    const op = await prepareActivationForward(ctx, {
      label: io.label,
      activation: layer.spec.activation,
      x: io.x,
      y,
      count: n,
    });
    return {
      y,
      z: null,
      activations: y,
      setRows: (rows) => op.set({ count: rows * layer.outSize }),
      forward: (pass) => op.encode(pass),
    };
  },
  async prepareTraining(ctx, layer, io) {
    const n = io.rows * layer.outSize;
    const y = ctx.storage(`${io.label} act(x)`, n), dy = ctx.storage(`${io.label} dL/dy`, n);
    const fwd = await prepareActivationForward(ctx, {
      label: io.label,
      activation: layer.spec.activation,
      x: io.x,
      y,
      count: n,
    });
    const bwd = io.dx
      ? await prepareKernel(ctx, activationBackwardKernel, {
        label: `${io.label} dY⊙act'(x)`,
        buffers: { dy, z: io.x, dz: io.dx },
        uniforms: { count: n },
        overrides: activationOverrides(layer.spec.activation),
      })
      : null;
    return parameterFreeTraining({ y, dy }, fwd, bwd, (rows) => ({ count: rows * layer.outSize }));
  },
};
