/**
 * Keras `BatchNormalization` (axis -1: per channel, statistics over every other axis): γ is the
 * LayerWeights matrix (1 × channels, initialised to 1), β its bias vector (0). Training normalises
 * with the batch's statistics and updates the moving ones (momentum 0.99, ε 1e-3); evaluation
 * normalises with the moving statistics. Kernels: src/kernels/batchnorm.ts; twin:
 * src/reference/batchnorm.ts.
 *
 * The moving statistics are state, not trainable parameters: the GPU keeps them in buffers the
 * training ops create (fresh, mean 0 and variance 1, at the start of every training run) and the
 * evaluation ops of the same model read; the float64 twin keeps its own copy in the same way. Both
 * sides offer them, with the last training batch's statistics, to the records (`normalization`):
 * the GPU trainer reads them back with each epoch's step records.
 * @module
 */
import { z } from "zod";
import type { GpuContext } from "../gpu/context.ts";
import { prepareBatchNormBackward, prepareBatchNormForward } from "../kernels/batchnorm.ts";
import {
  BATCHNORM_EPSILON,
  BATCHNORM_MOMENTUM,
  batchNormApply,
  batchNormBackward,
  type BatchNormStatistics,
  batchNormTrainForward,
} from "../reference/batchnorm.ts";
import { matrix } from "../reference/matrix.ts";
import type { LayerDefinition, ModelLayer } from "./layer.ts";

/** `{"type": "batchnorm"}`, optionally with Keras's `momentum` and `epsilon`. */
export interface BatchNormLayerSpec {
  type: "batchnorm";
  momentum: number;
  epsilon: number;
}

/**
 * The moving statistics of one layer on one device, shared by its training and evaluation ops, and
 * (once training ops exist) the buffers the training forward writes the batch statistics to.
 */
interface MovingState {
  ctx: GpuContext;
  mean: GPUBuffer;
  variance: GPUBuffer;
  batch: { mean: GPUBuffer; variance: GPUBuffer } | null;
}
const movingState = new WeakMap<ModelLayer, MovingState>();

function freshState(ctx: GpuContext, layer: ModelLayer, label: string): MovingState {
  const channels = layer.output[layer.output.length - 1];
  const state: MovingState = {
    ctx,
    mean: ctx.upload(`${label} moving mean`, new Float32Array(channels)),
    variance: ctx.upload(`${label} moving variance`, new Float32Array(channels).fill(1)),
    batch: null,
  };
  movingState.set(layer, state);
  return state;
}

const shapeOf = (layer: ModelLayer<BatchNormLayerSpec>) => {
  const channels = layer.input[layer.input.length - 1];
  return { channels, positions: layer.inSize / channels };
};

