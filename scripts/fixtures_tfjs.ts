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
];

async function main() {
  await tf.setBackend("cpu");
  const csv = (await Deno.readTextFile(`${ROOT}data/iris.csv`)).trim().split("\n").slice(1);
  const rows = csv.map((l) => l.split(",").map(Number));
  const x = tf.tensor2d(rows.map((r) => r.slice(0, 4)));
  const labels = rows.map((r) => r[4]);
  const yOneHot = tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat();
  for (const f of FIXTURES) {
    const model = f.build();
    model.compile(f.compile);
    await model.fit(x, yOneHot, { epochs: 20, batchSize: 16, verbose: 0 });
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
    const picked = [0, 30, 60, 90, 120].map((i) => rows[i].slice(0, 4));
    const out = model.predict(tf.tensor2d(picked)) as tf.Tensor;
    const expected = {
      framework: `tfjs ${tf.version.tfjs}`,
      inputShape: [picked.length, 4],
      inputs: picked,
      outputs: await out.array(),
    };
    await Deno.writeTextFile(`${ROOT}tfjs/${f.name}.expected.json`, JSON.stringify(expected) + "\n");
    console.error(`wrote ${dir}`);
  }
}

await main();
