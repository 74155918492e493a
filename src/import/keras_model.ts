/**
 * A Keras model config (Sequential, or a functional graph that is a chain) walked through the Keras layer
 * table, shared by the Keras 3, Keras 2 and tfjs readers: they differ only in where the config, the
 * compile settings and the saved variables live.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { mapInitializer, mapLoss, mapMetrics, mapOptimizer } from "./keras_compile.ts";
import { mapKerasLayer, type MappedLayer, type SavedArray } from "./keras_layers.ts";
import type { CompileSettings, ImportedModel, LayerJson, LayerParams, ModelFormat } from "./types.ts";

type Config = Record<string, unknown>;

/** What a reader supplies. */
export interface KerasSource {
  file: string;
  format: ModelFormat;
  /** `{class_name, config}` of the model. */
  model: unknown;
  /**
   * Loads the saved variables of a layer in Keras's order; `expected` names them. `savedName` is the name
   * Keras's saving_lib files the layer under: its class in snake case, numbered per class in layer order
   * ("dense", "dense_1", "max_pooling2d"), not the layer's own (user-chosen) name.
   */
  variables(layer: { name: string; savedName: string }, expected: string[]): SavedArray[];
  /** Raw compile settings and where they were read ("config.json compile_config"). */
  compile?: { loss?: unknown; optimizer?: unknown; metrics?: unknown; from: string };
}

/** Imports a Keras model config with its saved variables. */
export function importKerasModel(src: KerasSource): ImportedModel {
  const { file } = src;
  const model = asObject(src.model, file, "the model config");
  const cls = String(model.class_name ?? "");
  const config = asObject(model.config, file, "the model config's config");
  if (!["Sequential", "Functional", "Model"].includes(cls)) {
    throw new InputError(
      `unsupported model class ${cls || "(none)"}: supported are Sequential and a functional chain`,
      {
        file,
      },
    );
  }
  const rawLayers = Array.isArray(config.layers) ? (config.layers as Config[]) : [];
  if (rawLayers.length === 0) throw new InputError("the model config has no layers", { file });
  if (cls !== "Sequential") checkChain(rawLayers, file);
  const inputs = rawLayers.filter((l) => l.class_name === "InputLayer");
  const layers = rawLayers.filter((l) => l.class_name !== "InputLayer");
  const savedNames = savingLibNames(layers.map((l) => String(l.class_name)));
  let shape = inputShape(inputs[0], layers[0], model, file);
  const inputShapeOut = shape;
  const out: LayerJson[] = [];
  const params: (LayerParams | null)[] = [];
  const notes: string[] = [];
  let inputScale: number | undefined;
  let init: { value: unknown; note?: string; layer: string } | undefined;
  layers.forEach((l, i) => {
    const lc = (l.config ?? {}) as Config;
    const name = String(lc.name ?? l.name ?? `layer_${i + 1}`);
    const ctx = { name, className: String(l.class_name), position: i + 1, input: shape, file };
    const mapped: MappedLayer = mapKerasLayer(ctx.className, lc, ctx);
    if (mapped.note) notes.push(mapped.note);
    if (mapped.inputScale !== undefined) {
      inputScale = mapped.inputScale;
      notes.push(`${name} (Rescaling ${mapped.inputScale}) becomes the data transform scale-features`);
    }
    if (mapped.params) {
      const saved = src.variables({ name, savedName: savedNames[i] }, mapped.variables);
      if (saved.length !== mapped.variables.length) {
        throw new InputError(
          `layer ${
            i + 1
          } "${name}" (${ctx.className}): the file holds ${saved.length} variables where ${mapped.variables.length} (${
            mapped.variables.join(", ")
          }) are expected`,
          { file },
        );
      }
      params.push(mapped.params(saved));
      const k = mapInitializer(lc.kernel_initializer ?? lc.embeddings_initializer);
      if (init === undefined) init = { ...k, layer: name };
      else if (JSON.stringify(k.value) !== JSON.stringify(init.value)) {
        notes.push(
          `layer "${name}" starts from ${
            JSON.stringify(k.value)
          } in the file; fitcheck uses one initializer for every layer (${
            JSON.stringify(init.value)
          }, from "${init.layer}")`,
        );
      }
    } else {
      params.push(null);
    }
    if (mapped.layer) out.push(mapped.layer);
    else params.pop();
    shape = mapped.output;
  });
  const compile: CompileSettings = { unsupported: {} };
  if (init) {
    compile.init = { value: init.value, from: `layer "${init.layer}" kernel_initializer` };
    if (init.note) notes.push(init.note);
  }
  if (src.compile) readCompile(src.compile, compile, notes);
  return {
    format: src.format,
    file,
    inputShape: inputShapeOut,
    ...(inputScale !== undefined ? { inputScale } : {}),
    layers: out,
    params,
    compile,
    notes,
  };
}

