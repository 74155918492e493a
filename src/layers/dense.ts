/**
 * The dense layer: Y = act(X·W + b), then inverted dropout of its output when `dropout` > 0 (the v1
 * scenario key). Its input must be flat ([features]); images and sequences go through a flatten or
 * a global pooling first.
 * @module
 */
import { z } from "zod";
import { type DenseOp, prepareDenseBackward, prepareDenseForward } from "../kernels/dense.ts";
import { prepareDropout } from "../kernels/dropout.ts";
import type { PreparedOp } from "../kernels/kernel.ts";
import { blockNormCount, fusesBackward } from "../kernels/matmul.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { denseBackward, denseForward } from "../reference/dense.ts";
import { dropoutApply, type DropoutKey } from "../reference/dropout.ts";
import { type Matrix, matrix } from "../reference/matrix.ts";
import { type Activation, ACTIVATIONS } from "../scenario/types.ts";
import { type LayerDefinition, LayerShapeError, sizeOf } from "./layer.ts";

/** A `model.layers` entry without `"type"`, or with `"type": "dense"`. */
export interface DenseLayerSpec {
  /** Always "dense" after validation; optional so that v1-style literals in code stay valid. */
  type?: "dense";
  units: number;
  activation: Activation;
  /** Dropout rate applied to this layer's output during training, 0 <= rate < 1. */
  dropout: number;
  /** Keras's kernel_regularizer L2 factor (absent or 0: none; a v1 file has none). */
  l2?: number;
}

const schema = z.strictObject({
  type: z.literal("dense").default("dense"),
  units: z.number().int().min(1),
  activation: z.enum(ACTIVATIONS).default("linear"),
  dropout: z.number().min(0).lt(1).default(0),
  l2: z.number().min(0).optional(),
});

