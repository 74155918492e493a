/**
 * The loss cases shared by the loss kernel tests, the GPU property tests and the reference tests: the
 * configurations, their typical inputs, one GPU run of forward + reduce + backward, and the check of
 * that run against the float64 twin with the derived tolerances.
 */
import { type GpuContext, readbackF32 } from "../../src/gpu/mod.ts";
import { prepareLossBackward, prepareLossForward } from "../../src/kernels/losses.ts";
import { prepareReduce } from "../../src/kernels/reduce.ts";
import type { Rng } from "../../src/random.ts";
import { type LossConfig, lossGradient, lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import type { Reduction } from "../../src/scenario/types.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { weightRows } from "../../src/reference/class_weights.ts";
import { lossForwardTolerance, lossGradientTolerance } from "./kernel_tolerances.ts";
import { expect } from "vitest";
import { expectClose, F32_U as u, gamma } from "./tolerance.ts";

/** Every loss the kernels implement, both readings of the predictions where there are two. */
export const LOSS_CONFIGS: readonly LossConfig[] = [
  { name: "mse", fromLogits: false },
  { name: "mae", fromLogits: false },
  { name: "huber", fromLogits: false, delta: 0.7 },
  { name: "binary-crossentropy", fromLogits: false },
  { name: "binary-crossentropy", fromLogits: true },
  { name: "categorical-crossentropy", fromLogits: false },
  { name: "categorical-crossentropy", fromLogits: true },
  { name: "sparse-categorical-crossentropy", fromLogits: false },
  { name: "sparse-categorical-crossentropy", fromLogits: true },
];

/** "categorical-crossentropy (logits)". */
export function lossTag(cfg: LossConfig): string {
  return `${cfg.name}${cfg.fromLogits ? " (logits)" : ""}`;
}

/**
 * Inputs typical for the loss, rounded to f32, drawn from `rng`: logits in [-6, 6), regression values
 * in [-3, 3), probabilities with exact 0s and 1s (to hit the clip), one-hot / class-index / soft
 * binary targets.
 */
export function lossInputs(
  cfg: LossConfig,
  rows: number,
  cols: number,
  rng: Rng,
): { yTrue: Float32Array; yPred: Float32Array } {
  const sparse = cfg.name === "sparse-categorical-crossentropy";
  const yTrue = new Float32Array(sparse ? rows : rows * cols);
  const yPred = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const k = rng.int(cols);
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (cfg.fromLogits) yPred[i] = rng.uniform(-6, 6);
      else if (cfg.name === "mse" || cfg.name === "mae" || cfg.name === "huber") {
        yPred[i] = rng.uniform(-3, 3);
      } else {
        const draw = rng.next();
        yPred[i] = draw < 0.03 ? 0 : draw < 0.06 ? 1 : rng.uniform(0, 1);
      }
      if (cfg.name === "binary-crossentropy") yTrue[i] = rng.next() < 0.8 ? rng.int(2) : rng.uniform(0, 1);
      else if (cfg.name === "categorical-crossentropy") yTrue[i] = c === k ? 1 : 0;
      else if (!sparse) yTrue[i] = rng.uniform(-3, 3);
    }
    if (cfg.name === "categorical-crossentropy" && !cfg.fromLogits) {
      // Keep the row sum away from 0 (a row of zeros is the NaN case, tested separately).
      yPred[r * cols + k] = Math.max(yPred[r * cols + k], 0.01);
    }
    if (sparse) yTrue[r] = k;
  }
  return { yTrue, yPred };
}

/** Inputs of one GPU loss run: f32 data, yTrue rows × targetCols (default cols; sparse: rows × 1). */
export interface LossData {
  yTrue: Float32Array;
  yPred: Float32Array;
  rows: number;
  cols: number;
  targetCols?: number;
  /** Per-row weights (f32, Keras class weights as row weights); absent: unweighted. */
  rowWeights?: Float32Array;
}

/** What the GPU produced: per-row losses, the reduced loss, the gradient. */
export interface LossRun {
  perRow: Float32Array;
  /** loss_forward + reduce_forward (the evaluation's path). */
  reduced: Float32Array;
  /** The loss step's own reduced loss (loss_backward.wgsl, the training path): its value and count. */
  stepReduced: Uint32Array;
  /** reduce_forward's pair (value bits, count) for comparison with `stepReduced`. */
  reducedPair: Uint32Array;
  grad: Float32Array;
}

