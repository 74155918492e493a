/**
 * Model files as a way in (CONTRACT §7.1): Keras 3 `.keras`, Keras 2 `.h5`, tfjs `model.json` and ONNX
 * `.onnx` imported to one {@linkcode ImportedModel}: scenario JSON for the layers plus the file's weights
 * in fitcheck's layout and its compile settings. One reader per container (containers/: zip, HDF5,
 * protobuf), one mapping table per format (keras_layers.ts + keras_compile.ts for Keras and tfjs,
 * onnx.ts's ONNX_OPERATORS). Runtime-neutral: files come through a FileSource.
 *
 * @example
 * ```ts ignore
 * const model = await importModel("/models/m.keras", source);
 * model.layers; // [{type: "dense", units: 64, activation: "relu"}, ...]
 * ```
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { importKeras2, importKeras3 } from "./keras.ts";
import { importOnnx } from "./onnx.ts";
import { importTfjs } from "./tfjs.ts";
import type { ImportedModel } from "./types.ts";

export type { CompileSettings, ImportedModel, LayerJson, LayerParams, ModelFormat } from "./types.ts";
export { KERAS_LAYER_NAMES } from "./keras_layers.ts";
export { ONNX_OPERATOR_NAMES } from "./onnx.ts";

const FORMATS = "Keras 3 .keras, Keras 2 .h5, tfjs model.json, ONNX .onnx";

/** Imports the model file at `path` (absolute), choosing the reader by extension, then by content. */
export async function importModel(path: string, source: FileSource): Promise<ImportedModel> {
  const bytes = await source.readBytes(path);
  const lower = path.toLowerCase();
  if (bytes.byteLength === 0) throw new InputError("the model file is empty", { file: path });
  const magic = (s: string) => s.split("").every((c, i) => bytes[i] === c.charCodeAt(0));
  if (lower.endsWith(".keras") || (!/\.(h5|hdf5|json|onnx)$/.test(lower) && magic("PK"))) {
    return await importKeras3(bytes, path);
  }
  if (/\.(h5|hdf5)$/.test(lower) || magic("\x89HDF")) return await importKeras2(bytes, path);
  if (lower.endsWith(".json") || bytes[0] === 0x7b) {
    return await importTfjs(new TextDecoder().decode(bytes), path, source);
  }
  if (lower.endsWith(".onnx") || lower.endsWith(".pb")) return importOnnx(bytes, path);
  throw new InputError(`not a model file fitcheck reads (${FORMATS})`, { file: path });
}
