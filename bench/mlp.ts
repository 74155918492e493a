/**
 * The benchmark's MLP: 64→256→256→10 (relu, relu, softmax), categorical cross-entropy on probabilities
 * (Keras semantics), Adam(1e-3, Keras defaults), batch 256. The same random batches and the same
 * initial weights (glorot-uniform from fitcheck's seeded streams) go to every engine, and each engine
 * is a {@linkcode Trainer}: run `count` steps with one wait at the end, report the last step's loss.
 *
 * The batches stay resident on each engine (a GPU buffer per batch for fitcheck, a tensor per batch for
 * tfjs) and the engines cycle through them in the same order: the case measures the training step,
 * not the host-to-device upload of new data, for every engine alike.
 *
 * @module
 */
import type { GpuContext } from "../src/gpu/context.ts";
import { readbackU32 } from "../src/gpu/readback.ts";
import { Rng } from "../src/random.ts";
import type { LossSpec, OptimizerSpec } from "../src/scenario/types.ts";
import { prepareTrainStep, uploadParameters } from "../src/train/gpu_network.ts";
import { initialParameters, type ModelShape } from "../src/train/model.ts";
import type { LayerWeights } from "../src/train/records.ts";
import type * as tf from "@tensorflow/tfjs";
import type { Tfjs, TfjsEngine } from "./tfjs.ts";
import { buildModel } from "../src/layers/mod.ts";

/** The model, loss, optimizer, initial weights and batches every engine trains on. */
export interface MlpProblem {
  shape: ModelShape;
  loss: LossSpec;
  optimizer: Extract<OptimizerSpec, { name: "adam" }>;
  initial: LayerWeights[];
  batchSize: number;
  classes: number;
  /** Row-major batchSize × inputs features and batchSize × classes one-hot targets. */
  batches: { x: Float32Array; y: Float32Array }[];
}

