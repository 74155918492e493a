/**
 * The Keras layer table: how each Keras layer class (as Keras 3, tf.keras 2 and tfjs-layers serialize it;
 * tfjs uses Keras's class names and config keys) maps to a fitcheck layer entry of CONTRACT §7.2, its
 * output shape, and how its saved variables become fitcheck's parameters. One entry per class, testable
 * entry by entry; a class that is not in the table is an InputError naming the layer, its class, its
 * position and the supported classes, never a silent skip.
 *
 * Keras's variable layouts are fitcheck's (channels last; Dense kernel [in, out], Conv2D kernel
 * [kh, kw, in, out], Conv1D [k, in, out], Embedding [inputDim, outputDim]), so weights pass through.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { sizeOf } from "../layers/layer.ts";
import type { LayerJson, LayerParams } from "./types.ts";

/** A saved variable: shape and row-major values. */
export interface SavedArray {
  shape: number[];
  data: Float64Array;
}

/** What the table needs to know about the layer being mapped. */
export interface LayerContext {
  /** The layer's own name ("dense_1"). */
  name: string;
  /** Its class ("Dense"). */
  className: string;
  /** 1-based position among the model's layers (the input layer excluded). */
  position: number;
  /** Per-row shape of its input, channels last. */
  input: number[];
  /** The model file, for errors. */
  file: string;
}

/** One mapped layer: its scenario entry (null: the layer is a no-op for fitcheck), its output shape. */
export interface MappedLayer {
  layer: LayerJson | null;
  output: number[];
  /** Names of its variables in the order Keras saves them (kernel, bias, ...). */
  variables: string[];
  /** Turns the saved variables (in `variables` order) into fitcheck's parameters. */
  params?(saved: SavedArray[]): LayerParams;
  note?: string;
  /** A first-layer rescaling of the inputs (Rescaling), done by the scenario's data transform instead. */
  inputScale?: number;
}

type Config = Record<string, unknown>;
type Mapper = (config: Config, ctx: LayerContext) => MappedLayer;

/** Keras activation names (Keras 3, tf.keras, tfjs) to fitcheck's. */
export const KERAS_ACTIVATIONS: Record<string, string> = {
  linear: "linear",
  relu: "relu",
  sigmoid: "sigmoid",
  tanh: "tanh",
  softmax: "softmax",
  elu: "elu",
  leaky_relu: "leaky-relu",
  leakyrelu: "leaky-relu",
};

