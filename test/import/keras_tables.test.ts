/**
 * The Keras tables entry by entry: every layer class maps to the §7.2 entry, output shape and variable
 * layout the contract and Keras define; every loss / optimizer / metric / initializer spelling of Keras 3,
 * tf.keras 2 and tfjs maps to the scenario's. A class added to the table without a case here fails.
 */
import { describe, expect, it } from "vitest";
import { KERAS_LAYER_NAMES, mapKerasLayer } from "../../src/import/keras_layers.ts";
import { mapInitializer, mapLoss, mapMetrics, mapOptimizer } from "../../src/import/keras_compile.ts";
import { savingLibNames } from "../../src/import/keras_model.ts";
import { isInputError } from "../../src/errors.ts";

// Rescaling maps only as the first layer; every other case sits at position 2.
const ctx = (className: string, input: number[]) => ({
  name: "l",
  className,
  position: className === "Rescaling" ? 1 : 2,
  input,
  file: "/m.keras",
});
const arr = (shape: number[]) => ({
  shape,
  data: new Float64Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => i),
});

/** class, config, input shape -> entry, output shape, variables. */
const CASES: [
  string,
  Record<string, unknown>,
  number[],
  Record<string, unknown> | null,
  number[],
  string[],
][] = [
  ["Dense", { units: 5, activation: "relu" }, [3], { type: "dense", units: 5, activation: "relu" }, [5], [
    "kernel",
    "bias",
  ]],
  ["Dropout", { rate: 0.25 }, [3], { type: "dropout", rate: 0.25 }, [3], []],
  ["Activation", { activation: "tanh" }, [3], { type: "activation", activation: "tanh" }, [3], []],
  ["ReLU", {}, [3], { type: "activation", activation: "relu" }, [3], []],
  ["Softmax", {}, [3], { type: "activation", activation: "softmax" }, [3], []],
  ["Flatten", {}, [4, 4, 2], { type: "flatten" }, [32], []],
  ["Rescaling", { scale: 1 / 255, offset: 0 }, [8, 8, 1], null, [8, 8, 1], []],
  [
    "Conv2D",
    { filters: 6, kernel_size: [3, 3], strides: [1, 1], padding: "same", activation: "relu" },
    [8, 8, 1],
    {
      type: "conv2d",
      filters: 6,
      kernelSize: 3,
      strides: 1,
      padding: "same",
      activation: "relu",
    },
    [8, 8, 6],
    ["kernel", "bias"],
  ],
  [
    "MaxPooling2D",
    { pool_size: [2, 2], strides: [2, 2], padding: "valid" },
    [8, 8, 6],
    {
      type: "maxpool2d",
      poolSize: 2,
    },
    [4, 4, 6],
    [],
  ],
  [
    "AveragePooling2D",
    { pool_size: [2, 2], strides: [1, 1] },
    [5, 5, 2],
    {
      type: "avgpool2d",
      poolSize: 2,
      strides: 1,
    },
    [4, 4, 2],
    [],
  ],
  ["GlobalAveragePooling2D", {}, [4, 4, 6], { type: "global-avgpool2d" }, [6], []],
  ["GlobalAveragePooling1D", {}, [7, 4], { type: "global-avgpool1d" }, [4], []],
  ["BatchNormalization", { axis: -1 }, [4, 4, 6], { type: "batchnorm" }, [4, 4, 6], [
    "gamma",
    "beta",
    "moving_mean",
    "moving_variance",
  ]],
  ["Embedding", { input_dim: 20, output_dim: 4 }, [6], { type: "embedding", inputDim: 20, outputDim: 4 }, [
    6,
    4,
  ], [
    "embeddings",
  ]],
  [
    "Conv1D",
    { filters: 3, kernel_size: [2], strides: [1], padding: "valid" },
    [7, 4],
    {
      type: "conv1d",
      filters: 3,
      kernelSize: 2,
      strides: 1,
      padding: "valid",
      activation: "linear",
    },
    [6, 3],
    ["kernel", "bias"],
  ],
];