/** Runs loss forward, its reduction and loss backward in one pass, reads back, and releases everything. */
export async function runLoss(
  ctx: GpuContext,
  cfg: LossConfig,
  reduction: Reduction,
  data: LossData,
): Promise<LossRun> {
  const { rows, cols, targetCols } = data;
  const yTrue = ctx.upload("yTrue", data.yTrue);
  const yPred = ctx.upload("yPred", data.yPred);
  const perRow = ctx.storage("perRow", rows);
  const grad = ctx.storage("grad", rows * cols);
  const out = ctx.storage("reduced", 2);
  const stepOut = ctx.storage("step reduced", 2);
  const label = `${lossTag(cfg)} ${rows}x${cols}`;
  const rowWeights = data.rowWeights ? ctx.upload("row weights", data.rowWeights) : undefined;
  const shape = { rows, cols, targetCols, rowWeights };
  const fwd = await prepareLossForward(ctx, { label, loss: cfg, yTrue, yPred, perRow, ...shape });
  const bwd = await prepareLossBackward(ctx, {
    label,
    loss: cfg,
    yTrue,
    yPred,
    grad,
    reduction,
    lossOutput: stepOut,
    ...shape,
  });
  const red = await prepareReduce(ctx, {
    label,
    op: reduction === "mean" ? "mean" : "sum",
    input: perRow,
    n: rows,
    output: out,
  });
  ctx.submit(label, (pass) => {
    fwd.encode(pass);
    red.encode(pass);
    bwd.encode(pass);
  });
  const [a, b, c, d] = await readbackF32(ctx, [perRow, out, grad, stepOut]);
  for (const op of [fwd, bwd, red]) op.release();
  for (const buf of [yTrue, yPred, perRow, grad, out, stepOut]) ctx.pool.release(buf);
  if (rowWeights) ctx.pool.release(rowWeights);
  return {
    perRow: a.subarray(0, rows),
    reduced: b.subarray(0, 1),
    reducedPair: new Uint32Array(b.buffer, b.byteOffset, 2),
    stepReduced: new Uint32Array(d.buffer, d.byteOffset, 2),
    grad: c.subarray(0, rows * cols),
  };
}

/**
 * Checks a run against the float64 twin: per-row losses and the gradient within their derived
 * tolerances, the reduced loss within the rows' allowances plus gamma_14 Σ|per-row| for the reduction
 * tree (L = 12 roundings per pass + 1).
 */
export function expectLossMatchesTwin(
  cfg: LossConfig,
  reduction: Reduction,
  data: LossData,
  got: LossRun,
  label: string,
): void {
  const { rows, cols } = data;
  const sparse = cfg.name === "sparse-categorical-crossentropy";
  const yT = matrix(rows, sparse ? 1 : cols, data.yTrue);
  const yP = matrix(rows, cols, data.yPred);
  // Row weights: the twin's values times w_r; the kernel adds one correctly rounded product (u
  // relative) and its absolute error grows with w_r.
  const w = data.rowWeights;
  const weighTol = (t: { atol: Float64Array; rtol: number }, per: number) =>
    w ? { atol: t.atol.map((a, i) => a * w[Math.floor(i / per)]), rtol: t.rtol + u } : t;
  const ref = w ? weightRows(lossPerRow(cfg, yT, yP), 1, w) : lossPerRow(cfg, yT, yP);
  const fTol = weighTol(lossForwardTolerance(cfg, yT, yP), 1);
  expectClose(got.perRow, ref, fTol, { label: `${label} per-row`, family: "loss forward" });
  let allowance = 0, sumAbs = 0;
  for (let r = 0; r < rows; r++) {
    allowance += fTol.atol[r] + fTol.rtol * Math.abs(ref[r]);
    sumAbs += Math.abs(ref[r]);
  }
  const div = reduction === "mean" ? rows : 1;
  expectClose(got.reduced, [reduceLoss(ref, reduction)], {
    atol: (allowance + gamma(14) * sumAbs) / div,
    rtol: 2 * u,
  }, { label: `${label} reduced`, family: "loss forward" });
  // The training step's loss is the same per-row values through the same tree: the same bits.
  expect([...got.stepReduced], `${label}: the loss step's reduced loss`).toEqual([...got.reducedPair]);
  const unweighted = lossGradient({ ...cfg, reduction }, yT, yP).data;
  const refGrad = w ? weightRows(unweighted, cols, w) : unweighted;
  const scale = reduction === "mean" ? 1 / rows : 1;
  expectClose(got.grad, refGrad, weighTol(lossGradientTolerance(cfg, yT, yP, scale), cols), {
    label: `${label} gradient`,
    family: "loss backward",
  });
}
