import { describe, expect, it } from "vitest";
import { memoryFileSource } from "../../src/io.ts";
import { loadScenario, parseScenario } from "../../src/scenario/load.ts";
import { diskFileSource, fixture, inputError } from "../data/_helpers.ts";

const source = memoryFileSource({});
const base = {
  name: "x",
  data: { generate: { kind: "moons" } },
  model: { layers: [{ units: 1, activation: "sigmoid" }] },
  loss: "binary-crossentropy",
};
const parse = (value: unknown) => parseScenario(JSON.stringify(value, null, 2), "/s/sc.json", source);
const fails = (value: unknown) => inputError(() => parse(value));

describe("parseScenario defaults and shorthands", () => {
  it("fills every default of CONTRACT §2", () => {
    const s = parse(base);
    expect(s.seed).toBe(0);
    expect(s.description).toBe("");
    expect(s.task).toBeUndefined();
    expect(s.validation).toEqual({ kind: "split", fraction: 0.2, shuffle: true, stratify: false });
    expect(s.model.init).toEqual({ kind: "glorot-uniform" });
    expect(s.model.layers[0]).toEqual({ type: "dense", units: 1, activation: "sigmoid", dropout: 0 });
    expect(s.loss).toEqual({ name: "binary-crossentropy", fromLogits: false, reduction: "mean", delta: 1 });
    expect(s.training).toEqual({ epochs: 10, batchSize: 32, shuffle: true, sameBatchEveryStep: false });
    expect(s.metrics).toEqual([]);
    expect(s.path).toBe("/s/sc.json");
    expect(s.data).toEqual({
      kind: "generate",
      generator: { kind: "moons", samples: 600, features: 2, classes: 2, noise: 0.1, params: {} },
      transforms: [],
    });
  });

  it("uses Keras's learning rates per optimizer", () => {
    expect(parse({ ...base, optimizer: "sgd" }).optimizer).toEqual({
      name: "sgd",
      learningRate: 0.01,
      momentum: 0,
    });
    expect(parse({ ...base, optimizer: "adam" }).optimizer).toEqual({
      name: "adam",
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(parse({ ...base, optimizer: { name: "rmsprop", learningRate: 0.1 } }).optimizer).toEqual({
      name: "rmsprop",
      learningRate: 0.1,
      rho: 0.9,
      epsilon: 1e-7,
    });
  });

  it("expands metric shorthands, resolves paths and converts init forms", () => {
    const s = parse({
      ...base,
      data: { csv: "data/t.csv", target: "y", features: ["a"] },
      validation: { npy: { features: "../v/x.npy", target: "/abs/y.npy" } },
      metrics: ["accuracy", { name: "recall", threshold: 0.3 }, { name: "mine", module: "./m.ts" }],
      model: { layers: [{ units: 1 }], init: { normal: { std: 0.5 } } },
    });
    expect(s.data).toEqual({
      kind: "csv",
      path: "/s/data/t.csv",
      target: ["y"],
      features: ["a"],
      transforms: [],
    });
    expect(s.validation).toEqual({
      kind: "data",
      data: { kind: "npy", features: "/v/x.npy", target: "/abs/y.npy", transforms: [] },
    });
    expect(s.metrics).toEqual([
      { name: "accuracy", threshold: 0.5 },
      { name: "recall", threshold: 0.3 },
      { name: "mine", threshold: 0.5, module: "/s/m.ts" },
    ]);
    expect(s.model.init).toEqual({ kind: "normal", std: 0.5 });
    expect(parse({ ...base, model: { layers: [{ units: 1 }], init: { constant: 0.1 } } }).model.init).toEqual(
      {
        kind: "constant",
        value: 0.1,
      },
    );
  });

  it("fills transform and generator parameter defaults; null validation and inline rows with null", () => {
    const s = parse({
      ...base,
      validation: null,
      data: {
        rows: [[1, null, 0], [2, 3, 1]],
        target: 2,
        transforms: [{ op: "label-noise" }, { op: "nan", column: "c0" }],
      },
    });
    expect(s.validation).toBeNull();
    expect(s.data.kind).toBe("rows");
    if (s.data.kind !== "rows") throw new Error("unreachable");
    expect(s.data.rows[0][1]).toBeNaN();
    expect(s.data.target).toEqual([2]);
    expect(s.data.transforms).toEqual([{ op: "label-noise", fraction: 0.2 }, {
      op: "nan",
      fraction: 0.05,
      column: "c0",
    }]);
    const g = parse({ ...base, data: { generate: { kind: "blobs", classes: 4, spread: 3 } } }).data;
    expect(g).toMatchObject({
      generator: { kind: "blobs", samples: 600, features: 2, classes: 4, noise: 1, params: { spread: 3 } },
    });
  });
});

describe("parseScenario errors name the file, line, key path and value", () => {
  const cases: Array<[string, unknown, { line: number; field: string }, string]> = [
    ["unknown key with a suggestion", { ...base, optimizer: { name: "sgd", learning_rate: 0.1 } }, {
      line: 19,
      field: "optimizer.learning_rate",
    }, 'unknown key "learning_rate" (did you mean "learningRate"?)'],
    ["unknown top-level key", { ...base, epochs: 3 }, { line: 17, field: "epochs" }, 'unknown key "epochs"'],
    ["wrong type", { ...base, model: { layers: [{ units: "3" }] } }, {
      line: 11,
      field: "model.layers[0].units",
    }, 'expected a number, got "3"'],
    [
      "non-integer",
      { ...base, training: { batchSize: 2.5 } },
      { line: 18, field: "training.batchSize" },
      "expected an integer, got 2.5",
    ],
    ["units < 1", { ...base, model: { layers: [{ units: 0 }] } }, {
      line: 11,
      field: "model.layers[0].units",
    }, "0 is out of range: must be >= 1"],
    ["dropout 1", { ...base, model: { layers: [{ units: 2, dropout: 1 }] } }, {
      line: 12,
      field: "model.layers[0].dropout",
    }, "1 is out of range: must be < 1"],
    [
      "fraction 0",
      { ...base, validation: { fraction: 0 } },
      { line: 18, field: "validation.fraction" },
      "0 is out of range: must be > 0",
    ],
    [
      "epochs 0",
      { ...base, training: { epochs: 0 } },
      { line: 18, field: "training.epochs" },
      "0 is out of range: must be >= 1",
    ],
    ["lr <= 0", { ...base, optimizer: { name: "adam", learningRate: 0 } }, {
      line: 19,
      field: "optimizer.learningRate",
    }, "0 is out of range: must be > 0"],
    [
      "bad name",
      { ...base, name: "My Scenario" },
      { line: 2, field: "name" },
      '"My Scenario" is not a valid name',
    ],
    ["zero layers", { ...base, model: { layers: [] } }, { line: 9, field: "model.layers" }, "zero layers"],
    ["unknown activation", { ...base, model: { layers: [{ units: 2, activation: "relux" }] } }, {
      line: 12,
      field: "model.layers[0].activation",
    }, '"relux" is not one of linear, relu'],
    [
      "unknown loss shorthand",
      { ...base, loss: "crossentropy" },
      { line: 16, field: "loss" },
      '"crossentropy" is not one of mse',
    ],
    [
      "unknown optimizer",
      { ...base, optimizer: "adamw" },
      { line: 17, field: "optimizer" },
      'unknown optimizer "adamw"',
    ],
    [
      "unknown metric",
      { ...base, metrics: ["prec"] },
      { line: 18, field: "metrics[0]" },
      'unknown metric "prec"',
    ],
    ["unknown finding code", { ...base, expect: { findings: ["nope"] } }, {
      line: 19,
      field: "expect.findings[0]",
    }, '"nope" is not one of loss-task-mismatch'],
    ["unknown transform op", {
      ...base,
      data: { generate: { kind: "blobs" }, transforms: [{ op: "shuffle" }] },
    }, {
      line: 9,
      field: "data.transforms[0].op",
    }, 'unknown transform "shuffle"'],
    ["unknown transform parameter", {
      ...base,
      data: { generate: { kind: "blobs" }, transforms: [{ op: "nan", frac: 0.1 }] },
    }, {
      line: 10,
      field: "data.transforms[0].frac",
    }, 'unknown key "frac"'],
    [
      "transform parameter out of range",
      {
        ...base,
        data: { generate: { kind: "blobs" }, transforms: [{ op: "label-noise", fraction: 2 }] },
      },
      { line: 10, field: "data.transforms[0].fraction" },
      "2 is out of range: must be <= 1",
    ],
    ["unknown generator", { ...base, data: { generate: { kind: "blob" } } }, {
      line: 5,
      field: "data.generate.kind",
    }, 'unknown generator "blob"'],
    ["fixed class count", { ...base, data: { generate: { kind: "moons", classes: 3 } } }, {
      line: 6,
      field: "data.generate.classes",
    }, "moons makes exactly 2 classes"],
    [
      "data spec of no known kind",
      { ...base, data: { file: "x.csv" } },
      { line: 3, field: "data" },
      'expected a data spec: an object with one of "csv"',
    ],
    ["ragged inline rows", { ...base, data: { rows: [[1, 2, 0], [1, 2]], target: 2 } }, {
      line: 10,
      field: "data.rows[1]",
    }, "ragged row: expected 3 values (as in rows[0]) but got 2"],
    ["inline target out of range", { ...base, data: { rows: [[1, 2, 0]], target: 3 } }, {
      line: 11,
      field: "data.target",
    }, "target column 3 is out of range"],
    [
      "missing required key",
      { name: "x", data: base.data, model: base.model },
      { line: 1, field: "loss" },
      "missing required key",
    ],
  ];
  for (const [title, value, where, message] of cases) {
    it(title, async () => {
      const e = await fails(value);
      expect(e.location.file).toBe("/s/sc.json");
      expect(e.location.field).toBe(where.field);
      expect(e.location.line).toBe(where.line);
      expect(e.problem).toContain(message);
    });
  }

  it("JSON syntax errors give the line and column", async () => {
    const e = await inputError(() =>
      parseScenario('{\n  "name": "x",\n  "seed": 1,,\n}', "/s/sc.json", source)
    );
    expect(e.location).toEqual({ file: "/s/sc.json", line: 3, column: 13 });
    expect(e.message).toMatch(/^\/s\/sc\.json: line 3:13: JSON syntax error: /);
    const end = await inputError(() => parseScenario('{\n  "name": "x"', "/s/sc.json", source));
    expect(end.location.line).toBe(2);
  });

  it("a missing scenario file is an InputError naming it", async () => {
    const e = await inputError(() => loadScenario("/nope.json", source));
    expect(e.location.file).toBe("/nope.json");
  });
});

describe("the example scenarios", () => {
  it("load from disk with paths resolved against the scenario file", async () => {
    const s = await loadScenario(fixture("scenarios/species-csv.json"), diskFileSource());
    expect(s.data).toMatchObject({ kind: "csv", path: fixture("data/species.csv"), target: ["species"] });
    const n = await loadScenario(fixture("scenarios/regression-npy.json"), diskFileSource());
    expect(n.data).toMatchObject({ kind: "npy", features: fixture("data/reg_x.npy") });
    expect(n.optimizer).toEqual({ name: "sgd", learningRate: 0.01, momentum: 0 });
    const g = await loadScenario(fixture("scenarios/sorted-moons.json"), diskFileSource());
    expect(g.expect?.findings).toEqual(["unshuffled-data", "split-distribution-shift"]);
  });
});
