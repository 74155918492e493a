/**
 * The scenario file's schema (CONTRACT §2) in zod: every rule, every default, shorthand strings for
 * loss / optimizer / metric, and a parse output that is exactly the resolved {@linkcode Scenario}
 * (minus `path`). Objects are strict: an unknown key is an error naming its key path.
 *
 * Variants (data specs, optimizers, generators, transforms) are chosen by the key or tag the user
 * wrote, then validated by that variant alone, so that an error speaks about the variant the user
 * meant instead of listing why every alternative of a union failed.
 *
 * @module
 */
import { z } from "zod";
import { type GeneratorKind, GENERATORS, type ParamSpec, TRANSFORM_OPS, TRANSFORMS } from "../data/specs.ts";
import { didYouMean, squashName } from "../errors.ts";
import { FINDING_CODES } from "../report/types.ts";
import {
  type DataSpec,
  type GeneratorSpec,
  type Init,
  LOSSES,
  type OptimizerSpec,
  type Scenario,
  type TransformSpec,
  type ValidationSpec,
} from "./types.ts";
import { layerDefinition, LAYERS, type LayerSpec } from "../layers/mod.ts";
import { METRIC_NAMES } from "../reference/metrics.ts";

/** Built-in metric names (CONTRACT §2); any other name needs a `module`. One list, owned by the references. */
export { METRIC_NAMES };

export const TASKS = ["binary", "multiclass", "multilabel", "regression"] as const;

/** Keras's unset learning rates: 0.001 for adam and rmsprop, 0.01 for sgd. */
export const DEFAULT_LEARNING_RATE = { sgd: 0.01, adam: 0.001, rmsprop: 0.001 } as const;

/** Keras's default optimizer for `compile()` when the scenario names none. */
export const DEFAULT_OPTIMIZER = "rmsprop";

const DATA_KEYS = ["csv", "npy", "npz", "parquet", "rows", "generate"] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates with the schema picked by `choose(value)`: a tag or key the user wrote. `choose` returns
 * a schema, or a problem (message and path relative to the value) when no variant fits.
 */
function dispatch<T>(
  choose: (value: unknown) => z.ZodType<T> | { message: string; path?: PropertyKey[]; code?: string },
  variants: readonly z.ZodType[],
) {
  const schema = z.unknown().transform((value, ctx): T => {
    const picked = choose(value);
    if (!(picked instanceof z.ZodType)) {
      ctx.issues.push({ code: "custom", message: picked.message, path: picked.path ?? [], input: value });
      return z.NEVER;
    }
    const result = picked.safeParse(value);
    if (result.success) return result.data;
    // Issues of the inner parse are relative to this value; the enclosing objects prefix their keys.
    for (const issue of result.error.issues) ctx.issues.push(issue as never);
    return z.NEVER;
  });
  DISPATCH_VARIANTS.set(schema, variants);
  return schema;
}

/**
 * What a dispatching (or shorthand-expanding) schema accepts, for the JSON Schema of
 * src/scenario/json_schema.ts: its input side is `unknown` to zod, so the variants are kept here.
 */
export const DISPATCH_VARIANTS: WeakMap<z.ZodType, readonly z.ZodType[]> = new WeakMap();

/** `schema`, also accepting a bare name (`"adam"` for `{"name": "adam"}`); `names` says which. */
function nameShorthand<T extends z.ZodType>(names: z.ZodType, schema: T) {
  const expanded = z.preprocess(named, schema);
  DISPATCH_VARIANTS.set(expanded, [names, schema]);
  return expanded;
}

/** A string shorthand for `{name: string}`. */
const named = (v: unknown) => (typeof v === "string" ? { name: v } : v);

/** Tag dispatch for `{<tag>: one of names, ...}` objects. */
function tagged<T>(tag: string, what: string, variants: Record<string, z.ZodType<T>>) {
  const names = Object.keys(variants);
  return dispatch<T>((v) => {
    if (!isObject(v)) return { message: `expected ${what} (an object with "${tag}"), got ${describe(v)}` };
    const name = v[tag];
    if (name === undefined) {
      return { message: `missing "${tag}": expected one of ${names.join(", ")}`, path: [tag] };
    }
    if (typeof name !== "string" || !(name in variants)) {
      return {
        message: `unknown ${what} ${describe(name)}${suggestChoice(name, names)}: expected one of ${
          names.join(", ")
        }`,
        path: [tag],
      };
    }
    return variants[name];
  }, Object.values(variants));
}

