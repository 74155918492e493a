/**
 * The imported model as scenario JSON: folding into the v1 form, the LogSoftmax rule, flags over the file
 * with provenance, and the settings neither gives.
 */
import { describe, expect, it } from "vitest";
import { fold, modelScenario } from "../../src/import/scenario.ts";
import type { ImportedModel, LayerParams } from "../../src/import/types.ts";
import { isInputError } from "../../src/errors.ts";

const p = (rows: number, units: number): LayerParams => ({
  arrays: {
    kernel: { shape: [rows, units], data: new Float64Array(rows * units) },
    bias: { shape: [units], data: new Float64Array(units) },
  },
});

function model(overrides: Partial<ImportedModel> = {}): ImportedModel {
  return {
    format: "onnx",
    file: "/m/net.onnx",
    inputShape: [4],
    layers: [
      { type: "dense", units: 8, activation: "linear" },
      { type: "activation", activation: "relu" },
      { type: "dropout", rate: 0.2 },
      { type: "dense", units: 3, activation: "linear" },
      { type: "activation", activation: "softmax" },
    ],
    params: [p(4, 8), null, null, p(8, 3), null],
    compile: { unsupported: {} },
    notes: [],
    ...overrides,
  };
}
const FLAGS = {
  train: "/d/train.csv",
  target: ["y"],
  loss: "sparse-categorical-crossentropy",
  optimizer: "adam",
};

describe("modelScenario", () => {
  it("folds activations and dropout into the dense layer before them, in the v1 form", () => {
    const m = model();
    expect(fold(m.layers, m.params).map((f) => f.json)).toEqual([
      { units: 8, activation: "relu", dropout: 0.2 },
      { units: 3, activation: "softmax" },
    ]);
  });
  it("keeps what cannot fold as typed layers", () => {
    const layers = [
      { type: "conv2d", filters: 2, kernelSize: 3, padding: "same", activation: "linear" },
      { type: "batchnorm" },
      { type: "activation", activation: "relu" },
      { type: "flatten" },
      { type: "dropout", rate: 0.5 },
      { type: "dense", units: 2, activation: "linear" },
    ];
    expect(fold(layers, layers.map(() => null)).map((f) => f.json)).toEqual(layers.map((l) => {
      if (l.type !== "dense") return l;
      const { type: _t, ...rest } = l;
      return rest;
    }));
  });
  it("a from-logits loss on LogSoftmax outputs trains on the logits; NLLLoss keeps the softmax", () => {
    const m = model({ outputTransform: "log" });
    const ce = modelScenario(m, { ...FLAGS, loss: "CrossEntropyLoss" }).json as {
      model: { layers: { activation: string }[] };
    };
    expect(ce.model.layers.at(-1)!.activation).toBe("linear");
    const nll = modelScenario(m, { ...FLAGS, loss: "NLLLoss" }).json as {
      model: { layers: { activation: string }[] };
    };
    expect(nll.model.layers.at(-1)!.activation).toBe("softmax");
  });
  it("an ONNX model's optimizer gets torch.optim's defaults, not Keras's", () => {
    const built = modelScenario(model(), { ...FLAGS, optimizer: "rmsprop" });
    expect(built.json.optimizer).toEqual({ name: "rmsprop", learningRate: 0.01, rho: 0.99, epsilon: 1e-8 });
    expect(built.provenance.find((s) => s.setting === "optimizer")!.from).toMatch(/torch\.optim's defaults/);
  });
  it("a flag overrides the file and provenance says which came from where", () => {
    const m = model({
      format: "keras",
      file: "/m/m.keras",
      compile: {
        unsupported: {},
        loss: { value: { name: "mse" }, from: "config.json compile_config.loss" },
        optimizer: {
          value: { name: "adam", learningRate: 0.005 },
          from: "config.json compile_config.optimizer",
        },
      },
    });
    const built = modelScenario(m, { train: "/d/t.csv", target: ["y"], learningRate: 0.1 });
    expect(built.json.loss).toBe("mse");
    expect(built.json.optimizer).toEqual({ name: "adam", learningRate: 0.1 });
    const from = Object.fromEntries(built.provenance.map((s) => [s.setting, s.from]));
    expect(from.loss).toBe("m.keras config.json compile_config.loss");
    expect(from.optimizer).toBe("m.keras config.json compile_config.optimizer, --learning-rate");
    expect(from["training.epochs"]).toMatch(/fitcheck default/);
  });
  it("a setting neither the file nor a flag gives is an InputError naming the flag", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ loss: undefined }, "--loss"],
      [{ optimizer: undefined }, "--optimizer"],
      [{ optimizer: "sgd" }, "--learning-rate"],
    ];
    for (const [change, flag] of cases) {
      try {
        modelScenario(model(), { ...FLAGS, ...change } as typeof FLAGS);
        expect.unreachable(flag);
      } catch (e) {
        expect(isInputError(e)).toBe(true);
        expect((e as { location: { field: string } }).location.field).toBe(flag);
      }
    }
  });
  it("an ONNX image graph's data gets the channels-last transform", () => {
    const built = modelScenario(
      model({
        inputShape: [8, 8, 1],
        fileInputShape: [1, 8, 8],
        layers: [{ type: "flatten" }, { type: "dense", units: 3, activation: "linear" }],
        params: [null, p(64, 3)],
      }),
      { ...FLAGS, train: "/d/x.npy", target: ["/d/y.npy"] },
    );
    expect(built.json.data).toEqual({
      npy: { features: "/d/x.npy", target: "/d/y.npy" },
      transforms: [{ op: "channels-last", channels: 1 }],
    });
    expect((built.json.model as { input: unknown }).input).toEqual({ shape: [8, 8, 1] });
  });
});
