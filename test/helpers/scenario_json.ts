/**
 * Test-only writer of a resolved {@linkcode Scenario} back to scenario-file JSON (CONTRACT §2), every
 * default spelled out and every path absolute, and a fast-check arbitrary of valid scenario files.
 * Together they give the scenario loader a round-trip property: parse ∘ write ∘ parse = parse.
 */
import fc from "fast-check";
import { GENERATORS, type ParamSpec, TRANSFORM_OPS, TRANSFORMS } from "../../src/data/specs.ts";
import { METRIC_NAMES } from "../../src/reference/metrics.ts";
import { FINDING_CODES } from "../../src/report/types.ts";
import { TASKS } from "../../src/scenario/schema.ts";
import { ACTIVATIONS, type DataSpec, type Init, LOSSES, type Scenario } from "../../src/scenario/types.ts";

type Json = Record<string, unknown>;

/** The scenario as a scenario file would say it, with nothing left to a default. */
export function scenarioToJson(s: Scenario): Json {
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    ...(s.task ? { task: s.task } : {}),
    data: dataSpecToJson(s.data),
    validation: s.validation === null
      ? null
      : s.validation.kind === "split"
      ? { fraction: s.validation.fraction, shuffle: s.validation.shuffle, stratify: s.validation.stratify }
      : dataSpecToJson(s.validation.data),
    model: { layers: s.model.layers.map((l) => ({ ...l })), init: initToJson(s.model.init) },
    loss: { ...s.loss },
    optimizer: { ...s.optimizer },
    training: { ...s.training },
    metrics: s.metrics.map((m) => ({ ...m })),
    ...(s.expect ? { expect: { findings: [...s.expect.findings] } } : {}),
  };
}

function dataSpecToJson(d: DataSpec): Json {
  const transforms = d.transforms.map((t) => ({ ...t }));
  switch (d.kind) {
    case "csv":
      return { csv: d.path, target: d.target, ...(d.features ? { features: d.features } : {}), transforms };
    case "npy":
      return { npy: { features: d.features, target: d.target }, transforms };
    case "npz":
      return { npz: { file: d.path, features: d.features, target: d.target }, transforms };
    case "parquet":
      return {
        parquet: d.path,
        target: d.target,
        ...(d.features ? { features: d.features } : {}),
        transforms,
      };
    case "rows":
      // JSON has no NaN: null stands for a missing value in an inline row.
      return {
        rows: d.rows.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))),
        target: d.target,
        transforms,
      };
    case "generate": {
      const { params, ...common } = d.generator;
      return { generate: { ...common, ...params }, transforms };
    }
  }
}

function initToJson(init: Init): unknown {
  switch (init.kind) {
    case "constant":
      return { constant: init.value };
    case "normal":
      return { normal: { std: init.std } };
    default:
      return init.kind;
  }
}

// ------------------------------------------------------------------------------ valid scenario files

/** A finite double, bounded so that JSON text keeps it exactly (every finite double qualifies). */
const anyNumber = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });

/** A value the parameter's table entry accepts. */
function paramValue(spec: ParamSpec): fc.Arbitrary<unknown> {
  switch (spec.type) {
    case "boolean":
      return fc.boolean();
    case "column":
      return fc.oneof(fc.nat(20), fc.string({ minLength: 1, maxLength: 6 }));
    case "integer":
      return fc.integer({
        min: spec.min === undefined ? -1000 : spec.min + (spec.minExclusive ? 1 : 0),
        max: spec.max === undefined ? 1000 : spec.max - (spec.maxExclusive ? 1 : 0),
      });
    case "number":
      return fc.double({
        noNaN: true,
        noDefaultInfinity: true,
        min: spec.min ?? -1e6,
        max: spec.max ?? 1e6,
        minExcluded: spec.minExclusive ?? false,
        maxExcluded: spec.maxExclusive ?? false,
      });
  }
}

/** Any subset of a parameter table's keys, each with a valid value. */
function params(table: Record<string, ParamSpec>): fc.Arbitrary<Json> {
  const shape = Object.fromEntries(Object.entries(table).map(([k, spec]) => [k, paramValue(spec)]));
  return fc.record(shape, { requiredKeys: [] }) as fc.Arbitrary<Json>;
}

const transform: fc.Arbitrary<Json> = fc.constantFrom(...TRANSFORM_OPS).chain((op): fc.Arbitrary<Json> => {
  if (op !== "imbalance") return params(TRANSFORMS[op]).map((p) => ({ op, ...p }));
  // imbalance takes {ratio} or {class, keep}, not both (schema.ts).
  const { class: cls, keep, ratio } = TRANSFORMS.imbalance;
  return fc.oneof(
    fc.constant({ op }),
    paramValue(ratio).map((r) => ({ op, ratio: r })),
    fc.tuple(paramValue(cls), paramValue(keep)).map(([c, k]) => ({ op, class: c, keep: k })),
  );
});

const transforms = fc.option(fc.array(transform, { maxLength: 3 }), { nil: undefined });

const withTransforms = (spec: Json, t: Json[] | undefined): Json => (t ? { ...spec, transforms: t } : spec);