/** Every Keras layer class fitcheck imports. */
export const KERAS_LAYERS: Record<string, Mapper> = {
  Dense: (c, ctx) => {
    if (ctx.input.length !== 1) {
      throw problem(ctx, `Dense on a ${ctx.input.length}-d input [${ctx.input}] (put a Flatten before it)`);
    }
    const units = int(c, "units", ctx);
    const useBias = c.use_bias !== false;
    return {
      layer: { type: "dense", units, activation: activation(c.activation, ctx), ...l2(c, ctx) },
      output: [units],
      variables: useBias ? ["kernel", "bias"] : ["kernel"],
      params: (saved) => ({
        arrays: {
          kernel: expectShape(saved[0], [ctx.input[0], units], "kernel", ctx),
          bias: useBias ? expectShape(saved[1], [units], "bias", ctx) : zeros([units]),
        },
      }),
      note: useBias
        ? undefined
        : `${ctx.name}: use_bias=False imported with a zero bias (fitcheck's dense layer has one)`,
    };
  },
  Dropout: (c, ctx) => ({
    layer: { type: "dropout", rate: num(c, "rate", ctx) },
    output: ctx.input,
    variables: [],
  }),
  Activation: (c, ctx) => ({
    layer: { type: "activation", activation: activation(c.activation, ctx) },
    output: ctx.input,
    variables: [],
  }),
  ReLU: (_c, ctx) => ({
    layer: { type: "activation", activation: "relu" },
    output: ctx.input,
    variables: [],
  }),
  Softmax: (_c, ctx) => ({
    layer: { type: "activation", activation: "softmax" },
    output: ctx.input,
    variables: [],
  }),
  Flatten: (_c, ctx) => ({ layer: { type: "flatten" }, output: [sizeOf(ctx.input)], variables: [] }),
  // Rescaling(1/255) as a model's first layer (Keras's image tutorials): the data transform scale-features.
  Rescaling: (c, ctx) => {
    const scale = Number(c.scale ?? 1), offset = Number(c.offset ?? 0);
    if (ctx.position !== 1 || offset !== 0 || !Number.isFinite(scale)) {
      throw problem(
        ctx,
        "Rescaling is supported only as the first layer, with offset 0 (a scale-features transform)",
      );
    }
    return { layer: null, output: ctx.input, variables: [], inputScale: scale };
  },
  Conv2D: (c, ctx) => {
    if (ctx.input.length !== 3) {
      throw problem(ctx, `Conv2D needs [height, width, channels] inputs, got [${ctx.input}]`);
    }
    channelsLast(c, ctx);
    const filters = int(c, "filters", ctx);
    const [kh, kw] = pair(c.kernel_size, "kernel_size", ctx);
    const [sh, sw] = pair(c.strides ?? 1, "strides", ctx);
    const padding = paddingOf(c, ctx);
    const dilation = pair(c.dilation_rate ?? 1, "dilation_rate", ctx);
    if (dilation[0] !== 1 || dilation[1] !== 1 || (c.groups !== undefined && c.groups !== 1)) {
      throw problem(ctx, "dilated or grouped Conv2D is not supported");
    }
    const [h, w, cin] = ctx.input;
    const useBias = c.use_bias !== false;
    return {
      layer: {
        type: "conv2d",
        filters,
        kernelSize: kh === kw ? kh : [kh, kw],
        strides: sh === sw ? sh : [sh, sw],
        padding,
        activation: activation(c.activation, ctx),
        ...l2(c, ctx),
      },
      output: [convOut(h, kh, sh, padding), convOut(w, kw, sw, padding), filters],
      variables: useBias ? ["kernel", "bias"] : ["kernel"],
      params: (saved) => ({
        arrays: {
          kernel: expectShape(saved[0], [kh, kw, cin, filters], "kernel", ctx),
          bias: useBias ? expectShape(saved[1], [filters], "bias", ctx) : zeros([filters]),
        },
      }),
    };
  },
  MaxPooling2D: (c, ctx) => pool2d("maxpool2d", c, ctx),
  AveragePooling2D: (c, ctx) => pool2d("avgpool2d", c, ctx),
  GlobalAveragePooling2D: (c, ctx) => {
    if (ctx.input.length !== 3) {
      throw problem(ctx, `needs [height, width, channels] inputs, got [${ctx.input}]`);
    }
    channelsLast(c, ctx);
    return { layer: { type: "global-avgpool2d" }, output: [ctx.input[2]], variables: [] };
  },
  GlobalAveragePooling1D: (c, ctx) => {
    if (ctx.input.length !== 2) throw problem(ctx, `needs [steps, channels] inputs, got [${ctx.input}]`);
    channelsLast(c, ctx);
    return { layer: { type: "global-avgpool1d" }, output: [ctx.input[1]], variables: [] };
  },
  BatchNormalization: (c, ctx) => {
    const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
    if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== ctx.input.length)) {
      throw problem(
        ctx,
        `BatchNormalization over axis ${JSON.stringify(c.axis)}: only the channel (last) axis is supported`,
      );
    }
    const channels = ctx.input[ctx.input.length - 1];
    const scale = c.scale !== false, center = c.center !== false;
    const momentum = c.momentum ?? 0.99, epsilon = c.epsilon ?? 1e-3;
    const variables = [
      ...(scale ? ["gamma"] : []),
      ...(center ? ["beta"] : []),
      "moving_mean",
      "moving_variance",
    ];
    return {
      // Keras's defaults are the contract's (§7.2); other values are written out.
      layer: {
        type: "batchnorm",
        ...(momentum !== 0.99 ? { momentum } : {}),
        ...(epsilon !== 1e-3 ? { epsilon } : {}),
      },
      output: ctx.input,
      variables,
      params: (saved) => {
        const at = (name: string) => saved[variables.indexOf(name)];
        return {
          arrays: {
            gamma: scale ? expectShape(at("gamma"), [channels], "gamma", ctx) : ones([channels]),
            beta: center ? expectShape(at("beta"), [channels], "beta", ctx) : zeros([channels]),
            movingMean: expectShape(at("moving_mean"), [channels], "moving_mean", ctx),
            movingVariance: expectShape(at("moving_variance"), [channels], "moving_variance", ctx),
          },
        };
      },
    };
  },
  Embedding: (c, ctx) => {
    if (ctx.input.length !== 1) {
      throw problem(ctx, `Embedding needs [steps] token inputs, got [${ctx.input}]`);
    }
    const inputDim = int(c, "input_dim", ctx), outputDim = int(c, "output_dim", ctx);
    return {
      layer: { type: "embedding", inputDim, outputDim },
      output: [ctx.input[0], outputDim],
      variables: ["embeddings"],
      params: (saved) => ({
        arrays: { embeddings: expectShape(saved[0], [inputDim, outputDim], "embeddings", ctx) },
      }),
    };
  },
  Conv1D: (c, ctx) => {
    if (ctx.input.length !== 2) {
      throw problem(ctx, `Conv1D needs [steps, channels] inputs, got [${ctx.input}]`);
    }
    channelsLast(c, ctx);
    const filters = int(c, "filters", ctx);
    const [k] = pair(c.kernel_size, "kernel_size", ctx);
    const [s] = pair(c.strides ?? 1, "strides", ctx);
    const padding = paddingOf(c, ctx);
    const [steps, cin] = ctx.input;
    const useBias = c.use_bias !== false;
    return {
      layer: {
        type: "conv1d",
        filters,
        kernelSize: k,
        strides: s,
        padding,
        activation: activation(c.activation, ctx),
        ...l2(c, ctx),
      },
      output: [convOut(steps, k, s, padding), filters],
      variables: useBias ? ["kernel", "bias"] : ["kernel"],
      params: (saved) => ({
        arrays: {
          kernel: expectShape(saved[0], [k, cin, filters], "kernel", ctx),
          bias: useBias ? expectShape(saved[1], [filters], "bias", ctx) : zeros([filters]),
        },
      }),
    };
  },
};

