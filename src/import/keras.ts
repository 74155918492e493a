/**
 * Keras model files: Keras 3 `.keras` archives (zip: `config.json` with the model config and
 * `compile_config`, `model.weights.h5` with each layer's variables at `layers/<name>/vars/<i>`, as
 * keras/src/saving/saving_lib.py writes them) and Keras 2 `.h5` files (HDF5 attributes `model_config` and
 * `training_config`, variables at `model_weights/<layer>/<weight name>` listed by `weight_names`, as
 * keras/src/legacy/saving/legacy_h5_format.py writes them).
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type Hdf5Reader, openHdf5 } from "./containers/hdf5.ts";
import { readZip, zipEntry } from "./containers/zip.ts";
import type { SavedArray } from "./keras_layers.ts";
import { importKerasModel, parseEmbeddedJson } from "./keras_model.ts";
import type { ImportedModel } from "./types.ts";

type Config = Record<string, unknown>;

/** Imports a Keras 3 `.keras` archive. */
export async function importKeras3(bytes: Uint8Array, file: string): Promise<ImportedModel> {
  const entries = readZip(bytes, file);
  const text = new TextDecoder().decode(zipEntry(entries, "config.json", file, "the model config"));
  const config = parseEmbeddedJson(text, file, "config.json") as Config;
  const h5 = await openHdf5(
    zipEntry(entries, "model.weights.h5", file, "the weights"),
    `${file} (model.weights.h5)`,
  );
  try {
    const compile = (config.compile_config ?? null) as Config | null;
    return importKerasModel({
      file,
      format: "keras",
      model: config,
      variables: (layer) => keras3Variables(h5, layer, file),
      compile: compile ? { ...compile, from: "config.json compile_config" } : undefined,
    });
  } finally {
    h5.close();
  }
}

/**
 * Keras 3 keeps a layer's variables at layers/<saved name>/vars/0, 1, ... (saving_lib's H5IOStore), the
 * saved name being its class's (see `savingLibNames`); the layer's own name is tried after it.
 */
function keras3Variables(
  h5: Hdf5Reader,
  layer: { name: string; savedName: string },
  file: string,
): SavedArray[] {
  for (const key of [layer.savedName, layer.name]) {
    const group = `layers/${key}/vars`;
    if (!h5.has(group)) continue;
    const keys = h5.keys(group).sort((a, b) => Number(a) - Number(b));
    return keys.map((k) => h5.array(`${group}/${k}`));
  }
  throw new InputError(
    `model.weights.h5 holds no variables for layer "${layer.name}" (no layers/${layer.savedName}/vars)`,
    { file },
  );
}

/** Imports a Keras 2 `.h5` file (HDF5 with `model_config`). */
export async function importKeras2(bytes: Uint8Array, file: string): Promise<ImportedModel> {
  const h5 = await openHdf5(bytes, file);
  try {
    const modelConfig = h5.attribute("/", "model_config");
    if (typeof modelConfig !== "string") {
      throw new InputError(
        "this HDF5 file has no model_config attribute: it holds weights only (model.save_weights), not a model",
        { file },
      );
    }
    const trainingConfig = h5.attribute("/", "training_config");
    const training = typeof trainingConfig === "string"
      ? parseEmbeddedJson(trainingConfig, file, "the training_config attribute") as Config
      : null;
    const weightsRoot = h5.has("model_weights") ? "model_weights" : "";
    return importKerasModel({
      file,
      format: "keras-h5",
      model: parseEmbeddedJson(modelConfig, file, "the model_config attribute"),
      variables: ({ name }) => {
        const group = weightsRoot ? `${weightsRoot}/${name}` : name;
        const names = h5.attribute(group, "weight_names");
        if (!Array.isArray(names) && typeof names !== "string") {
          throw new InputError(
            `the file holds no weights for layer "${name}" (no ${group} with weight_names)`,
            {
              file,
            },
          );
        }
        const list = Array.isArray(names) ? names.map(String) : [names];
        return list.map((w) => h5.array(`${group}/${w}`));
      },
      compile: training
        ? {
          loss: training.loss,
          optimizer: training.optimizer_config,
          metrics: training.metrics,
          from: "training_config",
        }
        : undefined,
    });
  } finally {
    h5.close();
  }
}
