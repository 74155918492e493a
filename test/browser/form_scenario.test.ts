// The playground's CSV form: its values become a scenario through the same schema as a scenario
// file, and its mistakes are reported against the form's fields.
import { describe, expect, test } from "vitest";
import {
  csvColumns,
  formToScenarioJson,
  parseFormScenario,
  type PlaygroundForm,
  scenarioName,
  uploadPath,
} from "../../src/browser/form_scenario.ts";
import { loadScenarioData } from "../../src/data/load.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { DenseLayerSpec } from "../../src/layers/mod.ts";

const CSV = "x1,x2,label\n0.1,1,a\n0.2,2,b\n0.3,3,a\n0.4,4,c\n";

function form(overrides: Partial<PlaygroundForm> = {}): PlaygroundForm {
  return {
    csvName: "My Data.csv",
    target: ["label"],
    layers: [{ units: "16", activation: "relu" }, { units: "3", activation: "softmax" }],
    loss: "categorical-crossentropy",
    optimizer: "adam",
    learningRate: "",
    epochs: "7",
    batchSize: "8",
    metrics: "accuracy, f1",
    ...overrides,
  };
}

const source = () => memoryFileSource({ [uploadPath("My Data.csv")]: CSV });

describe("form scenario", () => {
  test("valid values give the resolved scenario, with Keras defaults where left blank", async () => {
    const s = parseFormScenario(form(), source());
    expect(s.name).toBe("my-data");
    expect(s.data).toMatchObject({ kind: "csv", path: "/upload/My Data.csv", target: ["label"] });
    expect((s.model.layers as DenseLayerSpec[]).map((l) => [l.units, l.activation])).toEqual([[16, "relu"], [
      3,
      "softmax",
    ]]);
    expect(s.optimizer).toMatchObject({ name: "adam", learningRate: 0.001 });
    expect(s.training).toMatchObject({ epochs: 7, batchSize: 8, shuffle: true });
    expect(s.metrics.map((m) => m.name)).toEqual(["accuracy", "f1"]);
    expect(s.task).toBeUndefined(); // inferred later, and reported as inferred
    // The data loads through the same loader as the CLI's: string classes in sorted order.
    const data = await loadScenarioData(s, source());
    expect(data.train.rows + (data.validation?.rows ?? 0)).toBe(4);
  });

  test("a value that is not a number is named with its field, not with JSON line numbers", () => {
    const error = (() => {
      try {
        parseFormScenario(form({ layers: [{ units: "lots", activation: "relu" }] }), source());
      } catch (e) {
        return e;
      }
    })() as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('form: field "model.layers[0].units": expected a number, got "lots"');
  });

  test("out-of-range values and unknown names are refused by the schema", () => {
    expect(() => parseFormScenario(form({ epochs: "0" }), source())).toThrow(/field "training\.epochs"/);
    expect(() => parseFormScenario(form({ learningRate: "-1" }), source())).toThrow(/learningRate/);
    expect(() => parseFormScenario(form({ metrics: "acuracy" }), source())).toThrow(/acuracy/);
    expect(() => parseFormScenario(form({ layers: [] }), source())).toThrow(/zero layers/);
  });

  test("no target column chosen", () => {
    expect(() => parseFormScenario(form({ target: [] }), source())).toThrow(
      'form: field "data.target": choose at least one target column',
    );
  });

  test("several targets stay a list; a task, fromLogits and features pass through", () => {
    const json = formToScenarioJson(
      form({ target: ["a", "b"], task: "multilabel", fromLogits: true, features: ["x1"] }),
    );
    expect(json.data).toEqual({ csv: "My Data.csv", target: ["a", "b"], features: ["x1"] });
    expect(json.task).toBe("multilabel");
    expect(json.loss).toEqual({ name: "categorical-crossentropy", fromLogits: true });
  });

  test("scenario names from file names", () => {
    expect(scenarioName("House_Prices 2024.csv")).toBe("house-prices-2024");
    expect(scenarioName("___.csv")).toBe("uploaded-csv");
    expect(uploadPath("a/b.csv")).toBe("/upload/a_b.csv");
  });

  test("csvColumns lists the columns with their kind and distinct counts", async () => {
    expect(await csvColumns("d.csv", CSV)).toEqual([
      { name: "x1", numeric: true, distinct: 4 },
      { name: "x2", numeric: true, distinct: 4 },
      { name: "label", numeric: false, distinct: 3 },
    ]);
    await expect(csvColumns("d.csv", "1,2\n3,4\n")).rejects.toBeInstanceOf(InputError);
  });
});
