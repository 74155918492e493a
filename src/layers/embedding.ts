/**
 * Keras `Embedding`: inputs are token indices [steps] (the data's own values, so it is the first
 * layer), outputs [steps, outputDim], the table inputDim × outputDim stored as the LayerWeights
 * matrix (initialised U(-0.05, 0.05) as Keras's "uniform"). Keras's Embedding has no bias: the
 * LayerWeights bias vector every parameter layer carries is held at 0 (its gradient is always 0, so
 * every optimizer leaves it there). Kernels: src/kernels/embedding.ts; twin: src/reference/embedding.ts.
 *
 * A token that is not an integer in [0, inputDim) has no row. Keras on a GPU returns a silent zero
 * vector for it (a "dead" row that trains nothing); here it is an input error before training.
 * @module
 */
import { z } from "zod";
import { prepareEmbedding } from "../kernels/embedding.ts";
import {
  EMBEDDING_INIT_LIMIT,
  embeddingBackward,
  embeddingForward,
  isValidToken,
} from "../reference/embedding.ts";
import { matrix } from "../reference/matrix.ts";
import { describeShape, type LayerDefinition, LayerShapeError } from "./layer.ts";

/** `{"type": "embedding", "inputDim": V, "outputDim": D}` */
export interface EmbeddingLayerSpec {
  type: "embedding";
  /** Vocabulary size: token indices are 0..inputDim-1. */
  inputDim: number;
  outputDim: number;
}

/** The embedding layer kind. */
export const embeddingLayer: LayerDefinition<EmbeddingLayerSpec> = {
  type: "embedding",
  schema: z.strictObject({
    type: z.literal("embedding"),
    inputDim: z.number().int().min(1).max(2 ** 24 - 1),
    outputDim: z.number().int().min(1),
  }),
  outputShape(spec, input) {
    if (input.length !== 1) {
      throw new LayerShapeError(
        `embedding needs token indices of shape [steps], got ${describeShape(input)}`,
      );
    }
    return [input[0], spec.outputDim];
  },
  parameters: (spec) => ({
    inputs: spec.inputDim,
    units: spec.outputDim,
    fanIn: spec.inputDim,
    fanOut: spec.outputDim,
  }),
  hasParameters: () => true,
  describe: (spec) => `embedding ${spec.inputDim} × ${spec.outputDim}`,
  activation: () => "linear",
  initialize(_spec, p, rng) {
    const weights = new Float64Array(p.inputs * p.units);
    for (let i = 0; i < weights.length; i++) {
      weights[i] = rng.uniform(-EMBEDDING_INIT_LIMIT, EMBEDDING_INIT_LIMIT);
    }
    return { weights, biases: new Float64Array(p.units) };
  },
  rawInput: {
    check(spec, x) {
      for (let r = 0; r < x.rows; r++) {
        for (let c = 0; c < x.cols; c++) {
          const v = x.data[r * x.cols + c];
          if (!isValidToken(v, spec.inputDim)) {
            return {
              row: r,
              column: c,
              problem: `token ${v} has no row in the embedding table (inputDim ${spec.inputDim}): ` +
                `token indices must be integers in 0..${spec.inputDim - 1}`,
            };
          }
        }
      }
      return null;
    },
  },
  twin(layer) {
    const { inputDim: vocab, outputDim: dim } = layer.spec;
    return {
      label: `layer ${layer.position + 1} (embedding)`,
      hasParameters: true,
      forward(x, p) {
        const y = matrix(x.rows, layer.outSize, embeddingForward(x.data, p!.weights, vocab, dim));
        return { y, z: y, cache: x };
      },
      backward(cache, dy) {
        const x = cache as { data: Float64Array; rows: number; cols: number };
        return {
          dx: matrix(x.rows, x.cols),
          dw: embeddingBackward(x.data, dy.data, vocab, dim),
          db: new Float64Array(dim),
        };
      },
    };
  },
  async prepareEvaluation(ctx, layer, io) {
    const { inputDim: vocab, outputDim: dim } = layer.spec;
    const steps = layer.input[0];
    const y = ctx.storage(`${io.label} lookup`, io.rows * layer.outSize);
    const op = await prepareEmbedding(ctx, {
      label: io.label,
      tokens: io.x,
      input: io.params!.w,
      output: y,
      positions: io.rows * steps,
      vocab,
      dim,
      pass: "forward",
    });
    return {
      y,
      z: y,
      activations: y,
      setRows: (r) => op.set({ positions: r * steps }),
      forward: (pass) => op.encode(pass),
    };
  },
  async prepareTraining(ctx, layer, io) {
    const { inputDim: vocab, outputDim: dim } = layer.spec;
    const steps = layer.input[0];
    const n = io.rows * layer.outSize;
    const y = ctx.storage(`${io.label} lookup`, n);
    const dy = ctx.storage(`${io.label} dL/dy`, n);
    // No bias in Keras's Embedding: nothing writes db, whose slice of the flat gradient buffer
    // stays zero, so the LayerWeights bias stays at 0.
    const { dw, db } = io.grads!;
    const common = { tokens: io.x, positions: io.rows * steps, vocab, dim };
    const fwd = await prepareEmbedding(ctx, {
      label: io.label,
      ...common,
      input: io.params!.w,
      output: y,
      pass: "forward",
    });
    const bwd = await prepareEmbedding(ctx, {
      label: `${io.label}'`,
      ...common,
      input: dy,
      output: dw,
      pass: "backward",
    });
    return {
      y,
      z: y,
      activations: y,
      dy,
      dz: dy,
      grads: { dw, db, dwBlockNorms: null, blockNormCount: 0 },
      setRows(r) {
        fwd.set({ positions: r * steps });
        bwd.set({ positions: r * steps });
      },
      setStep() {},
      forward: (pass) => fwd.encode(pass),
      backward: (pass) => bwd.encode(pass),
    };
  },
};