const generator: fc.Arbitrary<Json> = fc.constantFrom(
  ...(Object.keys(GENERATORS) as (keyof typeof GENERATORS)[]),
)
  .chain((kind) => {
    const t = GENERATORS[kind];
    return fc.record({
      kind: fc.constant(kind),
      samples: fc.integer({ min: 1, max: 5000 }),
      // Some generators need more (shapes: a square image of at least 4×4 pixels).
      features: fc.integer({ min: t.minFeatures, max: Math.max(12, t.minFeatures) }),
      classes: t.fixedClasses === undefined ? fc.integer({ min: 1, max: 10 }) : fc.constant(t.fixedClasses),
      noise: fc.double({ noNaN: true, min: 0, max: 10 }),
    }, { requiredKeys: ["kind"] }).chain((common) => params(t.params).map((p) => ({ ...common, ...p })));
  });

const relativePath = (ext: string) =>
  fc.constantFrom(`data/train.${ext}`, `x.${ext}`, `../shared/a b.${ext}`, `./d/y.${ext}`);

const columnName = fc.string({ minLength: 1, maxLength: 8 });

const inlineRows = fc.integer({ min: 2, max: 5 }).chain((width) =>
  fc.record({
    rows: fc.array(fc.array(fc.option(anyNumber, { nil: null }), { minLength: width, maxLength: width }), {
      minLength: 1,
      maxLength: 6,
    }),
    target: fc.oneof(
      fc.integer({ min: 0, max: width - 1 }),
      fc.uniqueArray(fc.integer({ min: 0, max: width - 1 }), { minLength: 1, maxLength: width - 1 }),
    ),
  })
);

/** Any valid DataSpec as a user writes it. */
export const dataSpecJson: fc.Arbitrary<Json> = fc.tuple(
  fc.oneof(
    fc.record({
      csv: relativePath("csv"),
      target: fc.oneof(columnName, fc.array(columnName, { minLength: 1, maxLength: 3 })),
      features: fc.array(columnName, { minLength: 1, maxLength: 3 }),
    }, { requiredKeys: ["csv", "target"] }),
    fc.record({ npy: fc.record({ features: relativePath("npy"), target: relativePath("npy") }) }),
    inlineRows,
    generator.map((g) => ({ generate: g })),
  ),
  transforms,
).map(([spec, t]) => withTransforms(spec, t));

const layer = fc.record({
  units: fc.integer({ min: 1, max: 256 }),
  activation: fc.constantFrom(...ACTIVATIONS),
  dropout: fc.double({ noNaN: true, min: 0, max: 1, maxExcluded: true }),
}, { requiredKeys: ["units"] });

const init = fc.oneof(
  fc.constantFrom("glorot-uniform", "he-normal", "zeros"),
  anyNumber.map((c) => ({ constant: c })),
  fc.double({ noNaN: true, min: 0, max: 100, minExcluded: true }).map((std) => ({ normal: { std } })),
);

const positive = fc.double({ noNaN: true, min: 0, max: 10, minExcluded: true });
const unitInterval = fc.double({ noNaN: true, min: 0, max: 1, maxExcluded: true });

const loss = fc.constantFrom(...LOSSES).chain((name) =>
  fc.oneof(
    fc.constant(name),
    fc.record({
      name: fc.constant(name),
      fromLogits: fc.boolean(),
      reduction: fc.constantFrom("mean", "sum"),
      delta: positive,
    }, { requiredKeys: ["name"] }),
  )
);

const optimizer = fc.oneof(
  fc.constantFrom("sgd", "adam", "rmsprop"),
  fc.record({ name: fc.constant("sgd"), learningRate: positive, momentum: unitInterval }, {
    requiredKeys: ["name"],
  }),
  fc.record({
    name: fc.constant("adam"),
    learningRate: positive,
    beta1: unitInterval,
    beta2: unitInterval,
    epsilon: positive,
  }, { requiredKeys: ["name"] }),
  fc.record({ name: fc.constant("rmsprop"), learningRate: positive, rho: unitInterval, epsilon: positive }, {
    requiredKeys: ["name"],
  }),
);

const metric = fc.oneof(
  fc.constantFrom(...METRIC_NAMES),
  fc.record({ name: fc.constantFrom(...METRIC_NAMES), threshold: anyNumber }, { requiredKeys: ["name"] }),
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }),
    module: fc.constantFrom("m.ts", "../metrics/f.ts"),
  }),
);

/** Any valid scenario file (as a JSON object), optional keys present or not. */
export const scenarioJson: fc.Arbitrary<Json> = fc.record({
  name: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
  description: fc.string({ maxLength: 20 }),
  seed: fc.integer(),
  task: fc.constantFrom(...TASKS),
  data: dataSpecJson,
  validation: fc.oneof(
    fc.constant(null),
    fc.record({
      fraction: fc.double({ noNaN: true, min: 0, max: 1, minExcluded: true, maxExcluded: true }),
      shuffle: fc.boolean(),
      stratify: fc.boolean(),
    }, { requiredKeys: [] }),
    dataSpecJson,
  ),
  model: fc.record({ layers: fc.array(layer, { minLength: 1, maxLength: 4 }), init }, {
    requiredKeys: ["layers"],
  }),
  loss,
  optimizer,
  training: fc.record({
    epochs: fc.integer({ min: 1, max: 200 }),
    batchSize: fc.integer({ min: 1, max: 1024 }),
    shuffle: fc.boolean(),
    sameBatchEveryStep: fc.boolean(),
  }, { requiredKeys: [] }),
  metrics: fc.array(metric, { maxLength: 4 }),
  expect: fc.record({ findings: fc.subarray([...FINDING_CODES]) }),
}, { requiredKeys: ["name", "data", "model", "loss"] });
