/**
 * An imported model plus the command-line flags, as the scenario JSON (CONTRACT §2, §7.2) that `run
 * --model` trains and `init` writes. Every setting says where it came from: the file (and where in it), a
 * flag, or fitcheck's default. A flag overrides the file; a setting that neither gives and that has no
 * framework default is an InputError naming the flag.
 *
 * Layers are written in the v1 form where it says the same thing (a dense layer with the activation and the
 * dropout that follow it folded in, no `"type"`), so dense models are valid v1 scenarios.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { basename } from "../io.ts";
import { LOSSES } from "../scenario/types.ts";
import type { LayerWeights } from "../train/records.ts";
import { mapLoss, mapMetrics, mapOptimizer } from "./keras_compile.ts";
import type { ImportedModel, LayerJson, LayerParams } from "./types.ts";

/** The flags of `run --model` / `init` that shape the scenario (paths absolute). */
export interface ModelFlags {
  train: string;
  validation?: string;
  target: string[];
  task?: string;
  loss?: string;
  fromLogits?: boolean;
  optimizer?: string;
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  metrics?: string[];
  /** Features array name in an `.npz` file. */
  features?: string;
}

/** One setting of the scenario and where its value came from. */
export interface Provenance {
  setting: string;
  value: unknown;
  /** "m.keras config.json compile_config.loss", "--loss", "fitcheck default (Keras's)". */
  from: string;
}

/** The scenario JSON, where each setting came from, and the file's weights per parameter layer. */
export interface ModelScenario {
  json: Record<string, unknown>;
  provenance: Provenance[];
  notes: string[];
  /** The file's weights, one entry per parameter layer, in the trainer's layout. */
  weights: () => LayerWeights[];
}

/**
 * Builds the scenario of `model` trained on the flags' data. `relative(path)` writes a data path as it
 * should appear in the JSON (relative to where the scenario will be saved, or absolute).
 */
export function modelScenario(
  model: ImportedModel,
  flags: ModelFlags,
  relative: (absolute: string) => string = (p) => p,
): ModelScenario {
  const fileName = basename(model.file);
  const inFile = (where: string) => `${fileName} ${where}`;
  const provenance: Provenance[] = [];
  const folded = fold(model.layers, model.params);
  provenance.push({
    setting: "model.layers",
    value: `${folded.length} layers (${describeLayers(folded.map((f) => f.json))})`,
    from: fileName,
  });
  const json: Record<string, unknown> = {
    name: scenarioName(model.file),
    description: `Imported from ${fileName} (${FORMAT_NAMES[model.format]}).`,
  };
  if (flags.task) {
    json.task = flags.task;
    provenance.push({ setting: "task", value: flags.task, from: "--task" });
  }
  // An ONNX image graph reads [C, H, W]: the data is stored that way and reordered channels last.
  const transforms = [
    ...(model.fileInputShape ? [{ op: "channels-last", channels: model.fileInputShape[0] }] : []),
    ...(model.inputScale !== undefined ? [{ op: "scale-features", factor: model.inputScale }] : []),
  ];
  const layout = transforms.length > 0 ? { transforms } : {};
  json.data = { ...dataSpec(flags.train, flags.target, flags.features, relative), ...layout };
  if (flags.validation) {
    json.validation = { ...dataSpec(flags.validation, flags.target, flags.features, relative), ...layout };
  }
  const modelJson: Record<string, unknown> = {};
  if (model.inputShape.length > 1) modelJson.input = { shape: model.inputShape };
  modelJson.layers = folded.map((f) => f.json);
  const init = model.compile.init;
  if (init) {
    modelJson.init = init.value;
    provenance.push({ setting: "model.init", value: init.value, from: inFile(init.from) });
  } else {
    provenance.push({ setting: "model.init", value: "glorot-uniform", from: "fitcheck default (Keras's)" });
  }
  json.model = modelJson;
  json.loss = lossOf(model, flags, provenance, inFile);
  const notes = [...model.notes];
  const lastLayer = folded.at(-1)?.json;
  if (
    model.outputTransform === "log" && typeof json.loss === "object" &&
    (json.loss as { fromLogits?: boolean }).fromLogits && lastLayer
  ) {
    // CrossEntropyLoss on log_softmax outputs: log_softmax(log_softmax(z)) = log_softmax(z), so PyTorch trains
    // exactly as on the logits z. A softmax output here would be a double softmax PyTorch never computes.
    lastLayer.activation = "linear";
    notes.push(
      "a from-logits loss on LogSoftmax outputs equals it on the logits (log_softmax is idempotent): imported as logits",
    );
  }
  json.optimizer = optimizerOf(model, flags, provenance, inFile);
  const training: Record<string, unknown> = {};
  for (
    const [key, flag, fallback] of [["epochs", "--epochs", 10], ["batchSize", "--batch-size", 32]] as const
  ) {
    const v = key === "epochs" ? flags.epochs : flags.batchSize;
    if (v !== undefined) training[key] = v;
    provenance.push({
      setting: `training.${key}`,
      value: v ?? fallback,
      from: v !== undefined ? flag : "fitcheck default (the file does not say how it was fitted)",
    });
  }
  json.training = training;
  if (flags.metrics) {
    const m = mapMetrics(flags.metrics);
    json.metrics = flags.metrics.map((name) =>
      m.value.includes(name) ? name : mapMetrics([name]).value[0] ?? name
    );
    provenance.push({ setting: "metrics", value: json.metrics, from: "--metrics" });
  } else if (model.compile.metrics) {
    json.metrics = model.compile.metrics.value;
    provenance.push({ setting: "metrics", value: json.metrics, from: inFile(model.compile.metrics.from) });
  }
  if (model.fileInputShape) {
    notes.push(
      `the graph reads [${model.fileInputShape}] (channels first); fitcheck reads the same data as [${model.inputShape}] (channels last)`,
    );
  }
  return {
    json,
    provenance,
    notes,
    weights: () => folded.filter((f) => f.params).map((f) => trainerWeights(f)),
  };
}

