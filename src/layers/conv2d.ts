/**
 * The 2D convolution layer (Keras `Conv2D`), channels last: inputs [height, width, channels],
 * outputs [outH, outW, filters], kernel [kh, kw, channels, filters] (stored as a
 * (kh·kw·channels) × filters LayerWeights matrix, so per-filter statistics are per column), bias per
 * filter, an element-wise activation. Keras's defaults: strides 1, padding "valid", linear.
 * @module
 */
import { z } from "zod";
import { activationBackwardKernel, denseBiasBackward } from "../kernels/dense.ts";
import {
  prepareCol2im,
  prepareConv2dBackward,
  prepareConv2dForward,
  prepareIm2col,
} from "../kernels/conv2d.ts";
import { activationOverrides, prepareMatmul } from "../kernels/matmul.ts";
import { type BoundBuffer, type PreparedOp, prepareKernel } from "../kernels/kernel.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import { conv2dBackward, conv2dForward, type Padding, type Window2d, window2d } from "../reference/conv2d.ts";
import type { Matrix } from "../reference/matrix.ts";
import { type LayerDefinition, LayerShapeError, type Shape } from "./layer.ts";

/** `{"type": "conv2d", "filters": 16, "kernelSize": 3, "strides": 1, "padding": "same", "activation": "relu"}` */
export interface Conv2dLayerSpec {
  type: "conv2d";
  filters: number;
  /** [kh, kw]; a number n in the file means [n, n]. */
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: ElementwiseActivation;
  /** Keras's kernel_regularizer L2 factor (absent or 0: none). */
  l2?: number;
}

/** A positive integer or a pair of them, as Keras takes kernel_size / strides / pool_size. */
export const pair = z.union([
  z.number().int().min(1).transform((n): [number, number] => [n, n]),
  z.tuple([z.number().int().min(1), z.number().int().min(1)]),
]);

/** The element-wise activations (softmax is for the dense output layer only). */
export const ELEMENTWISE = ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"] as const;

const schema = z.strictObject({
  type: z.literal("conv2d"),
  filters: z.number().int().min(1),
  kernelSize: pair,
  strides: pair.default([1, 1]),
  padding: z.enum(["valid", "same"]).default("valid"),
  activation: z.enum(ELEMENTWISE).default("linear"),
  l2: z.number().min(0).optional(),
});

/**
 * The window geometry of a 2D op on `input`, or LayerShapeError when the input is not
 * [height, width, channels] or the window does not fit.
 */
export function imageWindow(
  input: Shape,
  kernel: [number, number],
  strides: [number, number],
  padding: Padding,
): Window2d {
  if (input.length !== 3) {
    throw new LayerShapeError("needs [height, width, channels] (set model.input.shape, channels last)");
  }
  const g = window2d(input, kernel, strides, padding);
  if (g.outH < 1 || g.outW < 1) {
    throw new LayerShapeError(
      `needs at least ${kernel[0]}×${kernel[1]} pixels for a ${kernel[0]}×${
        kernel[1]
      } window with "valid" padding`,
    );
  }
  return g;
}

/**
 * Window depth (kh·kw·inC) from which training computes Z as im2col patches · W, dW as patchesᵀ · dZ
 * and dX as col2im(dZ · Wᵀ) with the matmul kernels instead of the direct kernels. Measured on
 * llvmpipe with scripts/measure_conv2d.ts (forward, im2col / direct, median of 15 paired interleaved
 * repetitions, 2-core machine under load ~3.5; min-max in parentheses), with the direct kernel
 * blocked by 4 filters and im2col by window tap: depth 9: 3.67 (2.97-4.44) and 2.95; 36: 1.18
 * (0.71-2.21); 72: 0.83 (0.67-1.06); 144: 0.35 (0.23-0.44). The crossover lies between 36 and 72.
 * Evaluation stays direct: a whole split's patch matrix would be kh·kw times its input.
 */
export const IM2COL_MIN_DEPTH = 64;

const geometry = (spec: Conv2dLayerSpec, input: Shape) =>
  imageWindow(input, spec.kernelSize, spec.strides, spec.padding);

