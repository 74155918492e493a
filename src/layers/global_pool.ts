/**
 * Global average pooling (Keras `GlobalAveragePooling1D` on [steps, channels] and
 * `GlobalAveragePooling2D` on [height, width, channels]): the mean of each channel over the
 * positions, one kernel pair for both (src/kernels/global_pool.ts).
 * @module
 */
import { z } from "zod";
import { prepareGlobalAvgPool } from "../kernels/global_pool.ts";
import { globalAvgPoolBackward, globalAvgPoolForward } from "../reference/global_pool.ts";
import { matrix } from "../reference/matrix.ts";
import {
  describeShape,
  type LayerDefinition,
  LayerShapeError,
  parameterFreeTraining,
  type Shape,
  sizeOf,
} from "./layer.ts";

/** `{"type": "global-avgpool1d"}` */
export interface GlobalAvgPool1dLayerSpec {
  type: "global-avgpool1d";
}

/** `{"type": "global-avgpool2d"}` */
export interface GlobalAvgPool2dLayerSpec {
  type: "global-avgpool2d";
}

function globalAvgPool<S extends { type: "global-avgpool1d" | "global-avgpool2d" }>(
  type: S["type"],
  rank: number,
  needs: string,
): LayerDefinition<S> {
  const split = (input: Shape) => ({
    positions: sizeOf(input.slice(0, -1)),
    channels: input[input.length - 1],
  });
  return {
    type,
    schema: z.strictObject({ type: z.literal(type) }) as unknown as z.ZodType<S>,
    outputShape(_spec, input) {
      if (input.length !== rank) {
        throw new LayerShapeError(`${type} needs ${needs}, got ${describeShape(input)}`);
      }
      return [input[rank - 1]];
    },
    parameters: () => null,
    hasParameters: () => false,
    describe: () => type,
    activation: () => "linear",
    twin(layer) {
      const { positions, channels } = split(layer.input);
      return {
        label: `layer ${layer.position + 1} (${type})`,
        hasParameters: false,
        forward: (x) => ({
          y: matrix(x.rows, channels, globalAvgPoolForward(x.data, x.rows, positions, channels)),
          z: null,
          cache: null,
        }),
        backward: (_cache, dy) => ({
          dx: matrix(
            dy.rows,
            positions * channels,
            globalAvgPoolBackward(dy.data, dy.rows, positions, channels),
          ),
        }),
      };
    },
    async prepareEvaluation(ctx, layer, io) {
      const { positions, channels } = split(layer.input);
      const y = ctx.storage(`${io.label} mean`, io.rows * channels);
      const op = await prepareGlobalAvgPool(ctx, {
        label: io.label,
        input: io.x,
        output: y,
        batch: io.rows,
        positions,
        channels,
        pass: "forward",
      });
      return {
        y,
        z: null,
        activations: y,
        setRows: (r) => op.set({ batch: r }),
        forward: (p) => op.encode(p),
      };
    },
    async prepareTraining(ctx, layer, io) {
      const { positions, channels } = split(layer.input);
      const y = ctx.storage(`${io.label} mean`, io.rows * channels);
      const dy = ctx.storage(`${io.label} dL/dy`, io.rows * channels);
      const shape = { batch: io.rows, positions, channels };
      const fwd = await prepareGlobalAvgPool(ctx, {
        label: io.label,
        input: io.x,
        output: y,
        ...shape,
        pass: "forward",
      });
      const bwd = io.dx
        ? await prepareGlobalAvgPool(ctx, {
          label: `${io.label}'`,
          input: dy,
          output: io.dx,
          ...shape,
          pass: "backward",
        })
        : null;
      return parameterFreeTraining({ y, dy }, fwd, bwd, (r) => ({ batch: r }));
    },
  };
}

/** The global-avgpool1d layer kind: [steps, channels] → [channels]. */
export const globalAvgPool1dLayer: LayerDefinition<GlobalAvgPool1dLayerSpec> = globalAvgPool(
  "global-avgpool1d",
  2,
  "a [steps, channels] input",
);

/** The global-avgpool2d layer kind: [height, width, channels] → [channels]. */
export const globalAvgPool2dLayer: LayerDefinition<GlobalAvgPool2dLayerSpec> = globalAvgPool(
  "global-avgpool2d",
  3,
  "a [height, width, channels] input",
);
