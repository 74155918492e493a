/**
 * Where a training step's time goes: records every dispatch of one prepared step (pipeline, bind
 * groups, workgroups) through a recording pass encoder, then replays each dispatch alone, `reps`
 * times in one pass, and prints its median cost. Run: deno run -A scripts/profile_step.ts [mlp|cnn|cnn2]
 * [instrumented]
 */
import { createGpuContext } from "../src/gpu/context.ts";
import { prepareTrainStep, uploadParameters } from "../src/train/gpu_network.ts";
import { mlpProblem } from "../bench/mlp.ts";
import { cnnProblem } from "../bench/cnn.ts";
import { buildModel } from "../src/layers/mod.ts";
import { initialParameters } from "../src/train/model.ts";

type Dispatch = {
  label: string;
  pipeline: GPUComputePipeline;
  groups: [number, GPUBindGroup][];
  size: [number, number, number];
};

const which = Deno.args[0] ?? "mlp";
const instrument = Deno.args[1] === "instrumented";
const ctx = await createGpuContext();
// cnn2: a two-conv MNIST-sized CNN (the second conv deep enough for im2col), on the bench CNN's data.
function twoConvProblem() {
  const base = cnnProblem(1, 2);
  const shape = buildModel([28, 28, 1], [
    {
      type: "conv2d",
      filters: 32,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: "valid",
      activation: "relu",
    },
    { type: "maxpool2d", poolSize: [2, 2], strides: [2, 2], padding: "valid" },
    {
      type: "conv2d",
      filters: 64,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: "valid",
      activation: "relu",
    },
    { type: "maxpool2d", poolSize: [2, 2], strides: [2, 2], padding: "valid" },
    { type: "flatten" },
    { type: "dense", units: 10, activation: "softmax", dropout: 0 },
  ]);
  return { ...base, shape, initial: initialParameters(shape, { kind: "glorot-uniform" }, 1) };
}
const problem = which === "cnn" ? cnnProblem(1, 2) : which === "cnn2" ? twoConvProblem() : mlpProblem(1, 2);
const params = uploadParameters(ctx, problem.initial);
const step = await prepareTrainStep(ctx, params, {
  shape: problem.shape,
  loss: problem.loss,
  optimizer: problem.optimizer,
  batchSize: problem.batchSize,
  targetWidth: problem.classes,
  dropoutSeed: 0,
  instrument,
});
ctx.device.queue.writeBuffer(step.xBatch, 0, problem.batches[0].x);
ctx.device.queue.writeBuffer(step.yBatch, 0, problem.batches[0].y);
step.prepare(problem.batchSize, 0);

const dispatches: Dispatch[] = [];
const encoder = ctx.device.createCommandEncoder();
const real = encoder.beginComputePass.bind(encoder);
(encoder as unknown as { beginComputePass: unknown }).beginComputePass = (d?: GPUComputePassDescriptor) => {
  const pass = real(d);
  let pipeline: GPUComputePipeline | null = null;
  const groups = new Map<number, GPUBindGroup>();
  return new Proxy(pass, {
    get(target, key) {
      if (key === "setPipeline") return (p: GPUComputePipeline) => (pipeline = p, target.setPipeline(p));
      if (key === "setBindGroup") {
        return (i: number, g: GPUBindGroup) => (groups.set(i, g), target.setBindGroup(i, g));
      }
      if (key === "dispatchWorkgroups") {
        return (x: number, y = 1, z = 1) => {
          dispatches.push({
            label: pipeline!.label,
            pipeline: pipeline!,
            groups: [...groups.entries()],
            size: [x, y, z],
          });
          target.dispatchWorkgroups(x, y, z);
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
};
step.encode(encoder);
ctx.device.queue.submit([encoder.finish()]);
await ctx.device.queue.onSubmittedWorkDone();

async function time(run: (pass: GPUComputePassEncoder) => void, reps: number): Promise<number> {
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    const t0 = performance.now();
    const e = ctx.device.createCommandEncoder();
    const p = e.beginComputePass();
    for (let r = 0; r < reps; r++) run(p);
    p.end();
    ctx.device.queue.submit([e.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    samples.push((performance.now() - t0) / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[2];
}

const reps = 20;
let total = 0;
const rows: [string, number][] = [];
for (const d of dispatches) {
  const ms = await time((p) => {
    p.setPipeline(d.pipeline);
    for (const [i, g] of d.groups) p.setBindGroup(i, g);
    p.dispatchWorkgroups(...d.size);
  }, reps);
  total += ms;
  rows.push([`${d.label} [${d.size.join("x")}]`, ms]);
}
for (const [l, ms] of rows) console.log(`${ms.toFixed(3).padStart(8)} ms  ${l}`);
const whole = await time((p) => {
  for (const d of dispatches) {
    p.setPipeline(d.pipeline);
    for (const [i, g] of d.groups) p.setBindGroup(i, g);
    p.dispatchWorkgroups(...d.size);
  }
}, 5);
// Marginal cost in context: the whole step replayed with and without each dispatch.
const seq = async (skip: number) =>
  await time((p) => {
    dispatches.forEach((d, i) => {
      if (i === skip) return;
      p.setPipeline(d.pipeline);
      for (const [j, g] of d.groups) p.setBindGroup(j, g);
      p.dispatchWorkgroups(...d.size);
    });
  }, 10);
const full = await seq(-1);
for (const [i, d] of dispatches.entries()) {
  console.log(
    `${(full - await seq(i)).toFixed(3).padStart(8)} ms in context  ${d.label.slice(0, 60)} [${
      d.size.join("x")
    }]`,
  );
}
console.log(
  `${dispatches.length} dispatches, sum ${total.toFixed(2)} ms, whole step replay ${whole.toFixed(2)} ms`,
);