/** A zod schema for one generator / transform parameter, from its table entry. */
function paramSchema(spec: ParamSpec): z.ZodType {
  let s: z.ZodType;
  if (spec.type === "boolean") s = z.boolean();
  else if (spec.type === "column") s = z.union([z.number().int().min(0), z.string().min(1)]);
  else {
    let n = spec.type === "integer" ? z.number().int() : z.number();
    if (spec.min !== undefined) n = spec.minExclusive ? n.gt(spec.min) : n.gte(spec.min);
    if (spec.max !== undefined) n = spec.maxExclusive ? n.lt(spec.max) : n.lte(spec.max);
    s = n;
  }
  return spec.default === undefined ? s.optional() : s.default(spec.default as never);
}

function paramShape(table: Record<string, ParamSpec>): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(table).map(([k, spec]) => [k, paramSchema(spec)]));
}

const transformSchema = tagged<TransformSpec>(
  "op",
  "transform",
  Object.fromEntries(
    TRANSFORM_OPS.map((op) => [
      op,
      z.strictObject({ op: z.literal(op), ...paramShape(TRANSFORMS[op]) }).superRefine((t, ctx) => {
        const r = t as Record<string, unknown>;
        if (op === "imbalance" && r.ratio !== undefined && (r.class !== undefined || r.keep !== undefined)) {
          ctx.addIssue({
            code: "custom",
            message: 'give either {"ratio"} or {"class", "keep"}, not both',
            path: ["ratio"],
          });
        }
        if (op === "imbalance" && (r.class === undefined) !== (r.keep === undefined)) {
          ctx.addIssue({
            code: "custom",
            message: '"class" and "keep" go together',
            path: [r.class === undefined ? "class" : "keep"],
          });
        }
      }) as z.ZodType<TransformSpec>,
    ]),
  ),
);

const transforms = z.array(transformSchema).default([]);

function generatorVariant(kind: GeneratorKind): z.ZodType<GeneratorSpec> {
  const t = GENERATORS[kind];
  const classes = t.fixedClasses === undefined
    ? z.number().int().min(1).default(t.classes)
    : z.literal(t.fixedClasses, { error: `${kind} makes exactly ${t.fixedClasses} classes` }).default(
      t.fixedClasses,
    );
  return z.strictObject({
    kind: z.literal(kind),
    samples: z.number().int().min(1).default(t.samples),
    features: z.number().int().min(t.minFeatures).default(t.features),
    classes,
    noise: z.number().min(0).default(t.noise),
    ...paramShape(t.params),
  }).transform((g): GeneratorSpec => {
    const { kind: _k, samples, features, classes, noise, ...params } = g as Record<string, unknown>;
    return {
      kind,
      samples: samples as number,
      features: features as number,
      classes: classes as number,
      noise: noise as number,
      params,
    };
  });
}

const generatorSchema = tagged<GeneratorSpec>(
  "kind",
  "generator",
  Object.fromEntries((Object.keys(GENERATORS) as GeneratorKind[]).map((k) => [k, generatorVariant(k)])),
);

const nonEmptyString = z.string().min(1);

