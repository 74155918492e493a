/**
 * The float64 loss reference (src/reference/losses.ts): hand-computed values, gradients against
 * central finite differences, and @tensorflow/tfjs (CPU backend, float32) as a third opinion.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { type LossConfig, lossGradient, lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import { fromRows, type Matrix, matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import { LOSS_CONFIGS, lossTag } from "../helpers/loss_cases.ts";

/** Inputs in the smooth interior: probabilities in [0.05, 0.95], errors away from kinks. */
function smoothInputs(
  cfg: LossConfig,
  rows: number,
  cols: number,
  seed: string,
  options: { normalize?: boolean } = {},
) {
  const rng = Rng.fromSeed(3).stream(`${lossTag(cfg)} ${seed}`);
  const sparse = cfg.name === "sparse-categorical-crossentropy";
  const yTrue = matrix(rows, sparse ? 1 : cols);
  const yPred = matrix(rows, cols);
  for (let r = 0; r < rows; r++) {
    const k = rng.int(cols);
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (cfg.fromLogits) yPred.data[i] = rng.uniform(-4, 4);
      else if (cfg.name === "mse" || cfg.name === "mae" || cfg.name === "huber") {
        // |error| in [0.1, 0.6] or [0.8, 2]: away from 0 (mae's kink) and from huber's delta 0.7.
        const e = rng.next() < 0.5 ? rng.uniform(0.1, 0.6) : rng.uniform(0.8, 2);
        yTrue.data[i] = rng.uniform(-1, 1);
        yPred.data[i] = yTrue.data[i] + (rng.next() < 0.5 ? -e : e);
        continue;
      } else yPred.data[i] = rng.uniform(0.05, 0.95);
      s += yPred.data[i];
      if (cfg.name === "binary-crossentropy") {
        yTrue.data[i] = rng.next() < 0.7 ? rng.int(2) : rng.uniform(0, 1);
      } else if (!sparse) yTrue.data[i] = c === k ? 1 : 0;
    }
    if (options.normalize && s > 0) { for (let c = 0; c < cols; c++) yPred.data[r * cols + c] /= s; }
    if (sparse) yTrue.data[r] = k;
  }
  return { yTrue, yPred };
}

describe("loss reference: hand-computed values", () => {
  it("matches values worked out by hand", () => {
    const y = fromRows([[1, 0]]);
    const p = fromRows([[0.8, 0.2]]);
    expect(lossPerRow({ name: "mse", fromLogits: false }, y, p)[0]).toBeCloseTo((0.04 + 0.04) / 2, 15);
    expect(lossPerRow({ name: "mae", fromLogits: false }, y, p)[0]).toBeCloseTo(0.2, 15);
    expect(lossPerRow({ name: "binary-crossentropy", fromLogits: false }, y, p)[0]).toBeCloseTo(
      -Math.log(0.8),
      14,
    );
    expect(lossPerRow({ name: "categorical-crossentropy", fromLogits: false }, y, p)[0]).toBeCloseTo(
      -Math.log(0.8),
      14,
    );
    expect(lossPerRow({ name: "sparse-categorical-crossentropy", fromLogits: false }, fromRows([[0]]), p)[0])
      .toBeCloseTo(-Math.log(0.8), 14);
    // Huber, delta 1: |e| = 3 -> 1·3 - 0.5.
    expect(lossPerRow({ name: "huber", fromLogits: false }, fromRows([[0]]), fromRows([[3]]))[0]).toBe(2.5);
    // Categorical from probabilities renormalises: [2, 2] -> [0.5, 0.5].
    expect(lossPerRow({ name: "categorical-crossentropy", fromLogits: false }, y, fromRows([[2, 2]]))[0])
      .toBeCloseTo(Math.log(2), 15);
    // Clipping: p = 1 with y = 0 gives -log(1 - (1 - 1e-7)) (≈ -log(1e-7); Keras 3's order: clip,
    // then 1 - p, so the rounding of 1 - 1e-7 stays); logits stay finite at ±1e4.
    expect(
      lossPerRow({ name: "binary-crossentropy", fromLogits: false }, fromRows([[0]]), fromRows([[1]]))[0],
    )
      .toBe(-Math.log(1 - (1 - 1e-7)));
    expect(
      lossPerRow({ name: "binary-crossentropy", fromLogits: true }, fromRows([[0]]), fromRows([[1e4]]))[0],
    ).toBe(1e4);
    expect(lossPerRow({ name: "categorical-crossentropy", fromLogits: true }, y, fromRows([[-1e4, 1e4]]))[0])
      .toBe(2e4);
    expect(reduceLoss(new Float64Array([1, 2, 3]), "mean")).toBe(2);
    expect(reduceLoss(new Float64Array([1, 2, 3]), "sum")).toBe(6);
  });

  it("rejects bad sparse labels and shapes with an InputError naming the value", () => {
    const cfg: LossConfig = { name: "sparse-categorical-crossentropy", fromLogits: true };
    expect(() => lossPerRow(cfg, fromRows([[0], [3]]), fromRows([[1, 2, 3], [1, 2, 3]]))).toThrow(InputError);
    expect(() => lossPerRow(cfg, fromRows([[0], [3]]), fromRows([[1, 2, 3], [1, 2, 3]]))).toThrow(/got 3/);
    expect(() => lossPerRow({ name: "mse", fromLogits: false }, fromRows([[1, 2]]), fromRows([[1]]))).toThrow(
      /1×2/,
    );
  });

  it("propagates NaN", () => {
    for (const cfg of LOSS_CONFIGS) {
      const { yTrue, yPred } = smoothInputs(cfg, 2, 3, "nan");
      yPred.data[1] = NaN;
      const v = lossPerRow(cfg, yTrue, yPred);
      expect(Number.isNaN(v[0]), lossTag(cfg)).toBe(true);
      expect(Number.isFinite(v[1]), lossTag(cfg)).toBe(true);
    }
  });
});

