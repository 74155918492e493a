/**
 * The Keras compile table: loss, optimizer, metric and initializer names as Keras 3 (`compile_config`),
 * tf.keras 2 (`training_config`) and tfjs (`trainingConfig`) write them, mapped to scenario JSON values
 * (CONTRACT §2). Strings ("categorical_crossentropy", "mse", "adam") and serialized objects
 * (`{class_name: "SparseCategoricalCrossentropy", config: {from_logits: true}}`, `Custom>Adam`) both map.
 * What has no fitcheck equivalent is returned as `unsupported` with the reason: the caller makes it an
 * error only when no command-line flag replaces it.
 *
 * Names are compared squashed (`squashName`): "SparseCategoricalCrossentropy" and
 * "sparse_categorical_crossentropy" meet.
 *
 * @module
 */
import { squashName } from "../errors.ts";

type Config = Record<string, unknown>;

/** A mapped value, or why it could not be mapped. */
export type Mapped<T> = { value: T; note?: string } | { unsupported: string };

/** Keras / tfjs loss names (squashed) to fitcheck's. */
export const KERAS_LOSSES: Record<string, string> = {
  mse: "mse",
  meansquarederror: "mse",
  mae: "mae",
  meanabsoluteerror: "mae",
  huber: "huber",
  huberloss: "huber",
  binarycrossentropy: "binary-crossentropy",
  categoricalcrossentropy: "categorical-crossentropy",
  sparsecategoricalcrossentropy: "sparse-categorical-crossentropy",
};

/**
 * PyTorch's loss classes (squashed), as a PyTorch user names the loss of an exported model on the command
 * line: CrossEntropyLoss applies log-softmax itself, so it takes logits.
 */
export const PYTORCH_LOSSES: Record<string, { name: string; fromLogits?: boolean }> = {
  crossentropyloss: { name: "sparse-categorical-crossentropy", fromLogits: true },
  nllloss: { name: "sparse-categorical-crossentropy" },
  bceloss: { name: "binary-crossentropy" },
  bcewithlogitsloss: { name: "binary-crossentropy", fromLogits: true },
  mseloss: { name: "mse" },
  l1loss: { name: "mae" },
  huberloss: { name: "huber" },
  smoothl1loss: { name: "huber" },
};

/** Keras / tfjs optimizer class names (squashed) to fitcheck's. */
export const KERAS_OPTIMIZERS: Record<string, string> = {
  sgd: "sgd",
  adam: "adam",
  rmsprop: "rmsprop",
  // tfjs's tf.train.momentum(learningRate, momentum) saves as class "Momentum".
  momentum: "sgd",
};

/** Keras / tfjs metric names (squashed) to fitcheck's. */
export const KERAS_METRICS: Record<string, string> = {
  accuracy: "accuracy",
  acc: "accuracy",
  binaryaccuracy: "binary-accuracy",
  categoricalaccuracy: "categorical-accuracy",
  sparsecategoricalaccuracy: "sparse-categorical-accuracy",
  precision: "precision",
  recall: "recall",
  auc: "auc",
  mae: "mae",
  meanabsoluteerror: "mae",
  mse: "mse",
  meansquarederror: "mse",
  rootmeansquarederror: "rmse",
  rmse: "rmse",
  f1score: "f1",
};

/** `Custom>Adam`, `keras.optimizers.Adam` and `Adam` are all Adam. */
function className(v: Config): string {
  return String(v.class_name ?? v.className ?? "").replace(/^.*[>.]/, "");
}