/** The DataSpec variants; `resolve` makes file paths absolute. */
function dataSpecSchema(resolve: (p: string) => string) {
  const csv = z.strictObject({
    csv: nonEmptyString,
    target: z.union([nonEmptyString, z.array(nonEmptyString).min(1)]),
    features: z.array(nonEmptyString).min(1).optional(),
    transforms,
  }).transform((d): DataSpec => ({
    kind: "csv",
    path: resolve(d.csv),
    target: typeof d.target === "string" ? [d.target] : d.target,
    ...(d.features ? { features: d.features } : {}),
    transforms: d.transforms,
  }));
  const npy = z.strictObject({
    npy: z.strictObject({ features: nonEmptyString, target: nonEmptyString }),
    transforms,
  }).transform((d): DataSpec => ({
    kind: "npy",
    features: resolve(d.npy.features),
    target: resolve(d.npy.target),
    transforms: d.transforms,
  }));
  const npz = z.strictObject({
    npz: z.strictObject({ file: nonEmptyString, features: nonEmptyString, target: nonEmptyString }),
    transforms,
  }).transform((d): DataSpec => ({
    kind: "npz",
    path: resolve(d.npz.file),
    features: d.npz.features,
    target: d.npz.target,
    transforms: d.transforms,
  }));
  const parquet = z.strictObject({
    parquet: nonEmptyString,
    target: z.union([nonEmptyString, z.array(nonEmptyString).min(1)]),
    features: z.array(nonEmptyString).min(1).optional(),
    transforms,
  }).transform((d): DataSpec => ({
    kind: "parquet",
    path: resolve(d.parquet),
    target: typeof d.target === "string" ? [d.target] : d.target,
    ...(d.features ? { features: d.features } : {}),
    transforms: d.transforms,
  }));
  // JSON has no NaN: null in an inline row stands for a missing value.
  const rows = z.strictObject({
    rows: z.array(z.array(z.number().nullable()).min(2)).min(1),
    target: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)]),
    transforms,
  }).superRefine((d, ctx) => {
    const width = d.rows[0].length;
    d.rows.forEach((r, i) => {
      if (r.length !== width) {
        ctx.addIssue({
          code: "custom",
          message: `ragged row: expected ${width} values (as in rows[0]) but got ${r.length}`,
          path: ["rows", i],
        });
      }
    });
    const targets = typeof d.target === "number" ? [d.target] : d.target;
    targets.forEach((t, i) => {
      if (t >= width) {
        const at = typeof d.target === "number" ? ["target"] : ["target", i];
        ctx.addIssue({
          code: "custom",
          message: `target column ${t} is out of range: rows have ${width} columns (0-${width - 1})`,
          path: at,
        });
      }
    });
    if (new Set(targets).size === width) {
      ctx.addIssue({
        code: "custom",
        message: "every column is a target: no feature columns left",
        path: ["target"],
      });
    }
  }).transform((d): DataSpec => ({
    kind: "rows",
    rows: d.rows.map((r) => r.map((v) => (v === null ? NaN : v))),
    target: typeof d.target === "number" ? [d.target] : d.target,
    transforms: d.transforms,
  }));
  const generate = z.strictObject({ generate: generatorSchema, transforms }).transform((d): DataSpec => ({
    kind: "generate",
    generator: d.generate,
    transforms: d.transforms,
  }));
  const variants = { csv, npy, npz, parquet, rows, generate };
  return dispatch<DataSpec>((v) => {
    const keys = isObject(v) ? DATA_KEYS.filter((k) => k in v) : [];
    if (v === undefined) {
      return { message: `missing required key: expected a data spec with one of ${DATA_KEYS.join(", ")}` };
    }
    if (!isObject(v) || keys.length === 0) {
      return {
        message: `expected a data spec: an object with one of ${
          DATA_KEYS.map((k) => `"${k}"`).join(", ")
        }, got ${describe(v)}`,
      };
    }
    if (keys.length > 1) {
      return {
        message: `a data spec has exactly one of ${DATA_KEYS.map((k) => `"${k}"`).join(", ")}; got ${
          keys.join(" and ")
        }`,
        path: [keys[1]],
      };
    }
    return variants[keys[0]];
  }, Object.values(variants));
}

const initNamed = z.enum(["glorot-uniform", "he-normal", "zeros"]).transform((kind): Init => ({ kind }));
const initConstant = z.strictObject({ constant: z.number() }).transform((i): Init => ({
  kind: "constant",
  value: i.constant,
}));
const initNormal = z.strictObject({ normal: z.strictObject({ std: z.number().gt(0) }) })
  .transform((i): Init => ({ kind: "normal", std: i.normal.std }));

