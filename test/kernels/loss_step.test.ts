/**
 * The training step's loss (loss_backward.wgsl) with the top layer folded in: HEAD 1 (an elementwise
 * activation's act') and HEAD 2 (softmax forward and backward) must give the very bits of the
 * separate kernels they replace (activation_backward.wgsl after the plain loss gradient;
 * softmax_forward.wgsl, then the plain loss step, then softmax_backward.wgsl), because the step
 * changed only the dispatch count, never a number. The plain step (HEAD 0) is held against the
 * float64 twin and against loss_forward + reduce_forward in losses.test.ts; here every head's reduced
 * loss is also held equal to the plain step's. Shapes cover one workgroup, several (the reduce tail
 * past 1,024 rows), a partial last batch (setRows), and rows with NaN, ±Inf and bad labels.
 */
import { afterAll, expect, it } from "vitest";
import { readbackF32 } from "../../src/gpu/mod.ts";
import type { GpuContext } from "../../src/gpu/context.ts";
import { activationBackwardKernel } from "../../src/kernels/dense.ts";
import { type LossHead, prepareLossBackward } from "../../src/kernels/losses.ts";
import { prepareKernel } from "../../src/kernels/kernel.ts";
import { activationOverrides } from "../../src/kernels/matmul.ts";
import { prepareSoftmax, prepareSoftmaxBackward } from "../../src/kernels/softmax.ts";
import type { ElementwiseActivation } from "../../src/reference/activations.ts";
import type { LossConfig } from "../../src/reference/losses.ts";
import { Rng } from "../../src/random.ts";
import { describeKernels, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { LOSS_CONFIGS, lossInputs, lossTag } from "../helpers/loss_cases.ts";

afterAll(releaseTestContext);

/** [prepared rows, rows of the run (setRows below the prepared count), cols]. */
const SHAPES: [number, number, number][] = [[1, 1, 4], [7, 7, 3], [256, 200, 10], [2500, 2100, 3]];
const ACTIVATIONS: ElementwiseActivation[] = ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"];

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Shapes whose first rows hold non-finite values and a bad label (the others keep a finite loss). */
const poisoned = (prepared: number) => prepared === 7 || prepared === 256;

/** Inputs for the loss; with `poison`, non-finite values and a bad label in rows 1-3. */
function inputs(cfg: LossConfig, rows: number, cols: number, rng: Rng, poison: boolean) {
  const data = lossInputs(cfg, rows, cols, rng);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = rng.uniform(-4, 4);
  if (poison) {
    z[1 * cols] = NaN;
    z[2 * cols] = Infinity;
    data.yPred[1 * cols] = NaN;
    data.yPred[2 * cols] = -Infinity;
    const sparse = cfg.name === "sparse-categorical-crossentropy";
    data.yTrue[sparse ? 3 : 3 * cols] = sparse ? cols : NaN;
  }
  return { ...data, z };
}

interface StepRun {
  grad: Uint32Array;
  dz: Uint32Array;
  y: Uint32Array;
  loss: Uint32Array;
}

/**
 * One loss step with `head`, or (reference: true) the separate kernels the head replaces around a
 * plain step.
 */
async function runStep(
  ctx: GpuContext,
  cfg: LossConfig,
  head: "softmax" | ElementwiseActivation | null,
  data: { yTrue: Float32Array; yPred: Float32Array; z: Float32Array },
  shape: { prepared: number; rows: number; cols: number },
  reference: boolean,
): Promise<StepRun> {
  const { prepared, rows, cols } = shape;
  const yTrue = ctx.upload("yTrue", data.yTrue);
  const yPred = ctx.upload("yPred", data.yPred);
  const z = ctx.upload("z", data.z);
  const grad = ctx.storage("grad", prepared * cols);
  const dz = ctx.storage("dz", prepared * cols);
  const loss = ctx.storage("loss", 4);
  const label = `${lossTag(cfg)} ${head ?? "plain"}`;
  let lossHead: LossHead | undefined;
  if (!reference && head === "softmax") lossHead = { kind: "softmax", z, dz };
  else if (!reference && head !== null && head !== "softmax") {
    lossHead = { kind: "activation", activation: head, z };
  }
  const step = await prepareLossBackward(ctx, {
    label,
    loss: cfg,
    yTrue,
    yPred,
    grad: lossHead?.kind === "activation" ? dz : grad,
    rows: prepared,
    cols,
    reduction: "mean",
    lossOutput: loss,
    lossOffset: 1,
    head: lossHead,
  });
  step.setRows(rows);
  const before = reference && head === "softmax"
    ? await prepareSoftmax(ctx, { label: "softmax", x: z, y: yPred, rows, cols })
    : null;
  const after = !reference || head === null
    ? null
    : head === "softmax"
    ? await prepareSoftmaxBackward(ctx, { label: "softmax'", y: yPred, dy: grad, dx: dz, rows, cols })
    : await prepareKernel(ctx, activationBackwardKernel, {
      label: "act'",
      buffers: { dy: grad, z, dz },
      uniforms: { count: rows * cols },
      overrides: activationOverrides(head),
    });
  ctx.submit(label, (pass) => {
    before?.encode(pass);
    step.encode(pass);
    after?.encode(pass);
  });
  const [g, d, y, l] = await readbackF32(ctx, [grad, dz, yPred, loss]);
  for (const op of [step, before, after]) op?.release();
  for (const buffer of [yTrue, yPred, z, grad, dz, loss]) ctx.pool.release(buffer);
  const n = rows * cols;
  return {
    grad: bits(g.subarray(0, n)),
    dz: bits(d.subarray(0, n)),
    y: bits(y.subarray(0, n)),
    loss: bits(l),
  };
}

describeKernels(
  ["loss_backward", "softmax_forward", "softmax_backward", "activation_backward"],
  "the loss step's heads equal the separate kernels bit for bit",
  () => {
    for (const [prepared, rows, cols] of SHAPES) {
      for (const cfg of LOSS_CONFIGS) {
        // Softmax feeds the losses that read probabilities; any elementwise activation may feed any.
        const heads: ("softmax" | ElementwiseActivation)[] = cfg.fromLogits ? [] : ["softmax"];
        heads.push(...ACTIVATIONS.filter((_, i) => (i + prepared + cols) % 3 === 0));
        for (const head of heads) {
          it(`${lossTag(cfg)}, ${head} head, ${rows} of ${prepared} rows × ${cols}`, async () => {
            const ctx = await testContext();
            const rng = Rng.fromSeed(7).stream(`${lossTag(cfg)} ${head} ${prepared}x${cols}`);
            const data = inputs(cfg, prepared, cols, rng, poisoned(prepared));
            const shape = { prepared, rows, cols };
            const fused = await runStep(ctx, cfg, head, data, shape, false);
            const separate = await runStep(ctx, cfg, head, data, shape, true);
            if (head === "softmax") {
              expect(fused.y, "softmax(Z)").toEqual(separate.y);
              expect(fused.grad, "dL/dy").toEqual(separate.grad);
            }
            expect(fused.dz, "dZ").toEqual(separate.dz);
            expect([...fused.loss.subarray(2)], "the reduced loss, at pair 1").toEqual([
              ...separate.loss.subarray(2),
            ]);
            expect(fused.loss[3], "non-finite rows counted").toBe(poisoned(prepared) ? 3 : 0);
          });
        }
      }
    }
  },
);
