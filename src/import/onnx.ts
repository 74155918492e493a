/**
 * ONNX models as `torch.onnx.export` writes them (opset 13): a chain of nodes from one data input, with
 * the parameters as initializers. The operator table maps each operator to a fitcheck layer of CONTRACT
 * §7.2 and converts its parameters from the graph's layout to fitcheck's:
 *
 * - Gemm (transB=1, PyTorch's Linear: weight [out, in]) and MatMul (weight [in, out]) + Add (bias) -> dense
 *   with kernel [in, out]; alpha and beta scale kernel and bias;
 * - Conv (weight [out, in, kh, kw]) -> conv2d with kernel [kh, kw, in, out]; the data is NCHW, fitcheck's
 *   NHWC, so the imported model reads its input as [H, W, C] (`fileInputShape` keeps [C, H, W]);
 * - a Gemm after Flatten of an NCHW feature map has its kernel rows in (c, h, w) order: they are permuted
 *   to fitcheck's (h, w, c) flatten order;
 * - Gather on a [V, D] initializer with the token input -> embedding; ReduceMean over the steps ->
 *   global-avgpool1d; BatchNormalization -> batchnorm (scale, B, mean, var).
 *
 * An operator outside the table, or one whose attributes fitcheck cannot honour, is an InputError naming the
 * node, its operator, its position and the supported operators.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { sizeOf } from "../layers/layer.ts";
import { decodeOnnx, type OnnxGraph, type OnnxNode, type OnnxTensor } from "./containers/onnx.ts";
import { convOut, poolLayer } from "./keras_layers.ts";
import { LEAKY_RELU_SLOPE } from "../reference/activations.ts";
import type { ImportedModel, LayerJson, LayerParams } from "./types.ts";

/** The state of the walk: the current tensor's name and its shape in fitcheck's layout. */
export interface Walk {
  current: string;
  /** Per-row shape, channels last ([H, W, C] for images). */
  shape: number[];
  /** Set after Flatten of an image feature map: its [C, H, W], for the next dense layer's row order. */
  flattenedFrom: [number, number, number] | null;
  /** Whether the tensor holds token indices (the graph's integer input). */
  tokens: boolean;
}

export interface OpContext {
  node: OnnxNode;
  position: number;
  graph: OnnxGraph;
  walk: Walk;
  file: string;
  /** The node after this one (for MatMul + Add). */
  next: OnnxNode | undefined;
}

/** What one operator contributes. */
export interface OpResult {
  layer: LayerJson | null;
  params?: LayerParams;
  shape: number[];
  /** Nodes consumed besides this one (MatMul's Add). */
  consumes?: number;
  flattenedFrom?: [number, number, number] | null;
  logOutput?: boolean;
  note?: string;
  /** Why fitcheck's forward pass of this operator is not the file's (an activation's parameter). */
  inexact?: string;
}

type OpMapper = (ctx: OpContext) => OpResult;

const act = (activation: string): OpMapper => ({ walk }) => ({
  layer: { type: "activation", activation },
  shape: walk.shape,
  flattenedFrom: walk.flattenedFrom,
});