const initSchema = dispatch<Init>((v) => {
  if (typeof v === "string") return initNamed;
  if (isObject(v) && "constant" in v) return initConstant;
  if (isObject(v) && "normal" in v) return initNormal;
  return {
    message:
      `expected "glorot-uniform", "he-normal", "zeros", {"constant": c} or {"normal": {"std": s}}, got ${
        describe(v)
      }`,
  };
}, [initNamed, initConstant, initNormal]);

/** A `model.layers` entry: the schema of its kind (`"type"`, default dense) from the layer registry. */
const layerSchema = dispatch<LayerSpec>((v) => {
  if (!isObject(v)) return { message: `expected a layer (an object), got ${describe(v)}` };
  const type = v.type ?? "dense";
  const names = LAYERS.map((d) => d.type);
  const def = typeof type === "string" ? layerDefinition(type) : undefined;
  if (!def) {
    return {
      message: `unknown layer type ${describe(type)}${suggestChoice(String(type), names)}: expected one of ${
        names.join(", ")
      }`,
      path: ["type"],
    };
  }
  return def.schema;
}, LAYERS.map((d) => d.schema));

const modelInputSchema = z.strictObject({
  shape: z.array(z.number().int().min(1)).min(1).max(3),
});

const lossSchema = nameShorthand(
  z.enum(LOSSES),
  z.strictObject({
    name: z.enum(LOSSES),
    fromLogits: z.boolean().default(false),
    reduction: z.enum(["mean", "sum"]).default("mean"),
    delta: z.number().gt(0).default(1),
  }),
);

const learningRate = (name: keyof typeof DEFAULT_LEARNING_RATE) =>
  z.number().gt(0).default(DEFAULT_LEARNING_RATE[name]);

const optimizerSchema = nameShorthand(
  z.enum(["sgd", "adam", "rmsprop"]),
  tagged<OptimizerSpec>("name", "optimizer", {
    sgd: z.strictObject({
      name: z.literal("sgd"),
      learningRate: learningRate("sgd"),
      momentum: z.number().min(0).lt(1).default(0),
    }),
    adam: z.strictObject({
      name: z.literal("adam"),
      learningRate: learningRate("adam"),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      epsilon: z.number().gt(0).default(1e-7),
    }),
    rmsprop: z.strictObject({
      name: z.literal("rmsprop"),
      learningRate: learningRate("rmsprop"),
      rho: z.number().min(0).lt(1).default(0.9),
      epsilon: z.number().gt(0).default(1e-7),
    }),
  }),
);