describe("loss gradients against central finite differences", () => {
  for (const cfg of LOSS_CONFIGS) {
    for (const reduction of ["mean", "sum"] as const) {
      it(`${lossTag(cfg)} ${reduction}`, () => {
        const { yTrue, yPred } = smoothInputs(cfg, 3, 4, "fd");
        const g = lossGradient({ ...cfg, reduction }, yTrue, yPred);
        const f = (m: Matrix) => reduceLoss(lossPerRow(cfg, yTrue, m), reduction);
        for (let i = 0; i < yPred.data.length; i++) {
          // h = 1e-6: truncation h²/6·|f'''| <= ~1e-9 here (p >= 0.05: |f'''| <= 2/p³ = 1.6e4, times
          // the 1/K, 1/rows weights), round-off 2·2^-53·|f|/h ~ 1e-9 for |f| <= 5.
          const h = 1e-6;
          const plus = matrix(yPred.rows, yPred.cols, yPred.data);
          const minus = matrix(yPred.rows, yPred.cols, yPred.data);
          plus.data[i] += h;
          minus.data[i] -= h;
          const fd = (f(plus) - f(minus)) / (2 * h);
          expect(Math.abs(fd - g.data[i]), `${lossTag(cfg)} [${i}]: fd ${fd} vs analytic ${g.data[i]}`)
            .toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(g.data[i]));
        }
      });
    }
  }

  it("gradients are zero where the probability clip is active", () => {
    const g = lossGradient(
      { name: "binary-crossentropy", fromLogits: false, reduction: "sum" },
      fromRows([[1, 0]]),
      fromRows([[0, 1]]),
    );
    expect(Array.from(g.data)).toEqual([0, 0]);
  });
});

describe("loss reference against tfjs (CPU backend, float32)", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  // tfjs computes in float32 from float32 inputs: each elementary op is one rounding (u = 2^-24;
  // tfjs's CPU kernels call Math.log/exp in float64 and round). A row of K terms is then within
  // gamma_{K+8}·Σ|terms| plus, for logs of normalised or clipped probabilities, ~8u absolute per
  // unit of target mass (the relative error of the argument becomes absolute after the log).
  const u = 2 ** -24;
  for (const cfg of LOSS_CONFIGS) {
    it(lossTag(cfg), () => {
      const rows = 64, cols = 5;
      const { yTrue, yPred } = smoothInputs(cfg, rows, cols, "tfjs", { normalize: true });
      // Feed both the same float32 values.
      const yT = matrix(rows, yTrue.cols, Float32Array.from(yTrue.data));
      const yP = matrix(rows, cols, Float32Array.from(yPred.data));
      const ours = lossPerRow(cfg, yT, yP);
      const theirs = tf.tidy(() => {
        const t = tf.tensor2d(Float32Array.from(yT.data), [rows, yT.cols]);
        const p = tf.tensor2d(Float32Array.from(yP.data), [rows, cols]);
        const none = tf.Reduction.NONE;
        switch (cfg.name) {
          case "mse":
            return tf.metrics.meanSquaredError(t, p);
          case "mae":
            return tf.metrics.meanAbsoluteError(t, p);
          case "huber":
            return tf.losses.huberLoss(t, p, undefined, cfg.delta, none).mean(-1);
          case "binary-crossentropy":
            return cfg.fromLogits
              ? tf.losses.sigmoidCrossEntropy(t, p, undefined, 0, none).mean(-1)
              : tf.metrics.binaryCrossentropy(t, p);
          case "categorical-crossentropy":
            return cfg.fromLogits
              ? tf.losses.softmaxCrossEntropy(t, p, undefined, 0, none)
              : tf.metrics.categoricalCrossentropy(t, p);
          case "sparse-categorical-crossentropy":
            return cfg.fromLogits
              ? tf.losses.softmaxCrossEntropy(
                tf.oneHot(t.reshape([rows]).toInt(), cols),
                p,
                undefined,
                0,
                none,
              )
              // tfjs has no sparse metric: its layers loss one-hot encodes, then categorical.
              : tf.metrics.categoricalCrossentropy(tf.oneHot(t.reshape([rows]).toInt(), cols), p);
        }
      }).dataSync();
      for (let r = 0; r < rows; r++) {
        const allowed = 8 * u * 2 + (cols + 8) * u * 4 * Math.max(1, Math.abs(ours[r]));
        const err = Math.abs(theirs[r] - ours[r]);
        expect(err, `${lossTag(cfg)} row ${r}: tfjs ${theirs[r]} vs ours ${ours[r]}`).toBeLessThanOrEqual(
          allowed,
        );
      }
    });
  }
});