/** Every ONNX operator fitcheck imports. */
export const ONNX_OPERATORS: Record<string, OpMapper> = {
  Gemm: (ctx) => {
    const { node } = ctx;
    if (Number(node.attributes.transA ?? 0) !== 0) throw opProblem(ctx, "transA=1 is not supported");
    const w = initializer(ctx, 1, "weight");
    const transB = Number(node.attributes.transB ?? 0) === 1;
    const alpha = Number(node.attributes.alpha ?? 1), beta = Number(node.attributes.beta ?? 1);
    const [inputs, units] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
    const kernel = transB ? transpose(w.data, w.dims[0], w.dims[1]) : w.data.slice();
    for (let i = 0; i < kernel.length; i++) kernel[i] *= alpha;
    const b = node.inputs[2] ? initializer(ctx, 2, "bias") : null;
    const bias = new Float64Array(units);
    if (b) {
      if (b.data.length !== units) {
        throw opProblem(ctx, `bias has ${b.data.length} values for ${units} units`);
      }
      for (let i = 0; i < units; i++) bias[i] = b.data[i] * beta;
    }
    return dense(ctx, inputs, units, kernel, bias);
  },
  MatMul: (ctx) => {
    const w = initializer(ctx, 1, "weight");
    if (w.dims.length !== 2) {
      throw opProblem(ctx, `weight of shape [${w.dims}] (a 2-d [in, out] matrix expected)`);
    }
    const [inputs, units] = w.dims;
    const bias = new Float64Array(units);
    let consumes = 0;
    const next = ctx.next;
    if (next?.opType === "Add" && next.inputs.includes(ctx.node.outputs[0])) {
      const other = next.inputs.find((i) => i !== ctx.node.outputs[0])!;
      const b = ctx.graph.initializers.get(other);
      if (b && b.data.length === units) {
        bias.set(b.data);
        consumes = 1;
      }
    }
    return { ...dense(ctx, inputs, units, w.data.slice(), bias), consumes };
  },
  Relu: act("relu"),
  Sigmoid: act("sigmoid"),
  Tanh: act("tanh"),
  Elu: (ctx) => {
    const alpha = Number(ctx.node.attributes.alpha ?? 1);
    if (alpha !== 1) throw opProblem(ctx, `alpha ${alpha} (fitcheck's elu has alpha 1)`);
    return act("elu")(ctx);
  },
  LeakyRelu: (ctx) => {
    const alpha = Number(ctx.node.attributes.alpha ?? 0.01);
    const off = Math.abs(alpha - LEAKY_RELU_SLOPE) > 1e-6;
    return {
      ...act("leaky-relu")(ctx),
      note: off
        ? `LeakyRelu slope ${alpha} trained with fitcheck's (Keras 3's) ${LEAKY_RELU_SLOPE}`
        : undefined,
      inexact: off ? `LeakyRelu slope ${alpha} (fitcheck's is ${LEAKY_RELU_SLOPE})` : undefined,
    };
  },
  Softmax: (ctx) => {
    checkLastAxis(ctx);
    return act("softmax")(ctx);
  },
  LogSoftmax: (ctx) => {
    checkLastAxis(ctx);
    if (ctx.next !== undefined) throw opProblem(ctx, "LogSoftmax is only supported as the last operator");
    return { ...act("softmax")(ctx), logOutput: true };
  },
  Dropout: (ctx) => {
    const ratioName = ctx.node.inputs[1];
    const ratio = ratioName
      ? ctx.graph.initializers.get(ratioName)?.data[0]
      : Number(ctx.node.attributes.ratio ?? 0.5);
    return {
      layer: { type: "dropout", rate: ratio ?? 0.5 },
      shape: ctx.walk.shape,
      flattenedFrom: ctx.walk.flattenedFrom,
    };
  },
  Identity: (ctx) => ({ layer: null, shape: ctx.walk.shape, flattenedFrom: ctx.walk.flattenedFrom }),
  Flatten: (ctx) => {
    if (Number(ctx.node.attributes.axis ?? 1) !== 1) {
      throw opProblem(ctx, "only axis=1 (keep the batch) is supported");
    }
    return flatten(ctx);
  },
  Reshape: (ctx) => {
    const target = ctx.graph.initializers.get(ctx.node.inputs[1]);
    // `x.view(x.size(0), -1)` exports its shape as Shape -> Gather -> Unsqueeze -> Concat: evaluate it.
    const dims = target ? Array.from(target.data) : computedShape(ctx, ctx.node.inputs[1]);
    const flat = dims !== null && dims.length === 2 && (dims[1] === -1 || dims[1] === sizeOf(ctx.walk.shape));
    if (!flat) {
      throw opProblem(
        ctx,
        `only a Reshape to [batch, -1] (a flatten) is supported, got ${
          dims ? `[${dims}]` : "a computed shape"
        }`,
      );
    }
    return flatten(ctx);
  },
  Conv: (ctx) => {
    const { walk, node } = ctx;
    if (walk.shape.length !== 3) {
      throw opProblem(
        ctx,
        `Conv over a ${walk.shape.length}-d input [${walk.shape}]: only 2-d images [C, H, W] are supported`,
      );
    }
    const w = initializer(ctx, 1, "weight");
    const [out, cin, kh, kw] = w.dims;
    const [h, wd, c] = walk.shape;
    if (cin !== c) throw opProblem(ctx, `weight expects ${cin} input channels, the input has ${c}`);
    if (Number(node.attributes.group ?? 1) !== 1) {
      throw opProblem(ctx, "grouped convolution is not supported");
    }
    const dil = (node.attributes.dilations as number[] | undefined) ?? [1, 1];
    if (dil.some((d) => d !== 1)) throw opProblem(ctx, "dilated convolution is not supported");
    const [sh, sw] = (node.attributes.strides as number[] | undefined) ?? [1, 1];
    const padding = paddingOf(ctx, kh, kw, sh, sw);
    // [out, in, kh, kw] -> [kh, kw, in, out]
    const kernel = new Float64Array(w.data.length);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < cin; i++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            kernel[((y * kw + x) * cin + i) * out + o] = w.data[((o * cin + i) * kh + y) * kw + x];
          }
        }
      }
    }
    const b = node.inputs[2] ? initializer(ctx, 2, "bias").data.slice() : new Float64Array(out);
    return {
      layer: {
        type: "conv2d",
        filters: out,
        kernelSize: kh === kw ? kh : [kh, kw],
        strides: sh === sw ? sh : [sh, sw],
        padding,
        activation: "linear",
      },
      params: {
        arrays: { kernel: { shape: [kh, kw, cin, out], data: kernel }, bias: { shape: [out], data: b } },
      },
      shape: [convOut(h, kh, sh, padding), convOut(wd, kw, sw, padding), out],
      flattenedFrom: null,
    };
  },
  MaxPool: (ctx) => pool(ctx, "maxpool2d"),
  AveragePool: (ctx) => pool(ctx, "avgpool2d"),
  GlobalAveragePool: (ctx) => {
    if (ctx.walk.shape.length !== 3) {
      throw opProblem(ctx, `needs an image [C, H, W], got [${ctx.walk.shape}]`);
    }
    return { layer: { type: "global-avgpool2d" }, shape: [ctx.walk.shape[2]], flattenedFrom: null };
  },
  BatchNormalization: (ctx) => {
    const c = ctx.walk.shape[ctx.walk.shape.length - 1];
    const names = ["scale", "B", "mean", "var"];
    const arrays = names.map((n, i) => initializer(ctx, i + 1, n));
    arrays.forEach((a, i) => {
      if (a.data.length !== c) {
        throw opProblem(ctx, `${names[i]} has ${a.data.length} values for ${c} channels`);
      }
    });
    // ONNX's momentum is Keras's (PyTorch's momentum 0.1 exports as 0.9); its epsilon defaults to 1e-5.
    const epsilon = Number(ctx.node.attributes.epsilon ?? 1e-5);
    const momentum = Number(ctx.node.attributes.momentum ?? 0.9);
    return {
      layer: {
        type: "batchnorm",
        ...(Math.abs(momentum - 0.99) > 1e-6 ? { momentum: Number(momentum.toPrecision(7)) } : {}),
        ...(Math.abs(epsilon - 1e-3) > 1e-9 ? { epsilon: Number(epsilon.toPrecision(7)) } : {}),
      },
      params: {
        arrays: {
          gamma: { shape: [c], data: arrays[0].data },
          beta: { shape: [c], data: arrays[1].data },
          movingMean: { shape: [c], data: arrays[2].data },
          movingVariance: { shape: [c], data: arrays[3].data },
        },
      },
      shape: ctx.walk.shape,
      flattenedFrom: ctx.walk.flattenedFrom,
    };
  },
  Gather: (ctx) => {
    const { node, walk } = ctx;
    const table = ctx.graph.initializers.get(node.inputs[0]);
    if (!table || node.inputs[1] !== walk.current || !walk.tokens) {
      throw opProblem(
        ctx,
        "only Gather of an embedding table (an initializer) by the token input is supported",
      );
    }
    if (Number(node.attributes.axis ?? 0) !== 0 || table.dims.length !== 2) {
      throw opProblem(ctx, "the table must be [V, D], gathered on axis 0");
    }
    const [inputDim, outputDim] = table.dims;
    return {
      layer: { type: "embedding", inputDim, outputDim },
      params: { arrays: { embeddings: { shape: [inputDim, outputDim], data: table.data } } },
      shape: [walk.shape[0], outputDim],
      flattenedFrom: null,
    };
  },
  ReduceMean: (ctx) => {
    const axes = (ctx.node.attributes.axes as number[] | undefined) ?? [];
    if (
      ctx.walk.shape.length !== 2 || axes.length !== 1 || axes[0] !== 1 ||
      Number(ctx.node.attributes.keepdims ?? 1) !== 0
    ) {
      throw opProblem(
        ctx,
        "only a mean over the steps of [steps, D] (axes=[1], keepdims=0) is supported: global-avgpool1d",
      );
    }
    return { layer: { type: "global-avgpool1d" }, shape: [ctx.walk.shape[1]], flattenedFrom: null };
  },
};

