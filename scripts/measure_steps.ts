/**
 * The bench's two training-step cases alone (mlp-train-step and cnn-train-step, full sizes, no PyTorch
 * peer), for iterating on the step's kernels without the whole `deno task bench`:
 * `deno run -A scripts/measure_steps.ts [mlp] [cnn] [--reps N]`. The figures that count are the bench's.
 */
import { acquireGpu } from "../src/gpu/device.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { MatmulTuner, MemoryTuningCache } from "../src/kernels/tuning.ts";
import { SIZES } from "../bench/harness.ts";
import { mlpProblem } from "../bench/mlp.ts";
import { cnnProblem } from "../bench/cnn.ts";
import { benchCnnStep, benchMlpStep } from "../bench/mlp_case.ts";
import { setupTfjs } from "../bench/tfjs.ts";

const args = [...Deno.args];
const repsAt = args.indexOf("--reps");
const reps = repsAt >= 0 ? Number(args.splice(repsAt, 2)[1]) : SIZES.full.reps;
const which = args.length > 0 ? args : ["mlp", "cnn"];
const size = SIZES.full, seed = 9;
const { adapter, device, report, identity } = await acquireGpu({ label: "measure steps" });
const ctx = new GpuContext(device, report, identity);
ctx.matmulTuner = new MatmulTuner(ctx, { cache: new MemoryTuningCache(), log: () => {} });
const tfjs = await setupTfjs(adapter, device);
const options = { reps, steps: size.steps, trajectorySteps: size.trajectorySteps, progress: () => {} };
for (const name of which) {
  const result = name === "cnn"
    ? await ctx.scoped(() => benchCnnStep(ctx, tfjs, cnnProblem(seed, size.batches), options))
    : await ctx.scoped(() => benchMlpStep(ctx, tfjs, mlpProblem(seed, size.batches), options));
  const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
  console.log(
    `${result.name}: fitcheck ${result.fitcheck.toFixed(2)} ms, tfjs-webgpu ${
      result.tfjsWebgpu.toFixed(2)
    } ms, ` +
      `ratio ${result.target.achieved.toFixed(2)}× (target ${result.target.threshold}×)` +
      (failed.length ? `; FAILED checks: ${failed.join("; ")}` : ""),
  );
}
ctx.destroy();
Deno.exit(0);