/** An op over a batch whose row count `set` changes. */
interface RowsOp {
  set(rows: number): void;
  encode(pass: GPUComputePassEncoder): void;
}

/**
 * The layer's dX. Through im2col (`patches` given): dPatches = dZ · Wᵀ on the matmul kernels, into
 * the patch buffer (free once dW is computed), then col2im's gather. Otherwise the direct gather,
 * conv2d_input_backward.
 */
async function prepareInputGradient(
  ctx: GpuContext,
  o: {
    label: string;
    geometry: Window2d;
    filters: number;
    rows: number;
    positions: number;
    x: GPUBuffer;
    w: BoundBuffer;
    dz: GPUBuffer;
    dx: GPUBuffer;
    patches: GPUBuffer | null;
  },
): Promise<RowsOp> {
  const { geometry: g, patches } = o;
  if (!patches) {
    const op = await prepareConv2dBackward(ctx, { ...o, pass: "input", out: o.dx });
    return { set: (rows) => op.set({ rows }), encode: (pass) => op.encode(pass) };
  }
  const product = await prepareMatmul(ctx, {
    label: `${o.label}: dZ·Wᵀ`,
    a: o.dz,
    b: o.w,
    y: patches,
    m: o.rows * o.positions,
    n: g.kH * g.kW * g.inC,
    k: o.filters,
    transposeB: true,
  });
  const gather = await prepareCol2im(ctx, {
    label: `${o.label}: col2im`,
    geometry: g,
    rows: o.rows,
    patches,
    dx: o.dx,
  });
  return {
    set(rows) {
      product.set({ m: rows * o.positions });
      gather.set({ rows });
    },
    encode(pass) {
      product.encode(pass);
      gather.encode(pass);
    },
  };
}