/** The supported operators, for messages. */
export const ONNX_OPERATOR_NAMES = Object.keys(ONNX_OPERATORS);

/** Imports an ONNX model. */
export function importOnnx(bytes: Uint8Array, file: string): ImportedModel {
  const graph = decodeOnnx(bytes, file);
  const nodes = foldConstants(graph);
  if (graph.inputs.length !== 1) {
    throw new InputError(
      `the graph has ${graph.inputs.length} data inputs (${
        graph.inputs.map((i) => i.name).join(", ")
      }): one expected`,
      { file },
    );
  }
  const input = graph.inputs[0];
  const dims = input.dims.slice(1);
  if (dims.some((d) => d === null)) {
    throw new InputError(
      `input "${input.name}" has dims [${input.dims.map((d) => d ?? "?")}]: only the batch may be dynamic`,
      { file },
    );
  }
  const fileShape = dims as number[];
  const tokens = input.elemType === 7 || input.elemType === 6; // INT64, INT32
  const shape = fileShape.length === 3 ? [fileShape[1], fileShape[2], fileShape[0]] : fileShape;
  const walk: Walk = { current: input.name, shape, flattenedFrom: null, tokens };
  const layers: LayerJson[] = [];
  const params: (LayerParams | null)[] = [];
  const notes: string[] = [
    "ONNX files carry no loss, optimizer, metrics or initializer: those come from the flags or fitcheck's defaults",
  ];
  let logOutput = false;
  const inexact: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    const ctx: OpContext = { node, position: i + 1, graph, walk, file, next: nodes[i + 1] };
    const mapper = ONNX_OPERATORS[node.opType];
    if (!mapper) {
      throw opProblem(
        ctx,
        `unsupported operator ${node.opType}: supported are ${ONNX_OPERATOR_NAMES.join(", ")}`,
      );
    }
    if (!node.inputs.includes(walk.current)) {
      throw opProblem(
        ctx,
        `does not take the previous operator's output "${walk.current}": only chains of operators import`,
      );
    }
    const r = mapper(ctx);
    if (r.layer) {
      layers.push(r.layer);
      params.push(r.params ?? null);
    }
    if (r.note) notes.push(r.note);
    if (r.inexact) inexact.push(`node ${i + 1} "${node.name}": ${r.inexact}`);
    if (r.logOutput) logOutput = true;
    const last = nodes[i + (r.consumes ?? 0)];
    i += r.consumes ?? 0;
    walk.current = last.outputs[0];
    walk.shape = r.shape;
    walk.flattenedFrom = r.flattenedFrom ?? null;
    walk.tokens = false;
  }
  return {
    format: "onnx",
    file,
    inputShape: shape,
    ...(fileShape.length === 3 ? { fileInputShape: fileShape } : {}),
    layers,
    params,
    compile: { unsupported: {} },
    ...(logOutput ? { outputTransform: "log" as const } : {}),
    ...(inexact.length > 0 ? { inexact } : {}),
    notes: logOutput
      ? [
        ...notes,
        "LogSoftmax imported as softmax: its log is taken by the loss (NLLLoss on LogSoftmax is sparse-categorical-crossentropy)",
      ]
      : notes,
  };
}