/** The supported class names, for messages. */
export const KERAS_LAYER_NAMES = Object.keys(KERAS_LAYERS);

/** Maps one layer through the table; an unknown class is an InputError naming it and the supported list. */
export function mapKerasLayer(className: string, config: Config, ctx: LayerContext): MappedLayer {
  const mapper = KERAS_LAYERS[className];
  if (!mapper) {
    throw problem(ctx, `unsupported layer class ${className}: supported are ${KERAS_LAYER_NAMES.join(", ")}`);
  }
  return mapper(config, ctx);
}

function pool2d(type: string, c: Config, ctx: LayerContext): MappedLayer {
  if (ctx.input.length !== 3) {
    throw problem(ctx, `needs [height, width, channels] inputs, got [${ctx.input}]`);
  }
  channelsLast(c, ctx);
  const [ph, pw] = pair(c.pool_size ?? 2, "pool_size", ctx);
  const [sh, sw] = c.strides === null || c.strides === undefined ? [ph, pw] : pair(c.strides, "strides", ctx);
  const padding = paddingOf(c, ctx);
  if (padding !== "valid") {
    throw problem(ctx, `pooling with padding "${padding}" is not supported (only "valid")`);
  }
  const { layer, output } = poolLayer(type, [ph, pw], [sh, sw], ctx.input);
  return { layer, output, variables: [] };
}

/**
 * A valid-padded 2-D pooling layer as the scenario writes it (a square size or stride as one number,
 * the strides only when they differ from the size), and its output shape on the [h, w, c] `input`.
 */
export function poolLayer(
  type: string,
  [ph, pw]: [number, number],
  [sh, sw]: [number, number],
  input: readonly number[],
): { layer: LayerJson; output: number[] } {
  const [h, w, ch] = input;
  return {
    layer: {
      type,
      poolSize: ph === pw ? ph : [ph, pw],
      ...(sh !== ph || sw !== pw ? { strides: sh === sw ? sh : [sh, sw] } : {}),
    },
    output: [convOut(h, ph, sh, "valid"), convOut(w, pw, sw, "valid"), ch],
  };
}

