/**
 * argmax, threshold, per-row correctness and confusion kernels against src/reference/classify.ts.
 * All are exact (integer comparisons on float bits, integer atomics), except binary correctness,
 * which is k / cols rounded once: tolerance u relative.
 */
import { afterAll, expect, it } from "vitest";
import { readback } from "../../src/gpu/mod.ts";
import {
  prepareArgmax,
  prepareConfusion,
  prepareCorrect,
  prepareThreshold,
} from "../../src/kernels/metrics.ts";
import { argmaxRows, confusionCounts, correctRows, thresholdValues } from "../../src/reference/classify.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import { describeKernels, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { expectClose, F32_U as u, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/metrics.test.ts");
  await releaseTestContext();
});

const SHAPES: [number, number][] = [[1, 1], [1, 4], [7, 3], [127, 10], [257, 2], [1000, 13], [70_000, 3]];

/** Scores with deliberate ties (values on a coarse grid) so "first index on ties" is exercised. */
function scores(seed: string, n: number): Float32Array {
  const rng = Rng.fromSeed(5).stream(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(rng.uniform(-2, 2) * 4) / 4;
  return out;
}

/** Reads u32 buffers back, each cut to its element count (pooled buffers are rounded up to 16 bytes). */
async function readU32(buffers: GPUBuffer[], lengths: number[]): Promise<Uint32Array[]> {
  const ctx = await testContext();
  return (await readback(ctx, buffers.map((buffer, i) => ({ buffer, byteLength: 4 * lengths[i] })))).map((
    b,
  ) => new Uint32Array(b));
}

describeKernels(
  ["argmax_forward", "threshold_forward", "correct_forward", "confusion_forward"],
  "metric kernels",
  () => {
    for (const [rows, cols] of SHAPES) {
      it(`argmax, threshold, correctness, confusion on ${rows}x${cols}`, async () => {
        const ctx = await testContext();
        const rng = Rng.fromSeed(6).stream(`labels ${rows}x${cols}`);
        const pred = scores(`pred ${rows}x${cols}`, rows * cols);
        const labels = new Float32Array(rows);
        const oneHot = new Float32Array(rows * cols);
        const binaryTruth = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          labels[r] = rng.int(cols);
          oneHot[r * cols + labels[r]] = 1;
          for (let c = 0; c < cols; c++) binaryTruth[r * cols + c] = rng.int(2);
        }
        const bufs = {
          pred: ctx.upload("pred", pred),
          labels: ctx.upload("labels", labels),
          oneHot: ctx.upload("oneHot", oneHot),
          binary: ctx.upload("binary", binaryTruth),
          classes: ctx.storage("classes", rows),
          decided: ctx.storage("decided", rows * cols),
          sparse: ctx.storage("sparse", rows),
          categorical: ctx.storage("categorical", rows),
          bin: ctx.storage("bin", rows),
          counts: ctx.storage("counts", cols * cols + 1),
        };
        ctx.device.queue.writeBuffer(bufs.counts, 0, new Uint32Array(cols * cols + 1));
        const label = `${rows}x${cols}`;
        const ops = [
          await prepareArgmax(ctx, { label, x: bufs.pred, classes: bufs.classes, rows, cols }),
          await prepareThreshold(ctx, {
            label,
            p: bufs.pred,
            decided: bufs.decided,
            n: rows * cols,
            threshold: 0.25,
          }),
          await prepareCorrect(ctx, {
            label,
            mode: "sparse",
            yTrue: bufs.labels,
            yPred: bufs.pred,
            correct: bufs.sparse,
            rows,
            cols,
          }),
          await prepareCorrect(ctx, {
            label,
            mode: "categorical",
            yTrue: bufs.oneHot,
            yPred: bufs.pred,
            correct: bufs.categorical,
            rows,
            cols,
          }),
          await prepareCorrect(ctx, {
            label,
            mode: "binary",
            yTrue: bufs.binary,
            yPred: bufs.pred,
            correct: bufs.bin,
            rows,
            cols,
            threshold: 0.25,
          }),
        ];
        ctx.submit(label, (pass) => ops.forEach((op) => op.encode(pass)));
        // Confusion consumes the argmax output: a second submit (one-hot truth this time).
        const conf = await prepareConfusion(ctx, {
          label,
          yTrue: bufs.oneHot,
          predicted: bufs.classes,
          counts: bufs.counts,
          rows,
          classes: cols,
          oneHot: true,
        });
        ctx.submit(label, (pass) => conf.encode(pass));
        const [classes, decided, sparse, categorical, bin, counts] = (await readU32(
          [bufs.classes, bufs.decided, bufs.sparse, bufs.categorical, bufs.bin, bufs.counts],
          [rows, rows * cols, rows, rows, rows, cols * cols + 1],
        )).map((a) => a.buffer as ArrayBuffer);
        const P = matrix(rows, cols, pred);
        const refClasses = argmaxRows(P);
        expect(Array.from(new Uint32Array(classes))).toEqual(Array.from(refClasses));
        expect(Array.from(new Uint32Array(decided))).toEqual(Array.from(thresholdValues(pred, 0.25)));
        expectClose(new Float32Array(sparse), correctRows("sparse", matrix(rows, 1, labels), P), {
          atol: 0,
          rtol: 0,
        }, {
          label: "sparse correctness",
          family: "metrics",
        });
        expectClose(
          new Float32Array(categorical),
          correctRows("categorical", matrix(rows, cols, oneHot), P),
          {
            atol: 0,
            rtol: 0,
          },
          {
            label: "categorical correctness",
            family: "metrics",
          },
        );
        expectClose(
          new Float32Array(bin),
          correctRows("binary", matrix(rows, cols, binaryTruth), P, { threshold: 0.25 }),
          { atol: 0, rtol: u },
          { label: "binary correctness", family: "metrics" },
        );
        const refCounts = confusionCounts(matrix(rows, cols, oneHot), refClasses, {
          classes: cols,
          oneHot: true,
        });
        expect(Array.from(new Uint32Array(counts))).toEqual(Array.from(refCounts));
        for (const op of [...ops, conf]) op.release();
      });
    }

    it("NaN, ±Inf, -0 and ties: numpy's argmax, p > t never true for NaN", async () => {
      const ctx = await testContext();
      const rows = [
        [1, NaN, 3, NaN],
        [-Infinity, -1e30, -1e30, -5],
        [Infinity, 1e38, Infinity, 0],
        [-0, 0, -0, 0],
        [2, 2, 2, 2],
      ];
      const x = new Float32Array(rows.flat());
      const xb = ctx.upload("edge x", x);
      const classes = ctx.storage("edge classes", 5);
      const decided = ctx.storage("edge decided", 20);
      const a = await prepareArgmax(ctx, { label: "edge", x: xb, classes, rows: 5, cols: 4 });
      const t = await prepareThreshold(ctx, { label: "edge", p: xb, decided, n: 20, threshold: 0 });
      ctx.submit("edge", (pass) => {
        a.encode(pass);
        t.encode(pass);
      });
      const [c, d] = await readU32([classes, decided], [5, 20]);
      expect(Array.from(c)).toEqual([1, 3, 0, 0, 0]);
      expect(Array.from(c)).toEqual(Array.from(argmaxRows(matrix(5, 4, x))));
      expect(Array.from(d)).toEqual(Array.from(thresholdValues(x, 0)));
    });

    it("confusion: invalid labels and predictions land in the last slot, counts accumulate", async () => {
      const ctx = await testContext();
      const labels = new Float32Array([0, 1, 2, 2.5, -1, NaN, 1]);
      const predicted = new Uint32Array([0, 2, 2, 1, 0, 1, 7]);
      const counts = ctx.storage("confusion counts", 10);
      ctx.device.queue.writeBuffer(counts, 0, new Uint32Array(10));
      const op = await prepareConfusion(ctx, {
        label: "invalid",
        yTrue: ctx.upload("labels", labels),
        predicted: ctx.upload("predicted", predicted),
        counts,
        rows: 7,
        classes: 3,
        oneHot: false,
      });
      ctx.submit("confusion twice", (pass) => {
        op.encode(pass);
        op.encode(pass);
      });
      const [got] = await readU32([counts], [10]);
      const once = confusionCounts(matrix(7, 1, labels), predicted, { classes: 3, oneHot: false });
      expect(Array.from(got)).toEqual(Array.from(once).map((v) => 2 * v));
      expect(once[9]).toBe(4);
    });
  },
);