/** A loss as Keras saved it: a name, a serialized loss object, or a list / dict of per-output losses. */
export function mapLoss(
  raw: unknown,
): Mapped<{ name: string; fromLogits?: boolean; reduction?: string; delta?: number }> {
  if (Array.isArray(raw) && raw.length === 1) return mapLoss(raw[0]);
  if (typeof raw === "string") {
    const name = KERAS_LOSSES[squashName(raw)];
    if (name) return { value: { name } };
    const torch = PYTORCH_LOSSES[squashName(raw)];
    return torch ? { value: { ...torch } } : { unsupported: `loss "${raw}"` };
  }
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const cls = className(raw as Config);
    const cfg = ((raw as Config).config ?? {}) as Config;
    const name = KERAS_LOSSES[squashName(cls)] ??
      (typeof cfg.fn === "string" ? KERAS_LOSSES[squashName(cfg.fn)] : undefined);
    if (!name) return { unsupported: `loss ${cls || JSON.stringify(raw).slice(0, 60)}` };
    const out: { name: string; fromLogits?: boolean; reduction?: string; delta?: number } = { name };
    if (cfg.from_logits === true) out.fromLogits = true;
    if (cfg.reduction === "sum") out.reduction = "sum";
    if (typeof cfg.delta === "number" && name === "huber") out.delta = cfg.delta;
    if (cfg.label_smoothing !== undefined && cfg.label_smoothing !== 0) {
      return { value: out, note: `label_smoothing ${cfg.label_smoothing} of the loss is not modelled` };
    }
    return { value: out };
  }
  return { unsupported: `loss ${JSON.stringify(raw)?.slice(0, 60)}` };
}

/** An optimizer as Keras saved it (string or serialized object; Keras and tfjs spellings of its keys). */
export function mapOptimizer(raw: unknown): Mapped<Record<string, unknown> & { name: string }> {
  if (typeof raw === "string") {
    const name = KERAS_OPTIMIZERS[squashName(raw)];
    return name ? { value: { name } } : { unsupported: `optimizer "${raw}"` };
  }
  if (raw === null || typeof raw !== "object") return { unsupported: `optimizer ${JSON.stringify(raw)}` };
  const cls = className(raw as Config);
  const name = KERAS_OPTIMIZERS[squashName(cls)];
  if (!name) return { unsupported: `optimizer ${cls}` };
  const cfg = ((raw as Config).config ?? {}) as Config;
  const notes: string[] = [];
  const pick = (...keys: string[]) => {
    for (const k of keys) if (typeof cfg[k] === "number") return cfg[k] as number;
    return undefined;
  };
  let lr = pick("learning_rate", "learningRate", "lr");
  const schedule = cfg.learning_rate;
  if (lr === undefined && schedule !== null && typeof schedule === "object") {
    const sc = ((schedule as Config).config ?? {}) as Config;
    if (typeof sc.initial_learning_rate === "number") {
      lr = sc.initial_learning_rate;
      notes.push(
        `the learning-rate schedule ${className(schedule as Config)} is taken at its initial rate ${lr}`,
      );
    }
  }
  // Keras stores float32 values: 0.0010000000474974513 is 0.001. Round to float32's 7 significant digits.
  const f32 = (v: number | undefined) => v === undefined ? undefined : Number(v.toPrecision(7));
  const out: Record<string, unknown> & { name: string } = { name };
  if (lr !== undefined) out.learningRate = f32(lr);
  if (name === "sgd") {
    const m = pick("momentum");
    if (m !== undefined && m !== 0) out.momentum = f32(m);
    if (cfg.nesterov === true || cfg.useNesterov === true) {
      notes.push("SGD's nesterov=True is trained as plain momentum");
    }
  } else if (name === "adam") {
    const b1 = pick("beta_1", "beta1"), b2 = pick("beta_2", "beta2"), eps = pick("epsilon");
    if (b1 !== undefined) out.beta1 = f32(b1);
    if (b2 !== undefined) out.beta2 = f32(b2);
    if (eps !== undefined) out.epsilon = f32(eps);
    if (cfg.amsgrad === true) return { unsupported: "optimizer Adam with amsgrad=True" };
  } else {
    // tfjs calls RMSprop's rho "decay".
    const rho = pick("rho", "decay"), eps = pick("epsilon");
    if (rho !== undefined) out.rho = f32(rho);
    if (eps !== undefined) out.epsilon = f32(eps);
    const momentum = pick("momentum");
    if ((momentum ?? 0) !== 0 || cfg.centered === true) {
      return { unsupported: "optimizer RMSprop with momentum or centered=True" };
    }
  }
  if (typeof cfg.weight_decay === "number" && cfg.weight_decay !== 0) {
    notes.push(`the optimizer's weight_decay ${cfg.weight_decay} is not modelled`);
  }
  return { value: out, ...(notes.length ? { note: notes.join("; ") } : {}) };
}

