/**
 * The protobuf container of ONNX files, decoded by onnx-proto (protobufjs code generated from onnx.proto).
 * Knows nothing of operators: it gives the graph's nodes, initializers (as float64 arrays with their dims)
 * and inputs.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { InputError } from "../../errors.ts";

// onnx-proto is CommonJS: its namespace is the default export under Deno, and a named one under Vite.
const onnx: typeof onnxProto.onnx = (onnxProto as { onnx?: typeof onnxProto.onnx }).onnx ??
  (onnxProto as unknown as { default: typeof onnxProto }).default.onnx;

/** One tensor of the graph (an initializer or a Constant's value), as float64 in row-major order. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float64Array;
}

/** One node: operator, inputs, outputs and attributes decoded to numbers, lists, strings or tensors. */
export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, number | number[] | string | OnnxTensor>;
}

/** A graph input: its name and dims (a symbolic dimension such as "batch" is null). */
export interface OnnxValueInfo {
  name: string;
  dims: (number | null)[];
  elemType: number;
}

/** The decoded graph. */
export interface OnnxGraph {
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** Inputs that are not initializers (the data). */
  inputs: OnnxValueInfo[];
  outputs: string[];
}

/**
 * Decodes an ONNX ModelProto.
 *
 * @example
 * ```ts ignore
 * const graph = decodeOnnx(await source.readBytes("/m.onnx"), "/m.onnx");
 * graph.nodes.map((n) => n.opType); // ["Gemm", "Relu", "Gemm"]
 * ```
 * @throws {InputError} naming `file` when the bytes are not an ONNX model.
 */
export function decodeOnnx(bytes: Uint8Array, file: string): OnnxGraph {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new InputError(
      `not a readable ONNX model (${(e as Error).message}): the file is corrupt or truncated`,
      { file },
    );
  }
  const graph = model.graph;
  const nodes = graph?.node ?? [];
  if (!graph || nodes.length === 0) {
    throw new InputError(
      "not an ONNX model: it holds no graph nodes (corrupt, truncated or another format)",
      {
        file,
      },
    );
  }
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? "", tensor(t, file));
  const opset = model.opsetImport.find((o) => !o.domain)?.version;
  return {
    opset: opset === undefined || opset === null ? 0 : Number(opset),
    producer: `${model.producerName ?? ""} ${model.producerVersion ?? ""}`.trim(),
    nodes: nodes.map((n, i) => ({
      name: n.name || `node ${i}`,
      opType: n.opType ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? "", attribute(a, file)])),
    })),
    initializers,
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name ?? "")).map((i) => ({
      name: i.name ?? "",
      dims: (i.type?.tensorType?.shape?.dim ?? []).map((d) =>
        d.dimValue != null && !d.dimParam ? Number(d.dimValue) : null
      ),
      elemType: i.type?.tensorType?.elemType ?? 0,
    })),
    outputs: (graph.output ?? []).map((o) => o.name ?? ""),
  };
}

/** Element readers by ONNX data type (TensorProto.DataType): byte width and little-endian read. */
const READERS: Record<number, { width: number; read(v: DataView, at: number): number }> = {
  1: { width: 4, read: (v, at) => v.getFloat32(at, true) }, // FLOAT
  2: { width: 1, read: (v, at) => v.getUint8(at) }, // UINT8
  3: { width: 1, read: (v, at) => v.getInt8(at) }, // INT8
  6: { width: 4, read: (v, at) => v.getInt32(at, true) }, // INT32
  7: { width: 8, read: (v, at) => Number(v.getBigInt64(at, true)) }, // INT64
  9: { width: 1, read: (v, at) => v.getUint8(at) }, // BOOL (Dropout's training_mode)
  11: { width: 8, read: (v, at) => v.getFloat64(at, true) }, // DOUBLE
};

function tensor(t: OnnxTypes.ITensorProto, file: string): OnnxTensor {
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const name = t.name ?? "";
  let data: Float64Array;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const reader = READERS[t.dataType ?? 0];
    if (!reader) {
      throw new InputError(
        `tensor ${name} has data type ${t.dataType}: float, double, int8/32/64, uint8 and bool are read`,
        { file },
      );
    }
    const width = reader.width;
    if (raw.byteLength !== count * width) {
      throw new InputError(
        `tensor ${name} has ${raw.byteLength} bytes for dims [${dims.join(", ")}] (${
          count * width
        } expected): the file is truncated`,
        { file },
      );
    }
    data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = reader.read(view, i * width);
  } else {
    const values: ArrayLike<number | { toNumber(): number }> = t.floatData?.length
      ? t.floatData
      : t.doubleData?.length
      ? t.doubleData
      : t.int32Data?.length
      ? t.int32Data
      : (t.int64Data ?? []) as ArrayLike<number | { toNumber(): number }>;
    data = Float64Array.from(Array.from(values, (v) => typeof v === "number" ? v : v.toNumber()));
    if (data.length !== count) {
      throw new InputError(`tensor ${name} has ${data.length} values for dims [${dims.join(", ")}]`, {
        file,
      });
    }
  }
  return { name, dims, data };
}

function attribute(a: OnnxTypes.IAttributeProto, file: string): number | number[] | string | OnnxTensor {
  const num = (v: number | { toNumber(): number }) => typeof v === "number" ? v : v.toNumber();
  switch (a.type) {
    case onnx.AttributeProto.AttributeType.FLOAT:
      return a.f ?? 0;
    case onnx.AttributeProto.AttributeType.INT:
      return num(a.i ?? 0);
    case onnx.AttributeProto.AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case onnx.AttributeProto.AttributeType.FLOATS:
      return [...(a.floats ?? [])];
    case onnx.AttributeProto.AttributeType.INTS:
      return (a.ints ?? []).map(num);
    case onnx.AttributeProto.AttributeType.TENSOR:
      return tensor(a.t!, file);
    default:
      return [];
  }
}