const FORMAT_NAMES = {
  keras: "Keras 3 .keras",
  "keras-h5": "Keras 2 .h5",
  tfjs: "TensorFlow.js Layers model",
  onnx: "ONNX",
} as const;

function lossOf(
  model: ImportedModel,
  flags: ModelFlags,
  provenance: Provenance[],
  inFile: (w: string) => string,
): unknown {
  const file = model.compile.loss;
  let value: { name: string; fromLogits?: boolean; reduction?: string; delta?: number };
  let from: string;
  if (flags.loss !== undefined) {
    // fitcheck's names ("categorical-crossentropy"), Keras's and PyTorch's ("CrossEntropyLoss") all map.
    const m = mapLoss(flags.loss);
    if (!("value" in m)) {
      throw new InputError(
        `unknown loss "${flags.loss}": expected one of ${LOSSES.join(", ")} (or a Keras / PyTorch loss name)`,
        { file: "<argv>", field: "--loss" },
      );
    }
    value = m.value;
    from = "--loss";
    if (file && file.value.name === value.name && file.value.fromLogits) value.fromLogits = true;
  } else if (file) {
    value = { ...file.value };
    from = inFile(file.from);
  } else {
    const why = whyNotInFile(model, "loss");
    throw new InputError(
      `${why}: give the loss the model is trained with (e.g. --loss categorical-crossentropy)`,
      {
        file: "<argv>",
        field: "--loss",
      },
    );
  }
  if (flags.fromLogits) {
    value.fromLogits = true;
    from += " --from-logits";
  }
  provenance.push({ setting: "loss", value, from });
  return Object.keys(value).length === 1 ? value.name : value;
}

/** Why the file gives no `setting` (for the message that asks for its flag). */
function whyNotInFile(model: ImportedModel, setting: "loss" | "optimizer"): string {
  const unsupported = model.compile.unsupported[setting];
  if (unsupported) return `the file's ${unsupported} has no fitcheck equivalent`;
  return model.format === "onnx"
    ? `an ONNX file carries no ${setting}`
    : `the file was saved without a compiled ${setting}`;
}

function optimizerOf(
  model: ImportedModel,
  flags: ModelFlags,
  provenance: Provenance[],
  inFile: (w: string) => string,
): unknown {
  const file = model.compile.optimizer;
  let value: Record<string, unknown> & { name: string };
  let from: string;
  if (flags.optimizer !== undefined) {
    const m = mapOptimizer(flags.optimizer);
    if (!("value" in m)) {
      throw new InputError(`unknown optimizer "${flags.optimizer}": expected sgd, adam or rmsprop`, {
        file: "<argv>",
        field: "--optimizer",
      });
    }
    value = m.value;
    if (file && file.value.name === value.name) value = { ...file.value };
    from = "--optimizer";
  } else if (file) {
    value = { ...file.value };
    from = inFile(file.from);
  } else {
    const why = whyNotInFile(model, "optimizer");
    throw new InputError(`${why}: give the optimizer the model is trained with (sgd, adam or rmsprop)`, {
      file: "<argv>",
      field: "--optimizer",
    });
  }
  if (flags.learningRate !== undefined) {
    value.learningRate = flags.learningRate;
    from += ", --learning-rate";
  } else if (value.learningRate === undefined && value.name === "sgd" && model.format === "onnx") {
    // PyTorch's SGD has no default learning rate: the user's script sets it.
    throw new InputError(
      "PyTorch's SGD has no default learning rate: give the one the model is trained with",
      {
        file: "<argv>",
        field: "--learning-rate",
      },
    );
  }
  if (model.format === "onnx") {
    // A PyTorch model is trained by torch.optim, whose defaults are not Keras's (the scenario's).
    const defaults = TORCH_OPTIMIZER_DEFAULTS[value.name] ?? {};
    const filled = Object.keys(defaults).filter((k) => value[k] === undefined);
    for (const k of filled) value[k] = defaults[k];
    if (filled.length > 0) from += ` (torch.optim's defaults for ${filled.join(", ")})`;
  }
  provenance.push({ setting: "optimizer", value, from });
  return Object.keys(value).length === 1 ? value.name : value;
}

