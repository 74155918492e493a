/**
 * TensorFlow.js fixtures for the model importer, saved by tfjs itself (`LayersModel.save` with a custom
 * save handler writing `model.json` and one `.bin` shard, the files `tf.io` writes for `file://`).
 *
 * Run: `./node_modules/deno/deno run -A scripts/fixtures_tfjs.ts`
 * Writes test/fixtures/models/tfjs/<name>/model.json + group1-shard1of1.bin and <name>.expected.json (a
 * few input rows and tfjs's predictions on them). Each model is fitted for a few epochs on the standardized
 * iris data of test/fixtures/models/data/iris.csv (written by scripts/fixtures_onnx.py), so the saved
 * weights are trained ones. Outputs are committed: CI needs no regeneration.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

const ROOT = new URL("../test/fixtures/models/", import.meta.url).pathname;

interface Fixture {
  name: string;
  build(): tf.LayersModel;
  compile: tf.ModelCompileArgs;
  /** Keep the optimizer and `trainingConfig` in model.json (`save(..., {includeOptimizer: true})`). */
  includeOptimizer: boolean;
  oneHot: boolean;
  /** Data other than iris. */
  data?: "digits" | "tokens";
}

const FIXTURES: Fixture[] = [
  {
    // Healthy: softmax into categorical cross-entropy on one-hot targets; training config saved.
    name: "mlp-iris-healthy",
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [4], units: 12, activation: "relu" }),
          tf.layers.dropout({ rate: 0.1 }),
          tf.layers.dense({ units: 3, activation: "softmax" }),
        ],
      }),
    compile: { optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] },
    includeOptimizer: true,
    oneHot: true,
  },
  {
    // Buggy (seed 000 example 1): mean squared error on softmax outputs of a multi-class task.
    name: "mlp-iris-mse",
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [4], units: 8, activation: "tanh", kernelInitializer: "heNormal" }),
          tf.layers.dense({ units: 3, activation: "softmax" }),
        ],
      }),
    compile: { optimizer: tf.train.sgd(0.1), loss: "meanSquaredError", metrics: ["accuracy"] },
    includeOptimizer: true,
    oneHot: true,
  },
  {
    // Saved as `model.save("file://...")` saves by default: topology and weights only, no training config.
    name: "mlp-iris-no-training-config",
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [4], units: 6, activation: "sigmoid" }),
          tf.layers.dense({ units: 3 }),
        ],
      }),
    compile: { optimizer: "rmsprop", loss: "categoricalCrossentropy" },
    includeOptimizer: false,
    oneHot: true,
  },
  {
    // The functional API (tf.model over tf.input): a chain of layers, saved with an InputLayer and inbound_nodes.
    name: "functional-iris",
    build: () => {
      const input = tf.input({ shape: [4] });
      const hidden = tf.layers.dense({ units: 10, activation: "elu" }).apply(input) as tf.SymbolicTensor;
      const output = tf.layers.dense({ units: 3, activation: "softmax" }).apply(hidden) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    },
    compile: { optimizer: tf.train.rmsprop(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] },
    includeOptimizer: true,
    oneHot: true,
  },
  {
    // A CNN on the 8x8 digits (NHWC), batch normalization included, saved without training config.
    name: "cnn-digits",
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [8, 8, 1],
            filters: 4,
            kernelSize: 3,
            padding: "same",
            activation: "relu",
          }),
          tf.layers.batchNormalization(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, activation: "softmax" }),
        ],
      }),
    compile: { optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] },
    includeOptimizer: false,
    oneHot: false,
    data: "digits",
  },
  {
    // Token ids through an embedding and a mean over the steps.
    name: "embedding-tokens",
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 6 }),
          tf.layers.globalAveragePooling1d(),
          tf.layers.dense({ units: 2, activation: "softmax" }),
        ],
      }),
    compile: {
      optimizer: tf.train.momentum(0.1, 0.9),
      loss: "sparseCategoricalCrossentropy",
      metrics: ["acc"],
    },
    includeOptimizer: true,
    oneHot: false,
    data: "tokens",
  },
];

