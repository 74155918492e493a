/**
 * TensorBoard's `Event` protobuf to scalars. The fields are pinned from TensorFlow's
 * `core/util/event.proto`, `core/framework/summary.proto`, `tensor.proto` and `tensor_shape.proto`
 * (only those a scalar needs; protobuf skips the others: graphs, images, histograms, audio):
 *
 * - `Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; ... } }`
 * - `Summary { repeated Value value = 1; }`, `Summary.Value { string node_name = 7; string tag = 1;
 *   SummaryMetadata metadata = 9; oneof value { float simple_value = 2; TensorProto tensor = 8; ... } }`
 * - `SummaryMetadata { PluginData plugin_data = 1; }`, `PluginData { string plugin_name = 1; bytes content = 2; }`
 * - `TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
 *   repeated float float_val = 5; repeated double double_val = 6; repeated int32 half_val = 13; }`
 *   with `DT_FLOAT = 1`, `DT_DOUBLE = 2`, `DT_HALF = 19`; `TensorShapeProto { repeated Dim dim = 2; }`,
 *   `Dim { int64 size = 1; }`.
 *
 * A scalar is either a TF1 / PyTorch `SummaryWriter` `simple_value`, or a TF2 `tf.summary.scalar`
 * tensor of one float/double/half element whose plugin is "scalars". TF2 writes the metadata only on
 * a tag's first value in a file, so a tag once seen as "scalars" stays one for the rest of the file.
 *
 * @module
 */
import protobuf from "protobufjs/light.js";
import { InputError } from "../errors.ts";
import type { TfRecord } from "./tfrecord.ts";

/** One scalar value of one tag at one step. */
export interface ScalarEvent {
  tag: string;
  step: number;
  wallTime: number;
  value: number;
}

const { Field, OneOf, Root, Type } = protobuf;

function message(name: string, fields: [string, number, string, "repeated"?][]): protobuf.Type {
  const t = new Type(name);
  for (const [field, id, type, rule] of fields) t.add(new Field(field, id, type, rule));
  return t;
}

const dim = message("Dim", [["size", 1, "int64"], ["name", 2, "string"]]);
const tensorShape = message("TensorShapeProto", [["dim", 2, "Dim", "repeated"], ["unknown_rank", 3, "bool"]]);
const tensor = message("TensorProto", [
  ["dtype", 1, "int32"],
  ["tensor_shape", 2, "TensorShapeProto"],
  ["tensor_content", 4, "bytes"],
  ["float_val", 5, "float", "repeated"],
  ["double_val", 6, "double", "repeated"],
  ["half_val", 13, "int32", "repeated"],
]);
const pluginData = message("PluginData", [["plugin_name", 1, "string"], ["content", 2, "bytes"]]);
const summaryMetadata = message("SummaryMetadata", [["plugin_data", 1, "PluginData"]]);
const value = message("Value", [
  ["node_name", 7, "string"],
  ["tag", 1, "string"],
  ["metadata", 9, "SummaryMetadata"],
  ["simple_value", 2, "float"],
  ["tensor", 8, "TensorProto"],
]).add(new OneOf("value", ["simple_value", "tensor"]));
const summary = message("Summary", [["value", 1, "Value", "repeated"]]);
const event = message("Event", [
  ["wall_time", 1, "double"],
  ["step", 2, "int64"],
  ["file_version", 3, "string"],
  ["summary", 5, "Summary"],
]).add(new OneOf("what", ["file_version", "summary"]));
new Root().add(dim).add(tensorShape).add(tensor).add(pluginData).add(summaryMetadata).add(value).add(summary)
  .add(event);

const DT_FLOAT = 1, DT_DOUBLE = 2, DT_HALF = 19;

interface DecodedTensor {
  dtype: number;
  tensor_shape?: { dim?: { size: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  half_val?: number[];
}
interface DecodedValue {
  tag?: string;
  node_name?: string;
  metadata?: { plugin_data?: { plugin_name?: string } };
  simple_value?: number;
  tensor?: DecodedTensor;
}
interface DecodedEvent {
  wall_time?: number;
  step?: number;
  file_version?: string;
  summary?: { value?: DecodedValue[] };
}

/**
 * The scalar events of one event file's records, in file order. A record that is not an `Event`
 * protobuf is an InputError naming it; non-scalar summaries are skipped.
 */
export function scalarEvents(records: TfRecord[], file: string): ScalarEvent[] {
  const out: ScalarEvent[] = [];
  const scalarTags = new Set<string>();
  for (const record of records) {
    let e: DecodedEvent;
    try {
      e = event.toObject(event.decode(record.data), { longs: Number, oneofs: false }) as DecodedEvent;
    } catch (err) {
      throw new InputError(
        `record ${record.index} (byte ${record.offset}): not a TensorBoard Event protobuf (${
          (err as Error).message
        })`,
        { file },
      );
    }
    for (const v of e.summary?.value ?? []) {
      const tag = v.tag || v.node_name || "";
      const plugin = v.metadata?.plugin_data?.plugin_name;
      if (plugin === "scalars") scalarTags.add(tag);
      let x: number | null = null;
      if (v.simple_value !== undefined) x = v.simple_value;
      else if (v.tensor && (scalarTags.has(tag) || plugin === "scalars")) x = tensorScalar(v.tensor);
      if (x === null) continue;
      out.push({ tag, step: e.step ?? 0, wallTime: e.wall_time ?? 0, value: x });
    }
  }
  return out;
}

/** The one element of a float/double/half tensor, or null for anything else. */
export function tensorScalar(t: DecodedTensor): number | null {
  const elements = (t.tensor_shape?.dim ?? []).reduce((n, d) => n * Number(d.size), 1);
  if (elements !== 1) return null;
  const content = t.tensor_content && t.tensor_content.length > 0 ? t.tensor_content : null;
  const view = content ? new DataView(content.buffer, content.byteOffset, content.byteLength) : null;
  switch (t.dtype) {
    case DT_FLOAT:
      return view && view.byteLength >= 4 ? view.getFloat32(0, true) : t.float_val?.[0] ?? null;
    case DT_DOUBLE:
      return view && view.byteLength >= 8 ? view.getFloat64(0, true) : t.double_val?.[0] ?? null;
    case DT_HALF: {
      const bits = view && view.byteLength >= 2 ? view.getUint16(0, true) : t.half_val?.[0];
      return bits === undefined ? null : halfToNumber(bits);
    }
    default:
      return null;
  }
}

/** IEEE 754 binary16 bits to a number (subnormals, infinities and NaN included). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