/**
 * torch.optim's defaults in the scenario's terms: Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
 * RMSprop(lr=1e-2, alpha=0.99, eps=1e-8); SGD has no default learning rate (a flag must give it).
 */
const TORCH_OPTIMIZER_DEFAULTS: Record<string, Record<string, number>> = {
  adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  rmsprop: { learningRate: 0.01, rho: 0.99, epsilon: 1e-8 },
};

/** The DataSpec JSON of a `--train` / `--validation` file. */
function dataSpec(
  path: string,
  target: string[],
  features: string | undefined,
  relative: (p: string) => string,
) {
  const lower = path.toLowerCase();
  if (lower.endsWith(".npy")) {
    if (target.length !== 1 || !target[0].toLowerCase().endsWith(".npy")) {
      throw new InputError("with a .npy features file, --target names the .npy file of the targets", {
        file: "<argv>",
        field: "--target",
      });
    }
    return { npy: { features: relative(path), target: relative(target[0]) } };
  }
  if (lower.endsWith(".npz")) {
    if (target.length !== 1) {
      throw new InputError("with an .npz file, --target names one array", {
        file: "<argv>",
        field: "--target",
      });
    }
    return { npz: { file: relative(path), target: target[0], ...(features ? { features } : {}) } };
  }
  if (lower.endsWith(".parquet")) {
    return { parquet: relative(path), target: target.length === 1 ? target[0] : target };
  }
  return { csv: relative(path), target: target.length === 1 ? target[0] : target };
}

/** `[a-z0-9-]+` from the file name (a tfjs model.json is named by its directory). */
function scenarioName(file: string): string {
  const parts = file.split("/");
  let base = parts.at(-1) ?? "model";
  if (base.toLowerCase() === "model.json" && parts.length > 1) base = parts.at(-2)!;
  const name = base.replace(/\.(keras|h5|hdf5|json|onnx)$/i, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name || "imported-model";
}

interface Folded {
  json: LayerJson | Record<string, unknown>;
  type: string;
  params: LayerParams | null;
}

/**
 * Folds an activation into the layer before it when that layer's own activation is linear, and a dropout
 * into the dense layer before it (the v1 `dropout` key); dense entries lose `"type"` (v1 form).
 */
export function fold(layers: LayerJson[], params: (LayerParams | null)[]): Folded[] {
  const out: Folded[] = [];
  layers.forEach((layer, i) => {
    const prev = out.at(-1);
    if (
      layer.type === "activation" && prev && prev.json.activation === "linear" &&
      !(Number(prev.json.dropout) > 0)
    ) {
      prev.json.activation = layer.activation;
      return;
    }
    if (layer.type === "dropout" && prev && prev.type === "dense" && !(Number(prev.json.dropout) > 0)) {
      prev.json.dropout = layer.rate;
      return;
    }
    if (layer.type === "dense") {
      const { type: _t, ...rest } = layer;
      out.push({ json: { ...rest }, type: "dense", params: params[i] });
    } else out.push({ json: { ...layer }, type: layer.type, params: params[i] });
  });
  return out;
}

/**
 * A parameter layer's weights as the trainer holds them (src/layers/: one weights matrix and one bias row
 * per parameter layer): a kernel as its rows (all axes but the last) x units, an embedding table as
 * [inputDim, outputDim] with a zero bias row, batchnorm's gamma and beta as weights and biases (its moving
 * statistics are state the trainer starts afresh).
 */
function trainerWeights(f: Folded): LayerWeights {
  const a = f.params!.arrays;
  if (a.kernel && a.bias) {
    const units = a.kernel.shape.at(-1)!;
    return { weights: a.kernel.data, biases: a.bias.data, inputs: a.kernel.data.length / units, units };
  }
  if (a.embeddings) {
    const [inputs, units] = a.embeddings.shape;
    return { weights: a.embeddings.data, biases: new Float64Array(units), inputs, units };
  }
  if (a.gamma && a.beta) {
    return { weights: a.gamma.data, biases: a.beta.data, inputs: 1, units: a.gamma.data.length };
  }
  throw new InputError(`a ${f.type} layer cannot start from the file's weights`, {
    file: "<argv>",
    field: "--initial-weights",
  });
}

function describeLayers(layers: Record<string, unknown>[]): string {
  return layers.map((l) => l.type === undefined ? `dense ${l.units} ${l.activation}` : String(l.type)).join(
    ", ",
  );
}