/**
 * The graph's nodes with its constant parts folded away: Constant nodes and Identity copies of
 * initializers become initializers (BatchNorm1d's running statistics are exported so), and the small
 * subgraphs that compute a Reshape's target shape from `Shape` leave the chain (see
 * {@linkcode computedShape}).
 */
function foldConstants(graph: OnnxGraph): OnnxNode[] {
  const kept: OnnxNode[] = [];
  for (const n of graph.nodes) {
    const v = n.attributes.value;
    if (n.opType === "Constant" && typeof v === "object" && v !== null && !Array.isArray(v)) {
      graph.initializers.set(n.outputs[0], v as OnnxTensor);
    } else if (n.opType === "Identity" && graph.initializers.has(n.inputs[0])) {
      graph.initializers.set(n.outputs[0], graph.initializers.get(n.inputs[0])!);
    } else kept.push(n);
  }
  const producer = new Map(kept.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const shapeNodes = new Set<OnnxNode>();
  const mark = (tensor: string) => {
    const n = producer.get(tensor);
    if (!n || shapeNodes.has(n)) return;
    shapeNodes.add(n);
    if (n.opType !== "Shape") { for (const i of n.inputs) if (!graph.initializers.has(i)) mark(i); }
  };
  for (const n of kept) if (n.opType === "Reshape" && !graph.initializers.has(n.inputs[1])) mark(n.inputs[1]);
  PRODUCERS.set(graph, producer);
  return kept.filter((n) => !shapeNodes.has(n));
}

/** Per graph, the node producing each tensor (for computed shapes). */
const PRODUCERS = new WeakMap<OnnxGraph, Map<string, OnnxNode>>();

/**
 * The value of a shape computed from `Shape` of the tensor being reshaped (Shape, Gather, Unsqueeze,
 * Squeeze, Cast, Concat over constants), the batch as -1; null when the subgraph is anything else.
 */
function computedShape(ctx: OpContext, tensor: string): number[] | null {
  const producer = PRODUCERS.get(ctx.graph);
  const s = ctx.walk.shape;
  // The graph's own layout of the reshaped tensor: [C, H, W] for images.
  const onnxShape = s.length === 3 ? [s[2], s[0], s[1]] : s;
  const value = (t: string): number[] | null => {
    const init = ctx.graph.initializers.get(t);
    if (init) return Array.from(init.data);
    const n = producer?.get(t);
    if (!n) return null;
    switch (n.opType) {
      case "Shape":
        return n.inputs[0] === ctx.node.inputs[0] ? [NaN, ...onnxShape] : null;
      case "Gather": {
        const data = value(n.inputs[0]), idx = value(n.inputs[1]);
        return data && idx ? idx.map((i) => data[i < 0 ? data.length + i : i]) : null;
      }
      case "Unsqueeze":
      case "Squeeze":
      case "Cast":
        return value(n.inputs[0]);
      case "Concat": {
        const parts = n.inputs.map(value);
        return parts.every((p) => p !== null) ? (parts as number[][]).flat() : null;
      }
      default:
        return null;
    }
  };
  const dims = value(tensor);
  return dims ? dims.map((d) => (Number.isNaN(d) ? -1 : d)) : null;
}

function dense(
  ctx: OpContext,
  inputs: number,
  units: number,
  kernel: Float64Array,
  bias: Float64Array,
): OpResult {
  const { walk } = ctx;
  if (walk.shape.length !== 1) {
    throw opProblem(
      ctx,
      `a dense product on a ${walk.shape.length}-d input [${walk.shape}] (flatten it first)`,
    );
  }
  if (walk.shape[0] !== inputs) {
    throw opProblem(ctx, `weight expects ${inputs} inputs, the previous output has ${walk.shape[0]}`);
  }
  let rows = kernel;
  if (walk.flattenedFrom) {
    // Kernel row r = c·H·W + y·W + x (PyTorch flattens NCHW); fitcheck's row is (y·W + x)·C + c.
    const [C, H, W] = walk.flattenedFrom;
    rows = new Float64Array(kernel.length);
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const from = (c * H + y) * W + x, to = (y * W + x) * C + c;
          rows.set(kernel.subarray(from * units, (from + 1) * units), to * units);
        }
      }
    }
  }
  return {
    layer: { type: "dense", units, activation: "linear" },
    params: {
      arrays: { kernel: { shape: [inputs, units], data: rows }, bias: { shape: [units], data: bias } },
    },
    shape: [units],
    flattenedFrom: null,
  };
}