function metricSchema(resolve: (p: string) => string) {
  return nameShorthand(
    nonEmptyString,
    z.strictObject({
      name: nonEmptyString,
      threshold: z.number().default(0.5),
      module: nonEmptyString.optional(),
    }).superRefine((m, ctx) => {
      if (m.module === undefined && !(METRIC_NAMES as readonly string[]).includes(m.name)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown metric "${m.name}"${suggestChoice(m.name, METRIC_NAMES)}: expected one of ${
            METRIC_NAMES.join(", ")
          }, or give a "module"`,
          path: ["name"],
        });
      }
    }).transform((m) => ({
      name: m.name,
      threshold: m.threshold,
      ...(m.module ? { module: resolve(m.module) } : {}),
    })),
  );
}

function validationSchema(resolve: (p: string) => string) {
  const split = z.strictObject({
    fraction: z.number().gt(0).lt(1).default(0.2),
    shuffle: z.boolean().default(true),
    stratify: z.boolean().default(false),
  }).transform((s): ValidationSpec => ({ kind: "split", ...s }));
  const data = dataSpecSchema(resolve).transform((d): ValidationSpec => ({ kind: "data", data: d }));
  const none = z.null();
  return dispatch<ValidationSpec>((v) => {
    if (v === null) return none;
    if (isObject(v) && DATA_KEYS.some((k) => k in v)) return data;
    return split;
  }, [split, data, none]);
}

/** `training.classWeight`: Keras's `class_weight` ({"0": 1, "1": 20}) or scikit-learn's "balanced". */
const classWeightSchema = z.union([
  z.literal("balanced"),
  z.record(
    z.string().regex(/^(0|[1-9][0-9]*)$/, { error: 'class weight keys are class indices: "0", "1", ...' }),
    z.number().min(0).refine(Number.isFinite, { error: "a class weight must be a finite number >= 0" }),
  ),
], { error: 'classWeight is "balanced" or an object of class index -> weight, e.g. {"0": 1, "1": 20}' });

/** `training.earlyStopping`: Keras's `EarlyStopping` callback (its defaults). */
const earlyStoppingSchema = z.strictObject({
  monitor: z.string().min(1).default("val_loss"),
  patience: z.number().int().min(0).default(0),
  minDelta: z.number().min(0).default(0),
  restoreBestWeights: z.boolean().default(false),
  mode: z.enum(["auto", "min", "max"]).default("auto"),
});

/** The zod schema of a scenario file; `resolve` turns a path written in the file into an absolute one. */
export function scenarioSchema(resolve: (relative: string) => string) {
  return z.strictObject({
    // Editors find the JSON Schema through it (docs/scenario.schema.json); the diagnosis ignores it.
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z0-9-]+$/, {
      error: (i) =>
        `${describe(i.input)} is not a valid name: use lowercase letters, digits and "-" ([a-z0-9-]+)`,
    }),
    description: z.string().default(""),
    seed: z.number().int().default(0),
    task: z.enum(TASKS).optional(),
    data: dataSpecSchema(resolve),
    // prefault, not default: the value goes through the schema (zod 4 defaults are outputs).
    validation: validationSchema(resolve).prefault({}),
    model: z.strictObject({
      input: modelInputSchema.optional(),
      layers: z.array(layerSchema).min(1, { error: "zero layers: a model needs at least its output layer" })
        .refine((layers) => (layers[layers.length - 1]?.type ?? "dense") === "dense", {
          error: "the last layer must be dense: its units are the model's outputs",
        }),
      init: initSchema.prefault("glorot-uniform"),
    }),
    loss: lossSchema,
    optimizer: optimizerSchema.prefault(DEFAULT_OPTIMIZER),
    training: z.strictObject({
      epochs: z.number().int().min(1).default(10),
      batchSize: z.number().int().min(1).default(32),
      shuffle: z.boolean().default(true),
      sameBatchEveryStep: z.boolean().default(false),
      classWeight: classWeightSchema.optional(),
      earlyStopping: earlyStoppingSchema.optional(),
    }).prefault({}),
    metrics: z.array(metricSchema(resolve)).default([]),
    expect: z.strictObject({ findings: z.array(z.enum(FINDING_CODES)) }).optional(),
  });
}

/** The schema's output is the resolved scenario without its own path (checked by the compiler here). */
export type ParsedScenario = z.output<ReturnType<typeof scenarioSchema>>;
const _outputIsScenario = (s: ParsedScenario): Omit<Scenario, "path"> => s;
void _outputIsScenario;

/**
 * Names users bring from Keras, PyTorch or habit, mapped to the scenario format's, for "did you
 * mean" (keys are compared after squashing case, "_", "-" and spaces).
 */
const ALIASES: Record<string, string> = {
  meansquarederror: "mse",
  meanabsoluteerror: "mae",
  huberloss: "huber",
  crossentropy: "categorical-crossentropy",
  nllloss: "sparse-categorical-crossentropy",
  bceloss: "binary-crossentropy",
  bcewithlogitsloss: "binary-crossentropy",
  mseloss: "mse",
  l1loss: "mae",
  acc: "accuracy",
  identity: "linear",
  none: "linear",
  lrelu: "leaky-relu",
  leakyrelu: "leaky-relu",
};

/** ` (did you mean "x"?)` for a value not among `choices`, from its spelling or a known alias; else "". */
export function suggestChoice(value: unknown, choices: readonly string[]): string {
  if (typeof value !== "string") return "";
  const alias = ALIASES[squashName(value)];
  if (alias !== undefined && choices.includes(alias) && alias !== value) return ` (did you mean "${alias}"?)`;
  return didYouMean(value, choices);
}

/** A short rendering of a JSON value for messages: `"relux"`, `5`, `an object`, `nothing`. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  // JSON.parse reads 1e400 as Infinity, which JSON.stringify would print as null.
  if (typeof value === "number" && !Number.isFinite(value)) {
    return `${value} (a number beyond float64's range)`;
  }
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
}