/** Output length of a convolution / pooling window along one axis, as Keras computes it. */
export function convOut(n: number, k: number, s: number, padding: string): number {
  return padding === "same" ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
}

/** The kernel regularizer's L2 factor as `{l2}` (omitted when there is none). */
function l2(c: Config, ctx: LayerContext): { l2?: number } {
  const r = c.kernel_regularizer;
  if (r === null || r === undefined) return {};
  const cls = String((r as Config).class_name ?? "").replace(/^.*>/, "");
  const cfg = ((r as Config).config ?? {}) as Config;
  if ((cls === "L2" || cls === "l2") && typeof cfg.l2 === "number") return cfg.l2 > 0 ? { l2: cfg.l2 } : {};
  if ((cls === "L1L2" || cls === "l1_l2") && (Number(cfg.l1 ?? 0) === 0)) {
    return Number(cfg.l2 ?? 0) > 0 ? { l2: Number(cfg.l2) } : {};
  }
  throw problem(ctx, `kernel_regularizer ${cls || JSON.stringify(r)} is not supported (only L2)`);
}

function activation(value: unknown, ctx: LayerContext): string {
  const name = value === undefined || value === null
    ? "linear"
    : typeof value === "string"
    ? value
    : String((value as Config).class_name ?? (value as Config).config ?? "?");
  const mapped = KERAS_ACTIVATIONS[name.toLowerCase()];
  if (!mapped) {
    throw problem(
      ctx,
      `unsupported activation "${name}": supported are ${Object.keys(KERAS_ACTIVATIONS).join(", ")}`,
    );
  }
  return mapped;
}

function channelsLast(c: Config, ctx: LayerContext): void {
  const f = c.data_format;
  if (f !== undefined && f !== null && f !== "channels_last") {
    throw problem(ctx, `data_format "${f}" is not supported (only channels_last)`);
  }
}

function paddingOf(c: Config, ctx: LayerContext): string {
  const p = String(c.padding ?? "valid").toLowerCase();
  if (p !== "valid" && p !== "same") throw problem(ctx, `padding "${p}" is not supported (valid or same)`);
  return p;
}

function pair(v: unknown, key: string, ctx: LayerContext): [number, number] {
  const list = Array.isArray(v) ? v : [v, v];
  if (!list.every((x) => Number.isInteger(x) && (x as number) > 0)) {
    throw problem(ctx, `${key} ${JSON.stringify(v)} is not a positive integer or a list of them`);
  }
  return [list[0] as number, (list[1] ?? list[0]) as number];
}

function int(c: Config, key: string, ctx: LayerContext): number {
  const v = c[key];
  if (!Number.isInteger(v) || (v as number) < 1) {
    throw problem(ctx, `${key} ${JSON.stringify(v)} is not a positive integer`);
  }
  return v as number;
}

function num(c: Config, key: string, ctx: LayerContext): number {
  const v = c[key];
  if (typeof v !== "number") throw problem(ctx, `${key} ${JSON.stringify(v)} is not a number`);
  return v;
}

function zeros(shape: number[]) {
  return { shape, data: new Float64Array(sizeOf(shape)) };
}

function ones(shape: number[]) {
  return { shape, data: new Float64Array(sizeOf(shape)).fill(1) };
}

/** `saved` if its shape is `shape`, else an InputError naming the layer, the variable and both shapes. */
function expectShape(saved: SavedArray | undefined, shape: number[], what: string, ctx: LayerContext) {
  if (saved === undefined) throw problem(ctx, `the file holds no ${what} for this layer`);
  if (saved.shape.length !== shape.length || saved.shape.some((d, i) => d !== shape[i])) {
    throw problem(ctx, `its ${what} has shape [${saved.shape}] where the config implies [${shape}]`);
  }
  return { shape, data: saved.data };
}

/** An InputError about one layer: `layer 2 "dense_1" (Dense): <what>`. */
export function problem(ctx: LayerContext, what: string): InputError {
  return new InputError(`layer ${ctx.position} "${ctx.name}" (${ctx.className}): ${what}`, {
    file: ctx.file,
  });
}
