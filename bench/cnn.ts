/**
 * The benchmark's CNN (issue 14): 28×28×1 inputs, conv2d 16 filters 3×3 relu ("valid"), 2×2 max
 * pooling, flatten, dense 10 softmax; categorical cross-entropy on probabilities (Keras semantics),
 * Adam(1e-3, Keras defaults), batch 64. As for the MLP (bench/mlp.ts): the same random batches and
 * initial weights for every engine, batches resident on each, one wait per repetition; fitcheck's
 * side is bench/mlp.ts's `fitcheckTrainer`, which trains any model of the layer registry.
 *
 * @module
 */
import { buildModel } from "../src/layers/mod.ts";
import { Rng } from "../src/random.ts";
import { initialParameters } from "../src/train/model.ts";
import { kerasCrossEntropy, type MlpProblem, tfjsLoop, type Trainer } from "./mlp.ts";
import type { Tfjs, TfjsEngine } from "./tfjs.ts";

/** The CNN problem with `batchCount` random batches (pixels U(0, 1), random labels) from `seed`. */
export function cnnProblem(seed: number, batchCount: number): MlpProblem {
  const side = 28, classes = 10, batchSize = 64, inputs = side * side;
  const shape = buildModel([side, side, 1], [
    {
      type: "conv2d",
      filters: 16,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: "valid",
      activation: "relu",
    },
    { type: "maxpool2d", poolSize: [2, 2], strides: [2, 2], padding: "valid" },
    { type: "flatten" },
    { type: "dense", units: classes, activation: "softmax", dropout: 0 },
  ]);
  const root = Rng.fromSeed(seed).stream("cnn data");
  const batches = Array.from({ length: batchCount }, (_, b) => {
    const rng = root.stream(`batch ${b}`);
    const x = new Float32Array(batchSize * inputs);
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(0, 1);
    const y = new Float32Array(batchSize * classes);
    for (let r = 0; r < batchSize; r++) y[r * classes + rng.int(classes)] = 1;
    return { x, y };
  });
  return {
    shape,
    loss: { name: "categorical-crossentropy", fromLogits: false, reduction: "mean", delta: 1 },
    optimizer: { name: "adam", learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    initial: initialParameters(shape, { kind: "glorot-uniform" }, seed),
    batchSize,
    classes,
    batches,
  };
}

/**
 * The CNN in tfjs on `engine`: variables and `optimizer.minimize`, `tf.fused.conv2d` with bias and
 * relu (as tfjs-layers' Conv2D), `tf.maxPool`, a reshape and `tf.fused.matMul`, then Keras's
 * categorical cross-entropy on probabilities, as bench/mlp.ts's `tfjsTrainer`. The kernel is laid out
 * [kh, kw, in, out] in both engines, so fitcheck's initial weights load unchanged.
 */
export async function tfjsCnnTrainer(tfjs: Tfjs, engine: TfjsEngine, problem: MlpProblem): Promise<Trainer> {
  const { tf } = tfjs;
  await tfjs.use(engine);
  const { batchSize, classes } = problem;
  const [conv, dense] = problem.initial;
  const filters = conv.units, pooled = problem.shape.layers[2].outSize;
  const w1 = tf.variable(
    tf.tensor4d(Float32Array.from(conv.weights), [3, 3, 1, filters]),
    true,
    `cw1-${engine}`,
  );
  const b1 = tf.variable(tf.tensor1d(Float32Array.from(conv.biases)), true, `cb1-${engine}`);
  const w2 = tf.variable(
    tf.tensor2d(Float32Array.from(dense.weights), [pooled, classes]),
    true,
    `cw2-${engine}`,
  );
  const b2 = tf.variable(tf.tensor1d(Float32Array.from(dense.biases)), true, `cb2-${engine}`);
  const xs = problem.batches.map((b) => tf.tensor4d(b.x, [batchSize, 28, 28, 1]));
  const ys = problem.batches.map((b) => tf.tensor2d(b.y, [batchSize, classes]));
  const o = problem.optimizer as Extract<MlpProblem["optimizer"], { name: "adam" }>;
  const optimizer = tf.train.adam(o.learningRate, o.beta1, o.beta2, o.epsilon);
  type Tensor = ReturnType<typeof tf.tensor>;
  const loss = (x: Tensor, y: Tensor) => {
    const h = tf.fused.conv2d({
      x: x as ReturnType<typeof tf.tensor4d>,
      filter: w1,
      strides: 1,
      pad: "valid",
      bias: b1,
      activation: "relu",
    });
    const p1 = tf.reshape(tf.maxPool(h, 2, 2, "valid"), [batchSize, pooled]);
    const p = tf.softmax(tf.fused.matMul({ a: p1 as ReturnType<typeof tf.tensor2d>, b: w2, bias: b2 }));
    return kerasCrossEntropy(tf, p, y);
  };
  return tfjsLoop(tfjs, engine, { loss, variables: [w1, b1, w2, b2], xs, ys, optimizer });
}