describe("Keras layer table", () => {
  it("has a case for every class", () => {
    expect(KERAS_LAYER_NAMES.filter((n) => !CASES.some((c) => c[0] === n))).toEqual([]);
  });
  for (const [cls, config, input, entry, output, variables] of CASES) {
    it(`${cls} -> ${entry?.type}`, () => {
      const m = mapKerasLayer(cls, config, ctx(cls, input));
      expect(m.layer).toEqual(entry);
      expect(m.output).toEqual(output);
      expect(m.variables).toEqual(variables);
    });
  }
  it("Rescaling carries its scale to the data transform, and only as the first layer", () => {
    expect(mapKerasLayer("Rescaling", { scale: 0.5 }, ctx("Rescaling", [3])).inputScale).toBe(0.5);
    expect(() => mapKerasLayer("Rescaling", { scale: 0.5 }, { ...ctx("Rescaling", [3]), position: 2 }))
      .toThrow(
        /only as the first layer/,
      );
  });
  it("passes Keras's layouts through and checks each variable's shape", () => {
    const conv = mapKerasLayer(
      "Conv2D",
      { filters: 6, kernel_size: 3, padding: "valid" },
      ctx("Conv2D", [8, 8, 2]),
    );
    const p = conv.params!([arr([3, 3, 2, 6]), arr([6])]);
    expect(p.arrays.kernel.shape).toEqual([3, 3, 2, 6]);
    expect(p.arrays.kernel.data[7]).toBe(7);
    expect(() => conv.params!([arr([6, 2, 3, 3]), arr([6])])).toThrow(
      /kernel has shape \[6,2,3,3\] where the config implies \[3,3,2,6\]/,
    );
    const dense = mapKerasLayer("Dense", { units: 2, use_bias: false }, ctx("Dense", [3]));
    expect(dense.variables).toEqual(["kernel"]);
    expect(Array.from(dense.params!([arr([3, 2])]).arrays.bias.data)).toEqual([0, 0]);
  });
  it("reads the L2 kernel regularizer and refuses others", () => {
    const l2 = { class_name: "L2", config: { l2: 0.0005 } };
    expect(mapKerasLayer("Dense", { units: 2, kernel_regularizer: l2 }, ctx("Dense", [3])).layer).toEqual({
      type: "dense",
      units: 2,
      activation: "linear",
      l2: 0.0005,
    });
    expect(() =>
      mapKerasLayer(
        "Dense",
        { units: 2, kernel_regularizer: { class_name: "L1", config: { l1: 0.1 } } },
        ctx("Dense", [3]),
      )
    ).toThrow(/kernel_regularizer L1 is not supported/);
  });
  it("an unknown class or activation is an InputError naming layer, class, position and the supported list", () => {
    try {
      mapKerasLayer("LSTM", {}, ctx("LSTM", [3]));
      expect.unreachable();
    } catch (e) {
      expect(isInputError(e)).toBe(true);
      expect((e as Error).message).toMatch(
        /layer 2 "l" \(LSTM\): unsupported layer class LSTM: supported are Dense, Dropout/,
      );
    }
    expect(() => mapKerasLayer("Dense", { units: 2, activation: "gelu" }, ctx("Dense", [3]))).toThrow(
      /unsupported activation "gelu"/,
    );
    expect(() => mapKerasLayer("Dense", { units: 2 }, ctx("Dense", [4, 4]))).toThrow(
      /put a Flatten before it/,
    );
  });
});

describe("Keras 3 weight paths", () => {
  it("name layers as saving_lib does: snake-case class, numbered per class, whatever the layer's own name", () => {
    expect(
      savingLibNames(["Dense", "Dropout", "Dense", "Conv2D", "MaxPooling2D", "BatchNormalization", "Dense"]),
    )
      .toEqual(["dense", "dropout", "dense_1", "conv2d", "max_pooling2d", "batch_normalization", "dense_2"]);
    expect(savingLibNames(["GlobalAveragePooling2D", "Conv1D"])).toEqual([
      "global_average_pooling2d",
      "conv1d",
    ]);
  });
});