/** Inputs and targets of a fixture: iris rows, the digits (NHWC, /16) or random token ids. */
async function dataOf(
  f: Fixture,
): Promise<{ x: tf.Tensor; y: tf.Tensor; picked: tf.Tensor; shape: number[] }> {
  if (f.data === "digits") {
    const x = await readNpy(`${ROOT}data/digits150_nhwc_x.npy`, [150, 8, 8, 1]);
    const y = await readNpy(`${ROOT}data/digits150_y.npy`, [150]);
    return { x, y, picked: x.slice([0, 0, 0, 0], [4, 8, 8, 1]), shape: [4, 8, 8, 1] };
  }
  if (f.data === "tokens") {
    const ids = Array.from({ length: 200 * 6 }, (_, i) => (i * 7919 + 13) % 20);
    const x = tf.tensor2d(ids, [200, 6]);
    const y = tf.tensor1d(Array.from({ length: 200 }, (_, r) => (ids[r * 6] >= 10 ? 1 : 0)));
    return { x, y, picked: x.slice([0, 0], [4, 6]), shape: [4, 6] };
  }
  throw new Error(f.data);
}

/** A little-endian float32 / int64 .npy (as numpy writes the committed data files) as a tensor. */
async function readNpy(path: string, shape: number[]): Promise<tf.Tensor> {
  const bytes = await Deno.readFile(path);
  const headerLength = new DataView(bytes.buffer).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  const body = bytes.slice(10 + headerLength).buffer;
  const values = header.includes("<i8")
    ? Array.from(new BigInt64Array(body), Number)
    : Array.from(new Float32Array(body));
  return tf.tensor(values, shape);
}

async function main() {
  await tf.setBackend("cpu");
  const csv = (await Deno.readTextFile(`${ROOT}data/iris.csv`)).trim().split("\n").slice(1);
  const rows = csv.map((l) => l.split(",").map(Number));
  const x = tf.tensor2d(rows.map((r) => r.slice(0, 4)));
  const labels = rows.map((r) => r[4]);
  const yOneHot = tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat();
  // `deno run -A scripts/fixtures_tfjs.ts NAME...` rewrites only those fixtures (tfjs's initialisation is not
  // seeded, so rewriting a fixture changes its weights and predictions together).
  const only = Deno.args;
  for (const f of FIXTURES.filter((f) => only.length === 0 || only.includes(f.name))) {
    const model = f.build();
    model.compile(f.compile);
    const own = f.data ? await dataOf(f) : null;
    await model.fit(own ? own.x : x, own ? own.y : yOneHot, { epochs: 20, batchSize: 16, verbose: 0 });
    const dir = `${ROOT}tfjs/${f.name}/`;
    await Deno.mkdir(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const shard = "group1-shard1of1.bin";
        const json = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
          weightsManifest: [{ paths: [`./${shard}`], weights: artifacts.weightSpecs }],
        };
        await Deno.writeTextFile(`${dir}model.json`, JSON.stringify(json) + "\n");
        const data = artifacts.weightData as ArrayBuffer;
        await Deno.writeFile(`${dir}${shard}`, new Uint8Array(data));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
      { includeOptimizer: f.includeOptimizer },
    );
    const picked = own ? own.picked : tf.tensor2d([0, 30, 60, 90, 120].map((i) => rows[i].slice(0, 4)));
    const out = model.predict(picked) as tf.Tensor;
    const shape = own ? own.shape : [5, 4];
    const expected = {
      framework: `tfjs ${tf.version.tfjs}`,
      inputShape: shape,
      inputs: await picked.reshape([shape[0], -1]).array(),
      outputs: await out.array(),
    };
    await Deno.writeTextFile(`${ROOT}tfjs/${f.name}.expected.json`, JSON.stringify(expected) + "\n");
    console.error(`wrote ${dir}`);
  }
}

await main();