function readCompile(raw: NonNullable<KerasSource["compile"]>, into: CompileSettings, notes: string[]): void {
  if (raw.loss !== undefined && raw.loss !== null) {
    const m = mapLoss(raw.loss);
    if ("unsupported" in m) into.unsupported.loss = `${m.unsupported} (${raw.from}.loss)`;
    else {
      into.loss = { value: m.value, from: `${raw.from}.loss` };
      if (m.note) notes.push(m.note);
    }
  }
  if (raw.optimizer !== undefined && raw.optimizer !== null) {
    const m = mapOptimizer(raw.optimizer);
    if ("unsupported" in m) into.unsupported.optimizer = `${m.unsupported} (${raw.from}.optimizer)`;
    else {
      into.optimizer = { value: m.value, from: `${raw.from}.optimizer` };
      if (m.note) notes.push(m.note);
    }
  }
  if (raw.metrics !== undefined && raw.metrics !== null) {
    const m = mapMetrics(raw.metrics);
    into.metrics = { value: m.value, from: `${raw.from}.metrics` };
    if (m.note) notes.push(m.note);
  }
}

/** The per-row input shape: the InputLayer's, else the first layer's batch_input_shape, else build_config. */
function inputShape(
  input: Config | undefined,
  first: Config | undefined,
  model: Config,
  file: string,
): number[] {
  const cfg = (input?.config ?? {}) as Config;
  const fcfg = (first?.config ?? {}) as Config;
  const mcfg = (model.config ?? {}) as Config;
  const candidates = [
    cfg.batch_shape,
    cfg.batch_input_shape,
    fcfg.batch_input_shape,
    fcfg.batch_shape,
    (model.build_config as Config | undefined)?.input_shape,
    mcfg.build_input_shape,
  ];
  for (const c of candidates) {
    if (Array.isArray(c) && c.length >= 2) {
      const dims = c.slice(1);
      if (dims.every((d) => Number.isInteger(d) && d > 0)) return dims as number[];
      throw new InputError(
        `the input shape ${JSON.stringify(c)} has unknown dimensions (only the batch may be None)`,
        {
          file,
        },
      );
    }
  }
  if (Array.isArray(fcfg.input_shape)) return fcfg.input_shape as number[];
  throw new InputError(
    "the model config gives no input shape (no InputLayer, batch_input_shape or build_config)",
    {
      file,
    },
  );
}

/**
 * The names keras/src/saving/saving_lib.py's `_save_container_state` gives a container's layers: the
 * class name in snake case (`naming.to_snake_case`), then `_1`, `_2`, ... for later layers of the same class.
 */
export function savingLibNames(classNames: string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((cls) => {
    const snake = cls.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(
      /([a-z])([A-Z])/g,
      "$1_$2",
    )
      .toLowerCase();
    const n = used.get(snake);
    used.set(snake, n === undefined ? 0 : n + 1);
    return n === undefined ? snake : `${snake}_${n + 1}`;
  });
}

/** A functional model imports when each layer takes exactly the previous one's output. */
function checkChain(layers: Config[], file: string): void {
  for (let i = 1; i < layers.length; i++) {
    const names = inboundNames(layers[i].inbound_nodes);
    const previous = String(((layers[i - 1].config ?? {}) as Config).name ?? layers[i - 1].name);
    if (names.length !== 1 || names[0] !== previous) {
      const name = String(((layers[i].config ?? {}) as Config).name ?? layers[i].name);
      throw new InputError(
        `layer ${i} "${name}" (${layers[i].class_name}) takes ${
          names.length ? names.join(", ") : "no input"
        } instead of the previous layer "${previous}": only Sequential models and functional chains import`,
        { file },
      );
    }
  }
}

/** Layer names an `inbound_nodes` entry refers to (Keras 3 `keras_history`, Keras 2 `[name, 0, 0, {}]`). */
function inboundNames(nodes: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      if (typeof v[0] === "string" && typeof v[1] === "number") out.push(v[0]);
      else v.forEach(visit);
    } else if (v !== null && typeof v === "object") {
      const o = v as Config;
      const cfg = o.config as Config | undefined;
      if (cfg && Array.isArray(cfg.keras_history)) out.push(String(cfg.keras_history[0]));
      else Object.values(o).forEach(visit);
    }
  };
  visit(nodes);
  return out;
}

function asObject(v: unknown, file: string, what: string): Config {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InputError(`${what} is not a JSON object`, { file });
  }
  return v as Config;
}

/** Parses JSON text found inside a model file; a syntax error names the file and the entry. */
export function parseEmbeddedJson(text: string, file: string, entry: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${entry} is not valid JSON (${(e as Error).message})`, { file });
  }
}