/** The problem of issue 9, with `batchCount` random batches drawn from `seed`. */
export function mlpProblem(seed: number, batchCount: number): MlpProblem {
  const inputs = 64, classes = 10, batchSize = 256;
  const shape: ModelShape = buildModel([inputs], [
    { type: "dense", units: 256, activation: "relu", dropout: 0 },
    { type: "dense", units: 256, activation: "relu", dropout: 0 },
    { type: "dense", units: classes, activation: "softmax", dropout: 0 },
  ]);
  const root = Rng.fromSeed(seed).stream("mlp data");
  const batches = Array.from({ length: batchCount }, (_, b) => {
    const rng = root.stream(`batch ${b}`);
    const x = new Float32Array(batchSize * inputs);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
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

/** One engine training the problem. Steps cycle through the batches; `stepsDone` counts them all. */
export interface Trainer {
  readonly stepsDone: number;
  /** Runs `count` steps, waits once for the device, returns the elapsed milliseconds. */
  steps(count: number): Promise<number>;
  /** The loss of the last step's batch, before its update (as Keras's per-batch loss). */
  lastLoss(): Promise<number>;
  release(): void;
}

/** fitcheck's prepared training step; `instrument: false` leaves out every diagnosis record. */
export async function fitcheckTrainer(
  ctx: GpuContext,
  problem: MlpProblem,
  options: { instrument: boolean; label: string },
): Promise<Trainer> {
  const params = uploadParameters(ctx, problem.initial);
  const step = await prepareTrainStep(ctx, params, {
    shape: problem.shape,
    loss: problem.loss,
    optimizer: problem.optimizer,
    batchSize: problem.batchSize,
    targetWidth: problem.classes,
    dropoutSeed: 0,
    instrument: options.instrument,
  });
  const xs = problem.batches.map((b, i) => ctx.upload(`${options.label} batch ${i} x`, b.x));
  const ys = problem.batches.map((b, i) => ctx.upload(`${options.label} batch ${i} y`, b.y));
  const { label } = options;
  let done = 0;
  return {
    get stepsDone() {
      return done;
    },
    async steps(count) {
      const started = performance.now();
      for (let s = 0; s < count; s++) {
        const b = done % xs.length;
        // Uniform writes (Adam's step) take effect at the next submit: one submit per step.
        step.prepare(problem.batchSize, done);
        const encoder = ctx.device.createCommandEncoder({ label: `${label} step ${done}` });
        encoder.copyBufferToBuffer(xs[b], 0, step.xBatch, 0, xs[b].size);
        encoder.copyBufferToBuffer(ys[b], 0, step.yBatch, 0, ys[b].size);
        step.encode(encoder);
        ctx.device.queue.submit([encoder.finish()]);
        done++;
      }
      await ctx.device.queue.onSubmittedWorkDone();
      const ms = performance.now() - started;
      ctx.check();
      return ms;
    },
    async lastLoss() {
      // Record words 0-1: the loss (f32 bits) and its non-finite count.
      const [words] = await readbackU32(ctx, [{ buffer: step.record, byteLength: 8 }]);
      return words[1] > 0 ? NaN : new Float32Array(words.buffer)[0];
    },
    release() {
      // Buffers return to the pool with the context; nothing to do per trainer.
    },
  };
}

/**
 * tfjs on `engine`: variables and `optimizer.minimize`, the fastest idiomatic tfjs training loop (no
 * per-step readback, unlike `model.fit`). Dense layers use `tf.fused.matMul` with bias and relu, as
 * tfjs-layers' Dense does, and the loss is Keras's categorical cross-entropy on probabilities
 * (row-normalise, clip to [1e-7, 1 − 1e-7], −Σ y log p, mean over rows), as fitcheck's.
 */
export async function tfjsTrainer(tfjs: Tfjs, engine: TfjsEngine, problem: MlpProblem): Promise<Trainer> {
  const { tf } = tfjs;
  await tfjs.use(engine);
  const { batchSize, classes, shape } = problem;
  const weights = problem.initial.map((p, i) =>
    tf.variable(tf.tensor2d(Float32Array.from(p.weights), [p.inputs, p.units]), true, `w${i}-${engine}`)
  );
  const biases = problem.initial.map((p, i) =>
    tf.variable(tf.tensor1d(Float32Array.from(p.biases)), true, `b${i}-${engine}`)
  );
  const xs = problem.batches.map((b) => tf.tensor2d(b.x, [batchSize, shape.inputs]));
  const ys = problem.batches.map((b) => tf.tensor2d(b.y, [batchSize, classes]));
  const o = problem.optimizer;
  const optimizer = tf.train.adam(o.learningRate, o.beta1, o.beta2, o.epsilon);
  type Tensor = ReturnType<typeof tf.tensor>;
  const loss = (x: Tensor, y: Tensor) => {
    let h: Tensor = x;
    for (let i = 0; i < weights.length - 1; i++) {
      h = tf.fused.matMul({ a: h, b: weights[i], bias: biases[i], activation: "relu" });
    }
    const logits = tf.fused.matMul({ a: h, b: weights[weights.length - 1], bias: biases[biases.length - 1] });
    const p = tf.softmax(logits);
    return kerasCrossEntropy(tf, p, y);
  };
  return tfjsLoop(tfjs, engine, { loss, variables: [...weights, ...biases], xs, ys, optimizer });
}

/** Keras's categorical cross-entropy on probabilities `p` (rows × classes) against one-hot `y`. */
export function kerasCrossEntropy(tf: Tfjs["tf"], p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  // Row-normalise, clip to [1e-7, 1 − 1e-7] (Keras's epsilon), −Σ y log p, mean over rows.
  const epsilon = 1e-7;
  const clipped = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), epsilon, 1 - epsilon);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(clipped)), -1))) as tf.Scalar;
}

/** What a tfjs trainer hands {@linkcode tfjsLoop}: its loss over one batch and what it trains. */
export interface TfjsLoopParts {
  loss: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar;
  variables: tf.Variable[];
  /** The batches, uploaded once on the engine. */
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  optimizer: tf.Optimizer;
}

/**
 * The training loop of every tfjs trainer: `optimizer.minimize` over the batches in turn, and one wait
 * per `steps` call (reading the last loss). `release` disposes the variables, batches and optimizer.
 */
export function tfjsLoop(tfjs: Tfjs, engine: TfjsEngine, parts: TfjsLoopParts): Trainer {
  const { loss, variables, xs, ys, optimizer } = parts;
  let done = 0;
  let last = NaN;
  return {
    get stepsDone() {
      return done;
    },
    async steps(count) {
      await tfjs.use(engine);
      const started = performance.now();
      let cost: ReturnType<typeof tf.scalar> | null = null;
      for (let s = 0; s < count; s++) {
        const b = done % xs.length;
        const next = optimizer.minimize(() => loss(xs[b], ys[b]), true, variables);
        cost?.dispose();
        cost = next;
        done++;
      }
      // The one wait: reading the last loss waits for every step queued before it.
      last = cost ? (await cost.data())[0] : NaN;
      const ms = performance.now() - started;
      cost?.dispose();
      return ms;
    },
    lastLoss() {
      return Promise.resolve(last);
    },
    release() {
      for (const t of [...variables, ...xs, ...ys]) t.dispose();
      optimizer.dispose();
    },
  };
}
