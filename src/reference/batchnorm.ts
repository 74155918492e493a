/**
 * Float64 batch normalization, Keras semantics, written from the definition (Ioffe & Szegedy 2015;
 * Keras 3 `layers.BatchNormalization`).
 *
 * The input is a rows × channels matrix: a dense input [N, C] has rows = N, a channels-last image
 * [N, H, W, C] (or sequence [N, L, C]) has rows = N·H·W, so the statistics of a channel are taken over
 * every row of it, exactly as Keras's `axis=-1` reduces over all the other axes.
 *
 * Training: mean_c = (1/R) Σ_r x_rc, var_c = (1/R) Σ_r (x_rc - mean_c)² (the biased variance, as
 * Keras 3's `ops.moments`), x̂ = (x - mean)/√(var + ε), y = γ·x̂ + β; the moving statistics become
 * moving·momentum + batch·(1 - momentum) (momentum 0.99, ε 1e-3: Keras's defaults). Evaluation uses
 * the moving statistics in the same formula. Note tf.keras 2's fused kernel fed the Bessel-corrected
 * variance R/(R-1)·var to the moving average; Keras 3 (the contract's reference) feeds the biased one.
 * @module
 */

/** Keras `BatchNormalization` default momentum of the moving statistics. */
export const BATCHNORM_MOMENTUM = 0.99;
/** Keras `BatchNormalization` default epsilon. */
export const BATCHNORM_EPSILON = 1e-3;

/** Per-channel mean and (biased) variance. */
export interface BatchNormStatistics {
  mean: Float64Array;
  variance: Float64Array;
}

function checkShape(x: ArrayLike<number>, rows: number, channels: number, what: string) {
  if (x.length !== rows * channels) {
    throw new RangeError(`${what}: ${x.length} values for ${rows} rows × ${channels} channels`);
  }
}

/** The batch statistics of each channel: mean and biased variance over the rows (two passes). */
export function batchNormMoments(x: ArrayLike<number>, rows: number, channels: number): BatchNormStatistics {
  checkShape(x, rows, channels, "batchNormMoments");
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) mean[c] += x[r * channels + c];
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const d = x[r * channels + c] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= rows;
  return { mean, variance };
}

/** moving·momentum + batch·(1 - momentum), per channel, for mean and variance. */
export function batchNormMovingUpdate(
  moving: BatchNormStatistics,
  batch: BatchNormStatistics,
  momentum = BATCHNORM_MOMENTUM,
): BatchNormStatistics {
  const blend = (m: Float64Array, b: Float64Array) => m.map((v, c) => v * momentum + b[c] * (1 - momentum));
  return { mean: blend(moving.mean, batch.mean), variance: blend(moving.variance, batch.variance) };
}

/** y = γ·(x - mean)/√(var + ε) + β with the given statistics (the batch's or the moving ones). */
export function batchNormApply(
  x: ArrayLike<number>,
  rows: number,
  channels: number,
  stats: BatchNormStatistics,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon = BATCHNORM_EPSILON,
): Float64Array {
  checkShape(x, rows, channels, "batchNormApply");
  const y = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      y[i] = gamma[c] * (x[i] - stats.mean[c]) / Math.sqrt(stats.variance[c] + epsilon) + beta[c];
    }
  }
  return y;
}

/** Training-mode forward: the batch statistics, the output, and the updated moving statistics. */
export function batchNormTrainForward(
  x: ArrayLike<number>,
  rows: number,
  channels: number,
  params: { gamma: ArrayLike<number>; beta: ArrayLike<number>; moving: BatchNormStatistics },
  options: { momentum?: number; epsilon?: number } = {},
): { y: Float64Array; batch: BatchNormStatistics; moving: BatchNormStatistics } {
  const batch = batchNormMoments(x, rows, channels);
  const y = batchNormApply(x, rows, channels, batch, params.gamma, params.beta, options.epsilon);
  return { y, batch, moving: batchNormMovingUpdate(params.moving, batch, options.momentum) };
}

/** The gradients of the training-mode forward. */
export interface BatchNormGradients {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/**
 * Backward pass of the training-mode forward (statistics from the batch itself) for upstream dY.
 *
 * With s = 1/√(var + ε) and x̂ = (x - mean)·s: dβ = Σ_r dy, dγ = Σ_r dy·x̂, and, since the mean and
 * variance depend on every row, dx = γ·s·(dy - dβ/R - x̂·dγ/R): the chain rule through
 * ∂mean/∂x = 1/R and ∂var/∂x = 2(x - mean)/R (whose mean-dependence term vanishes as Σ(x - mean) = 0).
 */
export function batchNormBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  channels: number,
  gamma: ArrayLike<number>,
  epsilon = BATCHNORM_EPSILON,
): BatchNormGradients {
  checkShape(dy, rows, channels, "batchNormBackward");
  const { mean, variance } = batchNormMoments(x, rows, channels);
  const s = variance.map((v) => 1 / Math.sqrt(v + epsilon));
  const xhat = (i: number, c: number) => (x[i] - mean[c]) * s[c];
  const dgamma = new Float64Array(channels);
  const dbeta = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      dbeta[c] += dy[i];
      dgamma[c] += dy[i] * xhat(i, c);
    }
  }
  const dx = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      dx[i] = gamma[c] * s[c] * (dy[i] - dbeta[c] / rows - xhat(i, c) * dgamma[c] / rows);
    }
  }
  return { dx, dgamma, dbeta };
}