/** The conv2d layer kind. */
export const conv2dLayer: LayerDefinition<Conv2dLayerSpec> = {
  type: "conv2d",
  schema,
  outputShape(spec, input) {
    const g = geometry(spec, input);
    return [g.outH, g.outW, spec.filters];
  },
  parameters(spec, input) {
    const g = geometry(spec, input);
    const taps = g.kH * g.kW;
    // Keras: fan_in = kh·kw·in_channels, fan_out = kh·kw·filters.
    return { inputs: taps * g.inC, units: spec.filters, fanIn: taps * g.inC, fanOut: taps * spec.filters };
  },
  hasParameters: () => true,
  describe: (spec) =>
    `${spec.filters} ${spec.activation} filters ${spec.kernelSize[0]}×${spec.kernelSize[1]}`,
  activation: (spec) => spec.activation,
  l2: (spec) => spec.l2 ?? 0,
  // A pooling layer above applies act' in its backward pass (its dX is then this layer's dZ).
  fusion: { exposes: (spec) => spec.activation, accepts: () => false },
  twin(layer) {
    const { spec } = layer;
    const g = geometry(spec, layer.input);
    return {
      label: `layer ${layer.position + 1} (conv2d)`,
      hasParameters: true,
      l2: spec.l2 ?? 0,
      forward(x, p) {
        const { z, y } = conv2dForward(x, p!.weights, p!.biases, g, spec.filters, spec.activation);
        return { y, z, cache: { x, z } };
      },
      backward(cache, dy, p) {
        const c = cache as { x: Matrix; z: Matrix };
        const r = conv2dBackward({ x: c.x, w: p!.weights, z: c.z, dy }, g, spec.filters, spec.activation);
        return { dx: r.dx, dw: r.dw, db: r.db };
      },
    };
  },
  async prepareEvaluation(ctx, layer, io) {
    const { spec } = layer;
    const g = geometry(spec, layer.input);
    const n = io.rows * layer.outSize;
    const z = ctx.storage(`${io.label} Z`, n), y = ctx.storage(`${io.label} act(Z)`, n);
    const op = await prepareConv2dForward(ctx, {
      label: io.label,
      geometry: g,
      filters: spec.filters,
      rows: io.rows,
      activation: spec.activation,
      x: io.x,
      w: io.params!.w,
      b: io.params!.b,
      z,
      y,
    });
    return { y, z, activations: y, setRows: (rows) => op.set({ rows }), forward: (pass) => op.encode(pass) };
  },
  async prepareTraining(ctx, layer, io) {
    const { spec } = layer;
    const g = geometry(spec, layer.input);
    const B = io.rows, label = io.label, F = spec.filters, positions = g.outH * g.outW;
    const n = B * layer.outSize;
    const z = ctx.storage(`${label} Z`, n), y = ctx.storage(`${label} act(Z)`, n);
    // dL/dy becomes dZ in place (activation_backward IN_PLACE): one activation-sized buffer fewer;
    // and where y is dead once the layer above has run forward, dL/dy is written over y: one more.
    const dy = io.outputFreeInBackward ? y : ctx.storage(`${label} dL/dy, then dZ`, n), dz = dy;
    const { dw, db } = io.grads!;
    const w = io.params!.w;
    const depth = g.kH * g.kW * g.inC;
    const viaMatmul = depth >= IM2COL_MIN_DEPTH;
    const patches = viaMatmul ? ctx.storage(`${label} patches`, B * positions * depth) : null;
    const gather = patches
      ? await prepareIm2col(ctx, { label: `${label} im2col`, geometry: g, rows: B, x: io.x, patches })
      : null;
    const forward: PreparedOp<string> = patches
      ? await prepareMatmul(ctx, {
        label: `${label} act(patches·W+b)`,
        a: patches,
        b: w,
        bias: io.params!.b,
        y,
        z,
        m: B * positions,
        n: F,
        k: depth,
        activation: spec.activation,
      })
      : await prepareConv2dForward(ctx, {
        label,
        geometry: g,
        filters: F,
        rows: B,
        activation: spec.activation,
        x: io.x,
        w,
        b: io.params!.b,
        z,
        y,
      });
    // Unless the layer above already wrote dZ (fusion), dL/dy becomes dZ here.
    const act = io.fusion.dzReady ? null : await prepareKernel(ctx, activationBackwardKernel, {
      label: `${label} dY⊙act'(Z) in place`,
      buffers: { dy: z, z, dz },
      uniforms: { count: n },
      overrides: { ...activationOverrides(spec.activation), IN_PLACE: 1 },
    });
    // Σ dZ per filter: the column sums of dZ seen as (rows·positions) × filters (the direct filter
    // gradient sums them in its own pass over dZ).
    const bias = patches
      ? await prepareKernel(ctx, denseBiasBackward, {
        label: `${label} Σ dZ`,
        buffers: { dz, db },
        uniforms: { rows: B * positions, cols: F },
      })
      : null;
    const common = { geometry: g, filters: F, rows: B, x: io.x, w, dz };
    const filter: PreparedOp<string> = patches
      ? await prepareMatmul(ctx, {
        label: `${label} patchesᵀ·dZ`,
        a: patches,
        b: dz,
        y: dw,
        m: depth,
        n: F,
        k: B * positions,
        transposeA: true,
      })
      : await prepareConv2dBackward(ctx, {
        ...common,
        label: `${label} dW, db`,
        pass: "filter",
        out: dw,
        db,
      });
    const input = io.dx
      ? await prepareInputGradient(ctx, { ...common, label: `${label} dX`, positions, patches, dx: io.dx })
      : null;
    return {
      y,
      z,
      activations: y,
      dy,
      dz,
      grads: { dw, db, dwBlockNorms: null, blockNormCount: 0 },
      setRows(rows) {
        if (gather) {
          gather.set({ rows });
          forward.set({ m: rows * positions });
          filter.set({ k: rows * positions });
        } else {
          forward.set({ rows });
          filter.set({ rows });
        }
        act?.set({ count: rows * layer.outSize });
        bias?.set({ rows: rows * positions });
        input?.set(rows);
      },
      setStep() {},
      forward(pass) {
        gather?.encode(pass);
        forward.encode(pass);
      },
      backward(pass) {
        act?.encode(pass);
        bias?.encode(pass);
        filter.encode(pass);
        input?.encode(pass);
      },
    };
  },
};