/** The dense layer kind. */
export const denseLayer: LayerDefinition<DenseLayerSpec> = {
  type: "dense",
  schema,
  outputShape(spec, input) {
    // Keras's Dense on [h, w, c] acts on the last axis only ([h, w, units]); reading it flattened
    // would silently train another model, so a multi-dimensional input needs an explicit flatten.
    if (input.length !== 1) {
      throw new LayerShapeError(
        `needs a flat input [features]: put {"type": "flatten"} (or a global average pooling) before it`,
      );
    }
    return [spec.units];
  },
  parameters: (spec, input) => {
    const inputs = sizeOf(input);
    return { inputs, units: spec.units, fanIn: inputs, fanOut: spec.units };
  },
  hasParameters: () => true,
  describe: (spec) => `${spec.units} ${spec.activation} units`,
  activation: (spec) => spec.activation,
  l2: (spec) => spec.l2 ?? 0,
  fusion: {
    exposes: (spec) => (spec.dropout === 0 && spec.activation !== "softmax" ? spec.activation : null),
    accepts: (_spec, ctx) => fusesBackward(ctx),
    exposesSoftmax: (spec) => spec.dropout === 0 && spec.activation === "softmax",
  },
  twin(layer) {
    const { spec, inSize } = layer;
    return {
      label: `layer ${layer.position + 1} (dense)`,
      hasParameters: true,
      l2: spec.l2 ?? 0,
      forward(x, p, training) {
        const w = matrix(inSize, spec.units, p!.weights);
        const { z, y } = denseForward(x, w, p!.biases, { activation: spec.activation });
        let key: DropoutKey | null = null, out: Matrix = y;
        if (training && spec.dropout > 0) {
          key = {
            rate: spec.dropout,
            seed: training.dropoutSeed,
            step: training.step,
            layer: layer.position,
          };
          out = { rows: y.rows, cols: y.cols, data: dropoutApply(y.data, key) };
        }
        return { y: out, z, cache: { x, z, y, key } };
      },
      backward(cache, dyIn, p) {
        const c = cache as { x: Matrix; z: Matrix; y: Matrix; key: DropoutKey | null };
        // Dropout sits after the activation: its backward multiplies by the same scaled mask.
        const dy = c.key ? { rows: dyIn.rows, cols: dyIn.cols, data: dropoutApply(dyIn.data, c.key) } : dyIn;
        const g = denseBackward(
          { x: c.x, w: matrix(inSize, spec.units, p!.weights), z: c.z, y: c.y, dy },
          { activation: spec.activation },
        );
        return { dx: g.dx, dw: g.dw.data, db: g.db };
      },
    };
  },
  async prepareEvaluation(ctx, layer, io) {
    const { spec } = layer;
    const n = io.rows * spec.units;
    const z = ctx.storage(`${io.label} Z`, n), y = ctx.storage(`${io.label} act(Z)`, n);
    const op = await prepareDenseForward(ctx, {
      label: io.label,
      rows: io.rows,
      inputs: layer.inSize,
      units: spec.units,
      activation: spec.activation,
      x: io.x,
      w: io.params!.w,
      b: io.params!.b,
      z,
      y,
    });
    return { y, z, activations: y, setRows: (r) => op.setRows(r), forward: (pass) => op.encode(pass) };
  },
  async prepareTraining(ctx, layer, io) {
    const { spec } = layer;
    const B = io.rows, i = layer.position, label = io.label;
    const n = B * spec.units;
    const drop = spec.dropout > 0;
    const z = ctx.storage(`${label} Z`, n);
    const act = ctx.storage(`${label} act(Z)`, n);
    const out = drop ? ctx.storage(`${label} dropout(act)`, n) : act;
    const dOut = ctx.storage(`${label} dL/dout`, n);
    const dAct = drop ? ctx.storage(`${label} dL/dact`, n) : dOut;
    const dz = ctx.storage(`${label} dZ`, n);
    const { dw, db } = io.grads!;
    const common = { rows: B, inputs: layer.inSize, units: spec.units, activation: spec.activation };
    const forward: DenseOp = await prepareDenseForward(ctx, {
      ...common,
      label,
      x: io.x,
      w: io.params!.w,
      b: io.params!.b,
      z,
      y: act,
      softmaxElsewhere: io.fusion.softmaxInHead,
    });
    const dropout = (pass: "forward" | "backward") =>
      prepareDropout(ctx, {
        label: `${label} dropout ${pass}`,
        input: pass === "forward" ? act : dOut,
        output: pass === "forward" ? out : dAct,
        count: n,
        rate: spec.dropout,
        seed: io.dropoutSeed,
        layer: i,
        step: 0,
        pass,
      });
    const dropFwd: PreparedOp<string> | null = drop ? await dropout("forward") : null;
    const dropBwd: PreparedOp<string> | null = drop ? await dropout("backward") : null;
    // Instrumented and fused: the dW product also writes its 8×8 block norms, so the layer record
    // reads ~64× fewer values for ‖dW‖.
    const fuse = fusesBackward(ctx);
    const normCount = blockNormCount(layer.inSize, spec.units);
    const dwBlockNorms = io.instrument && fuse ? ctx.storage(`${label} dW block norms`, normCount) : null;
    const below = io.fusion.below;
    const backward = await prepareDenseBackward(ctx, {
      ...common,
      label: `${label} backward`,
      x: io.x,
      w: io.params!.w,
      z,
      y: act,
      dy: dAct,
      dz,
      dw,
      db,
      dx: io.dx ?? undefined,
      inputGradient: below
        ? { activation: below.activation as ElementwiseActivation, z: below.z }
        : undefined,
      dzReady: io.fusion.dzReady,
      dwBlockNorms: dwBlockNorms ?? undefined,
    });
    return {
      y: out,
      z,
      activations: act,
      dy: dOut,
      dz,
      grads: { dw, db, dwBlockNorms, blockNormCount: normCount },
      setRows(r) {
        forward.setRows(r);
        backward.setRows(r);
        dropFwd?.set({ count: r * spec.units });
        dropBwd?.set({ count: r * spec.units });
      },
      setStep(step) {
        dropFwd?.set({ step: step >>> 0 });
        dropBwd?.set({ step: step >>> 0 });
      },
      forward(pass) {
        forward.encode(pass);
        dropFwd?.encode(pass);
      },
      backward(pass) {
        dropBwd?.encode(pass);
        backward.encode(pass);
      },
    };
  },
};