describe("Keras compile table", () => {
  it.each([
    ["mse", { name: "mse" }],
    ["mean_squared_error", { name: "mse" }],
    ["meanSquaredError", { name: "mse" }],
    ["categorical_crossentropy", { name: "categorical-crossentropy" }],
    ["binary_crossentropy", { name: "binary-crossentropy" }],
    ["mae", { name: "mae" }],
    ["huber", { name: "huber" }],
    [{ class_name: "SparseCategoricalCrossentropy", config: { from_logits: true } }, {
      name: "sparse-categorical-crossentropy",
      fromLogits: true,
    }],
    [{ module: "keras.losses", class_name: "Huber", config: { delta: 2, reduction: "sum" } }, {
      name: "huber",
      delta: 2,
      reduction: "sum",
    }],
  ])("loss %j", (raw, want) => {
    expect(mapLoss(raw)).toEqual({ value: want });
  });
  it.each([
    ["CrossEntropyLoss", { name: "sparse-categorical-crossentropy", fromLogits: true }],
    ["BCEWithLogitsLoss", { name: "binary-crossentropy", fromLogits: true }],
    ["nn.BCELoss".slice(3), { name: "binary-crossentropy" }],
    ["NLLLoss", { name: "sparse-categorical-crossentropy" }],
    ["MSELoss", { name: "mse" }],
  ])("PyTorch's loss %s on the command line", (raw, want) => {
    expect(mapLoss(raw)).toEqual({ value: want });
  });
  it("an unknown loss is unsupported, with its name", () => {
    expect(mapLoss("kl_divergence")).toEqual({ unsupported: 'loss "kl_divergence"' });
  });
  it.each([
    ["adam", { name: "adam" }],
    [{
      class_name: "Adam",
      config: { learning_rate: 0.0010000000474974513, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
    }, {
      name: "adam",
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    }],
    [{ class_name: "Custom>Adam", config: { learning_rate: 0.002 } }, { name: "adam", learningRate: 0.002 }],
    [{ class_name: "Adam", config: { learningRate: 0.01, beta1: 0.8 } }, {
      name: "adam",
      learningRate: 0.01,
      beta1: 0.8,
    }],
    [{ class_name: "SGD", config: { learning_rate: 0.1, momentum: 0.9 } }, {
      name: "sgd",
      learningRate: 0.1,
      momentum: 0.9,
    }],
    [{ class_name: "RMSprop", config: { learning_rate: 0.001, rho: 0.9 } }, {
      name: "rmsprop",
      learningRate: 0.001,
      rho: 0.9,
    }],
    [{ class_name: "Momentum", config: { learningRate: 0.05, momentum: 0.9, useNesterov: false } }, {
      name: "sgd",
      learningRate: 0.05,
      momentum: 0.9,
    }],
    [{ class_name: "RMSProp", config: { learningRate: 0.001, decay: 0.8 } }, {
      name: "rmsprop",
      learningRate: 0.001,
      rho: 0.8,
    }],
  ])("optimizer %j", (raw, want) => {
    const m = mapOptimizer(raw);
    expect("value" in m && m.value).toEqual(want);
  });
  it("Adagrad and AMSGrad are unsupported; a schedule is taken at its initial rate", () => {
    expect(mapOptimizer({ class_name: "Adagrad", config: {} })).toEqual({ unsupported: "optimizer Adagrad" });
    expect(mapOptimizer({ class_name: "Adam", config: { amsgrad: true } })).toHaveProperty("unsupported");
    const m = mapOptimizer({
      class_name: "SGD",
      config: { learning_rate: { class_name: "ExponentialDecay", config: { initial_learning_rate: 0.1 } } },
    });
    expect(m).toMatchObject({ value: { name: "sgd", learningRate: 0.1 } });
  });
  it("metrics: names, objects, tf.keras 2's nested wrappers; unknown ones named in a note", () => {
    expect(mapMetrics(["accuracy"]).value).toEqual(["accuracy"]);
    expect(
      mapMetrics([[{
        class_name: "MeanMetricWrapper",
        config: { name: "accuracy", fn: "categorical_accuracy" },
      }]]).value,
    )
      .toEqual(["accuracy"]);
    expect(
      mapMetrics([{
        class_name: "SparseCategoricalAccuracy",
        config: { name: "sparse_categorical_accuracy" },
      }]).value,
    )
      .toEqual(["sparse-categorical-accuracy"]);
    expect(mapMetrics(["acc", "AUC", "top_k_categorical_accuracy"])).toEqual({
      value: ["accuracy", "auc"],
      note: "metrics without a fitcheck equivalent left out: top_k_categorical_accuracy",
    });
  });
  it.each([
    [{ class_name: "GlorotUniform", config: { seed: null } }, "glorot-uniform", false],
    [{ class_name: "HeNormal", config: {} }, "he-normal", false],
    [{ class_name: "Zeros", config: {} }, "zeros", false],
    [{ class_name: "Constant", config: { value: 0.5 } }, { constant: 0.5 }, false],
    [{ class_name: "RandomNormal", config: { mean: 0, stddev: 0.1 } }, { normal: { std: 0.1 } }, false],
    [
      { class_name: "VarianceScaling", config: { scale: 1, mode: "fan_avg", distribution: "uniform" } },
      "glorot-uniform",
      false,
    ],
    [
      {
        class_name: "VarianceScaling",
        config: { scale: 2, mode: "fan_in", distribution: "truncated_normal" },
      },
      "he-normal",
      false,
    ],
    [
      { class_name: "VarianceScaling", config: { scale: 1, mode: "fan_avg", distribution: "normal" } },
      "glorot-uniform",
      true,
    ],
    [{ class_name: "GlorotNormal", config: {} }, "glorot-uniform", true],
  ])("initializer %j", (raw, want, noted) => {
    const m = mapInitializer(raw);
    expect(m.value).toEqual(want);
    expect(m.note !== undefined).toBe(noted);
  });
});
