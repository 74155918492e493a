/**
 * Float64 global average pooling over the positions of a channels-last input (Keras
 * `GlobalAveragePooling1D` on [N, L, C] and `GlobalAveragePooling2D` on [N, H, W, C]): both are a
 * mean over `positions` = L or H·W rows per sample, per channel. Written from the definition.
 * @module
 */

/** y[n, c] = (1/P) Σ_p x[n, p, c] for x of shape [batch, positions, channels]. */
export function globalAvgPoolForward(
  x: ArrayLike<number>,
  batch: number,
  positions: number,
  channels: number,
): Float64Array {
  if (x.length !== batch * positions * channels) {
    throw new RangeError(`globalAvgPoolForward: ${x.length} values for ${batch}×${positions}×${channels}`);
  }
  const y = new Float64Array(batch * channels);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < channels; c++) y[n * channels + c] += x[(n * positions + p) * channels + c];
    }
  }
  return y.map((v) => v / positions);
}

/** dx[n, p, c] = dy[n, c] / P: each position receives an equal share of its channel's gradient. */
export function globalAvgPoolBackward(
  dy: ArrayLike<number>,
  batch: number,
  positions: number,
  channels: number,
): Float64Array {
  const dx = new Float64Array(batch * positions * channels);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < channels; c++) {
        dx[(n * positions + p) * channels + c] = dy[n * channels + c] / positions;
      }
    }
  }
  return dx;
}