/** The batchnorm layer kind. */
export const batchNormLayer: LayerDefinition<BatchNormLayerSpec> = {
  type: "batchnorm",
  schema: z.strictObject({
    type: z.literal("batchnorm"),
    momentum: z.number().min(0).max(1).default(BATCHNORM_MOMENTUM),
    epsilon: z.number().gt(0).default(BATCHNORM_EPSILON),
  }),
  outputShape: (_spec, input) => input,
  parameters: (_spec, input) => {
    const channels = input[input.length - 1];
    return { inputs: 1, units: channels, fanIn: channels, fanOut: channels };
  },
  hasParameters: () => true,
  describe: () => "batch normalization",
  activation: () => "linear",
  initialize: (_spec, p) => ({
    weights: new Float64Array(p.units).fill(1),
    biases: new Float64Array(p.units),
  }),
  twin(layer) {
    const { channels, positions } = shapeOf(layer);
    const { momentum, epsilon } = layer.spec;
    let moving: BatchNormStatistics = {
      mean: new Float64Array(channels),
      variance: new Float64Array(channels).fill(1),
    };
    // Before any training step the "last batch" is undefined: NaN says so.
    let batch: BatchNormStatistics = {
      mean: new Float64Array(channels).fill(NaN),
      variance: new Float64Array(channels).fill(NaN),
    };
    return {
      label: `layer ${layer.position + 1} (batchnorm)`,
      hasParameters: true,
      forward(x, p, training) {
        const rows = x.rows * positions;
        if (!training) {
          const y = batchNormApply(x.data, rows, channels, moving, p!.weights, p!.biases, epsilon);
          const out = matrix(x.rows, x.cols, y);
          return { y: out, z: out, cache: null };
        }
        const step = batchNormTrainForward(x.data, rows, channels, {
          gamma: p!.weights,
          beta: p!.biases,
          moving,
        }, {
          momentum,
          epsilon,
        });
        moving = step.moving;
        batch = step.batch;
        const out = matrix(x.rows, x.cols, step.y);
        return { y: out, z: out, cache: x };
      },
      normalization: () => ({
        movingMean: moving.mean.slice(),
        movingVariance: moving.variance.slice(),
        batchMean: batch.mean.slice(),
        batchVariance: batch.variance.slice(),
      }),
      backward(cache, dy, p) {
        const x = cache as { data: Float64Array; rows: number; cols: number };
        const g = batchNormBackward(x.data, dy.data, x.rows * positions, channels, p!.weights, epsilon);
        return { dx: matrix(x.rows, x.cols, g.dx), dw: g.dgamma, db: g.dbeta };
      },
    };
  },
  normalization: {
    settings: (spec) => ({ momentum: spec.momentum, epsilon: spec.epsilon }),
    buffers(ctx, layer) {
      const state = movingState.get(layer);
      if (!state || state.ctx !== ctx || !state.batch) return null;
      return {
        channels: layer.output[layer.output.length - 1],
        movingMean: state.mean,
        movingVariance: state.variance,
        batchMean: state.batch.mean,
        batchVariance: state.batch.variance,
      };
    },
  },
  async prepareEvaluation(ctx, layer, io) {
    const { channels, positions } = shapeOf(layer);
    const found = movingState.get(layer);
    const state = found && found.ctx === ctx ? found : freshState(ctx, layer, io.label);
    const y = ctx.storage(`${io.label} normalised`, io.rows * layer.outSize);
    const unused = ctx.storage(`${io.label} batch statistics (unused)`, channels);
    const op = await prepareBatchNormForward(ctx, {
      label: io.label,
      rows: io.rows * positions,
      channels,
      epsilon: layer.spec.epsilon,
      training: false,
      x: io.x,
      y,
      gamma: io.params!.w,
      beta: io.params!.b,
      mean: unused,
      variance: unused,
      movingMean: state.mean,
      movingVariance: state.variance,
    });
    return {
      y,
      z: y,
      activations: y,
      setRows: (r) => op.setRows(r * positions),
      forward: (pass) => op.encode(pass),
    };
  },
  async prepareTraining(ctx, layer, io) {
    const { channels, positions } = shapeOf(layer);
    const state = freshState(ctx, layer, io.label);
    const n = io.rows * layer.outSize;
    const y = ctx.storage(`${io.label} normalised`, n);
    const dy = ctx.storage(`${io.label} dL/dy`, n);
    const mean = ctx.storage(`${io.label} batch mean`, channels);
    const variance = ctx.storage(`${io.label} batch variance`, channels);
    state.batch = { mean, variance };
    const { dw: dgamma, db: dbeta } = io.grads!;
    const common = {
      rows: io.rows * positions,
      channels,
      momentum: layer.spec.momentum,
      epsilon: layer.spec.epsilon,
    };
    const forward = await prepareBatchNormForward(ctx, {
      label: io.label,
      ...common,
      training: true,
      x: io.x,
      y,
      gamma: io.params!.w,
      beta: io.params!.b,
      mean,
      variance,
      movingMean: state.mean,
      movingVariance: state.variance,
    });
    const backward = await prepareBatchNormBackward(ctx, {
      label: `${io.label} backward`,
      ...common,
      x: io.x,
      gamma: io.params!.w,
      mean,
      variance,
      dy,
      dgamma,
      dbeta,
      dx: io.dx ?? undefined,
    });
    return {
      y,
      z: y,
      activations: y,
      dy,
      dz: dy,
      grads: { dw: dgamma, db: dbeta, dwBlockNorms: null, blockNormCount: 0 },
      setRows(r) {
        forward.setRows(r * positions);
        backward.setRows(r * positions);
      },
      setStep() {},
      forward: (pass) => forward.encode(pass),
      backward: (pass) => backward.encode(pass),
    };
  },
};
