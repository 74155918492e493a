/**
 * TensorFlow.js Layers models: `model.json` (`modelTopology`, optional `trainingConfig`, `weightsManifest`)
 * and the `.bin` shards it names, as tfjs-layers `LayersModel.save` and tfjs-converter write them. The
 * topology uses Keras's class names and config keys, so it goes through the Keras layer table. Weights:
 * float32 and int32, and the converter's quantized uint8 / uint16 (value = q · scale + min) and float16.
 *
 * @module
 */
import { InputError, isInputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { SavedArray } from "./keras_layers.ts";
import { importKerasModel, parseEmbeddedJson } from "./keras_model.ts";
import type { ImportedModel } from "./types.ts";

type Config = Record<string, unknown>;

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** Imports a tfjs `model.json` at `path`, reading its shards through `source`. */
export async function importTfjs(text: string, path: string, source: FileSource): Promise<ImportedModel> {
  const json = parseEmbeddedJson(text, path, "model.json") as Config;
  const topology = (json.modelTopology ?? null) as Config | null;
  if (!topology) {
    throw new InputError(
      json.format === "graph-model"
        ? "a tfjs graph model (converted from a SavedModel): only Layers models (format layers-model) import"
        : "model.json has no modelTopology: not a tfjs Layers model",
      { file: path },
    );
  }
  const model = (topology.model_config ?? topology) as Config;
  const manifest = Array.isArray(json.weightsManifest) ? (json.weightsManifest as Config[]) : [];
  const weights = await readWeights(manifest, path, source);
  const training = (json.trainingConfig ?? json.training_config ?? topology.training_config ?? null) as
    | Config
    | null;
  return importKerasModel({
    file: path,
    format: "tfjs",
    model,
    variables: ({ name }, expected) =>
      expected.map((v) => {
        const w = weights.get(`${name}/${v}`);
        if (!w) {
          throw new InputError(`weightsManifest has no weight ${name}/${v} for layer "${name}"`, {
            file: path,
          });
        }
        return w;
      }),
    compile: training
      ? {
        loss: training.loss,
        optimizer: training.optimizer_config,
        metrics: training.metrics,
        from: "trainingConfig",
      }
      : undefined,
  });
}

/** Every model weight of the manifest by name (optimizer weights left out), decoded to float64. */
async function readWeights(
  manifest: Config[],
  path: string,
  source: FileSource,
): Promise<Map<string, SavedArray>> {
  const out = new Map<string, SavedArray>();
  for (const [g, group] of manifest.entries()) {
    const paths = (group.paths ?? []) as string[];
    const specs = (group.weights ?? []) as WeightSpec[];
    const parts: Uint8Array[] = [];
    for (const p of paths) {
      const shard = source.resolve(path, p);
      try {
        parts.push(await source.readBytes(shard));
      } catch (e) {
        if (!isInputError(e)) throw e;
        throw new InputError(
          `weights shard "${p}" (weightsManifest[${g}].paths) is missing or unreadable: ${e.problem}`,
          {
            file: path,
          },
        );
      }
    }
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      buffer.set(p, at);
      at += p.byteLength;
    }
    const view = new DataView(buffer.buffer);
    let offset = 0;
    for (const spec of specs) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const dtype = spec.quantization?.dtype ?? spec.dtype;
      const width = dtype === "uint8" || dtype === "bool"
        ? 1
        : dtype === "uint16" || dtype === "float16"
        ? 2
        : 4;
      if (offset + count * width > total) {
        throw new InputError(
          `weight ${spec.name} needs bytes ${offset}..${
            offset + count * width
          } but the shards of weightsManifest[${g}] hold ${total}: a shard is truncated`,
          { file: path },
        );
      }
      const data = new Float64Array(count);
      const q = spec.quantization;
      for (let i = 0; i < count; i++) {
        const o = offset + i * width;
        let v: number;
        switch (dtype) {
          case "float32":
            v = view.getFloat32(o, true);
            break;
          case "int32":
            v = view.getInt32(o, true);
            break;
          case "uint8":
          case "bool":
            v = view.getUint8(o);
            break;
          case "uint16":
            v = view.getUint16(o, true);
            break;
          case "float16":
            v = half(view.getUint16(o, true));
            break;
          default:
            throw new InputError(
              `weight ${spec.name} has dtype ${dtype}: float32, int32, uint8, uint16 or float16 expected`,
              {
                file: path,
              },
            );
        }
        data[i] = q && (q.dtype === "uint8" || q.dtype === "uint16") ? v * (q.scale ?? 1) + (q.min ?? 0) : v;
      }
      offset += count * width;
      if (spec.group !== "optimizer") out.set(spec.name, { shape: spec.shape, data });
    }
  }
  return out;
}

/** IEEE 754 half precision bits to a number. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