function flatten(ctx: OpContext): OpResult {
  const s = ctx.walk.shape;
  if (s.length === 1) return { layer: null, shape: s, flattenedFrom: ctx.walk.flattenedFrom };
  return {
    layer: { type: "flatten" },
    shape: [sizeOf(s)],
    flattenedFrom: s.length === 3 ? [s[2], s[0], s[1]] : null,
  };
}

function pool(ctx: OpContext, type: string): OpResult {
  const { node, walk } = ctx;
  if (walk.shape.length !== 3) throw opProblem(ctx, `needs an image [C, H, W], got [${walk.shape}]`);
  const [kh, kw] = node.attributes.kernel_shape as number[];
  const [sh, sw] = (node.attributes.strides as number[] | undefined) ?? [kh, kw];
  const pads = (node.attributes.pads as number[] | undefined) ?? [0, 0, 0, 0];
  if (pads.some((p) => p !== 0) || Number(node.attributes.ceil_mode ?? 0) !== 0) {
    throw opProblem(ctx, "padded or ceil_mode pooling is not supported");
  }
  const { layer, output } = poolLayer(type, [kh, kw], [sh, sw], walk.shape);
  return { layer, shape: output, flattenedFrom: null };
}

function paddingOf(ctx: OpContext, kh: number, kw: number, sh: number, sw: number): "valid" | "same" {
  const pads = (ctx.node.attributes.pads as number[] | undefined) ?? [0, 0, 0, 0];
  if (pads.every((p) => p === 0)) return "valid";
  const same = sh === 1 && sw === 1 && kh % 2 === 1 && kw % 2 === 1 &&
    pads[0] === (kh - 1) / 2 && pads[2] === (kh - 1) / 2 && pads[1] === (kw - 1) / 2 &&
    pads[3] === (kw - 1) / 2;
  if (!same) throw opProblem(ctx, `pads [${pads}] are neither "valid" (0) nor "same" for this kernel`);
  return "same";
}

function checkLastAxis(ctx: OpContext): void {
  const axis = Number(ctx.node.attributes.axis ?? -1);
  if (axis !== -1 && axis !== ctx.walk.shape.length) {
    throw opProblem(ctx, `axis ${axis}: only the last axis is supported`);
  }
}

function initializer(ctx: OpContext, index: number, what: string): OnnxTensor {
  const name = ctx.node.inputs[index];
  const t = name ? ctx.graph.initializers.get(name) : undefined;
  if (!t) throw opProblem(ctx, `its ${what} (input ${index}) is not a constant initializer`);
  return t;
}

function transpose(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function opProblem(ctx: OpContext, what: string): InputError {
  return new InputError(`node ${ctx.position} "${ctx.node.name}" (${ctx.node.opType}): ${what}`, {
    file: ctx.file,
  });
}
