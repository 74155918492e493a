/** Loss inputs shared by the loss kernel tests and the GPU property tests. */
import type { LossConfig } from "../../src/reference/losses.ts";
import type { Rng } from "../../src/random.ts";

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
