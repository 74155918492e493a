/**
 * loss_forward.wgsl and loss_backward.wgsl against the float64 twin (src/reference/losses.ts), for
 * every loss kind, both reductions, awkward shapes and the edge cases (logits ±100 / ±1e4, all-equal
 * rows, clipped probabilities, NaN/Inf, a batch of one).
 *
 * Tolerances are derived per row / element from WGSL's accuracy rules (+ - * correctly rounded, / within 2.5 ULP = 5u;
 * log: absolute 2^-21 on [0.5, 2], else 3 ULP; exp: (3 + 2|x|) ULP) and the K-term row sums
 * (gamma_K · Σ|terms|, Higham Lemma 3.1); see each branch of `lossForwardTolerance` /
 * `lossGradientTolerance` in test/helpers/kernel_tolerances.ts.
 * One ULP of a float32 value v is at most 2u|v| (u = 2^-24).
 */
import { afterAll, expect, it } from "vitest";
import { type LossConfig, lossGradient, lossPerRow } from "../../src/reference/losses.ts";
import { type Matrix, matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import { describeKernels, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { lossForwardTolerance, lossGradientTolerance } from "../helpers/kernel_tolerances.ts";
import { expectLossMatchesTwin, LOSS_CONFIGS, lossInputs, lossTag, runLoss } from "../helpers/loss_cases.ts";
import { expectClose, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/losses.test.ts");
  await releaseTestContext();
});

const SHAPES: [number, number][] = [[1, 1], [1, 5], [7, 3], [127, 10], [257, 2], [1000, 13], [31, 257], [
  2500,
  3,
]];

/** The loss's typical inputs (test/helpers/loss_cases.ts) from a stream named by shape and `seed`. */
function makeInputs(
  cfg: LossConfig,
  rows: number,
  cols: number,
  seed: string,
): { yTrue: Float32Array; yPred: Float32Array } {
  return lossInputs(cfg, rows, cols, Rng.fromSeed(99).stream(`${lossTag(cfg)} ${rows}x${cols} ${seed}`));
}

function mat(data: Float32Array, rows: number, cols: number): Matrix {
  return matrix(rows, cols, data);
}

describeKernels(
  ["loss_forward", "loss_backward", "reduce_forward"],
  "loss kernels against the float64 twin",
  () => {
    for (const cfg of LOSS_CONFIGS) {
      for (const [rows, cols] of SHAPES) {
        for (const reduction of ["mean", "sum"] as const) {
          it(`${lossTag(cfg)} ${rows}x${cols} ${reduction}`, async () => {
            const ctx = await testContext();
            const data = makeInputs(cfg, rows, cols, "main");
            const got = await runLoss(ctx, cfg, reduction, { ...data, rows, cols });
            expectLossMatchesTwin(cfg, reduction, { ...data, rows, cols }, got, lossTag(cfg));
          });
        }
      }
    }
  },
);

describeKernels(
  ["loss_forward", "loss_backward", "reduce_forward"],
  "per-row weights (Keras class_weight) scale each row's loss and gradient",
  () => {
    // Weights as class weights make them: a few distinct values, zeros included (a class weighed
    // out), one large; rows not a multiple of the workgroup size.
    for (const cfg of LOSS_CONFIGS) {
      for (const [rows, cols] of [[1, 3], [7, 3], [127, 10], [257, 2]] as const) {
        it(`${lossTag(cfg)} ${rows}x${cols} weighted`, async () => {
          const ctx = await testContext();
          const data = makeInputs(cfg, rows, cols, "weighted");
          const levels = [1, 0, 20, 0.37];
          const rowWeights = Float32Array.from(
            { length: rows },
            (_, r) => levels[(r * 7 + 3) % levels.length],
          );
          for (const reduction of ["mean", "sum"] as const) {
            const got = await runLoss(ctx, cfg, reduction, { ...data, rows, cols, rowWeights });
            expectLossMatchesTwin(
              cfg,
              reduction,
              { ...data, rows, cols, rowWeights },
              got,
              `${lossTag(cfg)} weighted`,
            );
            // A row of weight 0 contributes nothing, to the loss or the gradient.
            rowWeights.forEach((wt, r) => {
              if (wt !== 0) return;
              expect(got.perRow[r]).toBe(0);
              for (let c = 0; c < cols; c++) expect(Math.abs(got.grad[r * cols + c])).toBe(0);
            });
          }
        });
      }
    }
  },
);

describeKernels(
  ["loss_forward", "loss_backward"],
  "a (rows, 1) target broadcast against every column",
  () => {
    // Keras compares a (rows, 1) target with each of the (rows, cols) predictions: MSE on class
    // indices with a softmax head trains this way. The twin repeats the column; the kernel reads it.
    const broadcastable = LOSS_CONFIGS.filter((c) => c.name !== "sparse-categorical-crossentropy");
    for (const cfg of broadcastable) {
      for (const [rows, cols] of [[7, 3], [127, 10]] as const) {
        it(`${lossTag(cfg)} ${rows}x1 against ${rows}x${cols}`, async () => {
          const ctx = await testContext();
          const data = makeInputs(cfg, rows, cols, "broadcast");
          const column = Float32Array.from({ length: rows }, (_, r) => data.yTrue[r * cols]);
          const repeated = Float32Array.from({ length: rows * cols }, (_, i) => column[Math.floor(i / cols)]);
          const yT = mat(repeated, rows, cols);
          const yP = mat(data.yPred, rows, cols);
          const got = await runLoss(ctx, cfg, "mean", {
            yTrue: column,
            yPred: data.yPred,
            rows,
            cols,
            targetCols: 1,
          });
          const ref = lossPerRow(cfg, yT, yP);
          // The twin broadcasts the same way: one column gives exactly the repeated column's values.
          expect(lossPerRow(cfg, mat(column, rows, 1), yP)).toEqual(ref);
          expectClose(got.perRow, ref, lossForwardTolerance(cfg, yT, yP), {
            label: `${lossTag(cfg)} broadcast per-row`,
            family: "loss forward",
          });
          const refGrad = lossGradient({ ...cfg, reduction: "mean" }, yT, yP);
          expectClose(got.grad, refGrad.data, lossGradientTolerance(cfg, yT, yP, 1 / rows), {
            label: `${lossTag(cfg)} broadcast gradient`,
            family: "loss backward",
          });
        });
      }
    }
  },
);

describeKernels(["loss_forward", "loss_backward"], "loss kernel edge cases", () => {
  const logitCfgs = LOSS_CONFIGS.filter((c) => c.fromLogits);
  for (const cfg of logitCfgs) {
    for (const big of [100, 1e4]) {
      it(`${lossTag(cfg)} with logits ±${big}`, async () => {
        const ctx = await testContext();
        const rows = 6, cols = 4;
        const base = makeInputs(cfg, rows, cols, `big ${big}`);
        // Rows: one huge positive, one huge negative, mixed signs, all equal huge, alternating.
        const pattern = [
          [big, 0, 0, 0],
          [-big, 0, 0, 0],
          [big, -big, big, -big],
          [big, big, big, big],
          [-big, -big, -big, -big],
          [0.5, big, -big, 1],
        ];
        base.yPred.set(pattern.flat());
        const yT = mat(base.yTrue, rows, cfg.name === "sparse-categorical-crossentropy" ? 1 : cols);
        const yP = mat(base.yPred, rows, cols);
        const got = await runLoss(ctx, cfg, "mean", { ...base, rows, cols });
        const ref = lossPerRow(cfg, yT, yP);
        for (const v of got.perRow) expect(Number.isFinite(v)).toBe(true);
        expectClose(got.perRow, ref, lossForwardTolerance(cfg, yT, yP), {
          label: `${lossTag(cfg)} ±${big}`,
          family: "loss forward",
        });
        const refGrad = lossGradient({ ...cfg, reduction: "mean" }, yT, yP);
        expectClose(got.grad, refGrad.data, lossGradientTolerance(cfg, yT, yP, 1 / rows), {
          label: `${lossTag(cfg)} ±${big} gradient`,
          family: "loss backward",
        });
      });
    }
  }

  for (const cfg of LOSS_CONFIGS) {
    it(`${lossTag(cfg)}: all-equal rows and a batch of one`, async () => {
      const ctx = await testContext();
      for (const rows of [1, 5]) {
        const cols = 4;
        const data = makeInputs(cfg, rows, cols, "equal");
        const v = cfg.fromLogits
          ? 2.5
          : cfg.name === "mse" || cfg.name === "mae" || cfg.name === "huber"
          ? 0.3
          : 0.25;
        data.yPred.fill(v);
        const yT = mat(data.yTrue, rows, cfg.name === "sparse-categorical-crossentropy" ? 1 : cols);
        const yP = mat(data.yPred, rows, cols);
        const got = await runLoss(ctx, cfg, "mean", { ...data, rows, cols });
        expectClose(got.perRow, lossPerRow(cfg, yT, yP), lossForwardTolerance(cfg, yT, yP), {
          label: `${lossTag(cfg)} equal rows`,
          family: "loss forward",
        });
        expectClose(
          got.grad,
          lossGradient({ ...cfg, reduction: "mean" }, yT, yP).data,
          lossGradientTolerance(cfg, yT, yP, 1 / rows),
          {
            label: `${lossTag(cfg)} equal rows gradient`,
            family: "loss backward",
          },
        );
      }
    });

    it(`${lossTag(cfg)}: NaN and ±Inf inputs make their row NaN, other rows stay exact`, async () => {
      const ctx = await testContext();
      const rows = 5, cols = 3;
      const data = makeInputs(cfg, rows, cols, "nonfinite");
      data.yPred[0 * cols + 1] = NaN;
      data.yPred[1 * cols + 0] = Infinity;
      data.yPred[2 * cols + 2] = -Infinity;
      const sparse = cfg.name === "sparse-categorical-crossentropy";
      data.yTrue[sparse ? 3 : 3 * cols] = NaN;
      const got = await runLoss(ctx, cfg, "mean", { ...data, rows, cols });
      for (let r = 0; r < 4; r++) {
        expect(Number.isNaN(got.perRow[r]), `row ${r} loss`).toBe(true);
        for (let c = 0; c < cols; c++) {
          expect(Number.isNaN(got.grad[r * cols + c]), `row ${r} grad`).toBe(true);
        }
      }
      expect(Number.isNaN(got.reduced[0]), "reduced loss").toBe(true);
      expect(new Uint32Array(got.reduced.buffer)[1], "non-finite rows counted").toBe(4);
      const yT = mat(data.yTrue.slice(sparse ? 4 : 4 * cols), 1, sparse ? 1 : cols);
      const yP = mat(data.yPred.slice(4 * cols), 1, cols);
      expectClose(got.perRow.subarray(4), lossPerRow(cfg, yT, yP), lossForwardTolerance(cfg, yT, yP), {
        label: `${lossTag(cfg)} finite row`,
      });
    });
  }

  it("categorical from probabilities: a zero row sum gives NaN; sparse labels out of range give NaN", async () => {
    const ctx = await testContext();
    const cce: LossConfig = { name: "categorical-crossentropy", fromLogits: false };
    const got = await runLoss(ctx, cce, "sum", {
      yTrue: new Float32Array([1, 0, 0, 1]),
      yPred: new Float32Array([0, 0, 0.2, 0.8]),
      rows: 2,
      cols: 2,
    });
    expect(Number.isNaN(got.perRow[0])).toBe(true);
    expect(got.perRow[1]).toBeCloseTo(-Math.log(0.8), 6);
    for (const fromLogits of [false, true]) {
      const scce: LossConfig = { name: "sparse-categorical-crossentropy", fromLogits };
      const bad = await runLoss(ctx, scce, "sum", {
        yTrue: new Float32Array([3, -1, 0.5, 1]),
        yPred: new Float32Array([0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.2, 0.3, 0.5]),
        rows: 4,
        cols: 3,
      });
      expect(Array.from(bad.perRow.subarray(0, 3)).every(Number.isNaN)).toBe(true);
      expect(Number.isFinite(bad.perRow[3])).toBe(true);
    }
  });
});