/**
 * Metrics as Keras saved them: names, serialized metric objects, tf.keras 2's nested per-output lists
 * (`[[{class_name: "MeanMetricWrapper", config: {name: "accuracy"}}]]`). Unknown metrics are left out
 * and named in the returned note.
 */
export function mapMetrics(raw: unknown): { value: string[]; note?: string } {
  const out: string[] = [];
  const skipped: string[] = [];
  const visit = (m: unknown) => {
    if (m === null || m === undefined) return;
    if (Array.isArray(m)) return m.forEach(visit);
    if (typeof m === "object") {
      const o = m as Config;
      const cfg = (o.config ?? {}) as Config;
      if (o.class_name === undefined && o.config === undefined) return Object.values(o).forEach(visit);
      const cls = className(o);
      const byClass = KERAS_METRICS[squashName(cls)];
      const byName = typeof cfg.name === "string" ? KERAS_METRICS[squashName(cfg.name)] : undefined;
      const name = byName ?? byClass;
      if (name) out.push(name);
      else skipped.push(String(cfg.name ?? cls));
      return;
    }
    const name = KERAS_METRICS[squashName(String(m))];
    if (name) out.push(name);
    else skipped.push(String(m));
  };
  visit(raw);
  const unique = [...new Set(out)];
  return skipped.length
    ? { value: unique, note: `metrics without a fitcheck equivalent left out: ${skipped.join(", ")}` }
    : { value: unique };
}

/**
 * A Keras kernel initializer as the scenario's `model.init`. Exact where fitcheck has the same
 * distribution; the nearest one with the same variance otherwise (said in the note).
 */
export function mapInitializer(raw: unknown): { value: unknown; note?: string } {
  const cls = raw === null || raw === undefined
    ? "GlorotUniform"
    : typeof raw === "string"
    ? raw
    : className(raw as Config);
  const cfg = (typeof raw === "object" && raw !== null ? (raw as Config).config ?? {} : {}) as Config;
  switch (squashName(cls)) {
    case "glorotuniform":
      return { value: "glorot-uniform" };
    case "henormal":
      return { value: "he-normal" };
    case "zeros":
      return { value: "zeros" };
    case "constant":
      return { value: { constant: Number(cfg.value ?? 0) } };
    case "ones":
      return { value: { constant: 1 } };
    case "randomnormal": {
      const std = Number(cfg.stddev ?? 0.05);
      return Number(cfg.mean ?? 0) === 0
        ? { value: { normal: { std } } }
        : { value: { normal: { std } }, note: `RandomNormal's mean ${cfg.mean} is taken as 0` };
    }
    case "variancescaling": {
      const scale = Number(cfg.scale ?? 1), mode = String(cfg.mode ?? "fan_in");
      const dist = String(cfg.distribution ?? "truncated_normal");
      if (scale === 1 && mode === "fan_avg" && dist === "uniform") return { value: "glorot-uniform" };
      if (scale === 2 && mode === "fan_in" && dist.includes("normal")) return { value: "he-normal" };
      if (mode === "fan_avg" && scale === 1) {
        return {
          value: "glorot-uniform",
          note: `VarianceScaling(fan_avg, ${dist}) trained as glorot-uniform (same variance)`,
        };
      }
      return {
        value: "glorot-uniform",
        note: `VarianceScaling(scale ${scale}, ${mode}, ${dist}) approximated by glorot-uniform`,
      };
    }
    case "glorotnormal":
      return { value: "glorot-uniform", note: "GlorotNormal trained as glorot-uniform (same variance)" };
    case "heuniform":
      return { value: "he-normal", note: "HeUniform trained as he-normal (same variance)" };
    default:
      return {
        value: "glorot-uniform",
        note: `initializer ${cls} has no fitcheck equivalent: glorot-uniform used`,
      };
  }
}
