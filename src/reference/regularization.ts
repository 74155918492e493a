/**
 * Float64 L2 kernel regularization, Keras semantics (`regularizers.L2(l2)`): the penalty
 * l2·Σ w² of each regularized kernel (weights, not biases) is added to the loss the optimizer
 * minimises and the loss Keras reports, so the gradient of a kernel gains 2·l2·w. Written from the
 * definition.
 *
 * Reporting, as Keras's `fit` and `evaluate` do: each batch's loss is its mean data loss plus the
 * penalties of the weights that batch was computed with; the epoch's training loss is the mean of
 * those per-batch values weighted by batch size, and the validation loss is the data loss on the
 * validation split plus the penalties of the final weights (Keras adds `model.losses` in both
 * `train_step` and `test_step`).
 * @module
 */

/** l2·Σ w²: one kernel's penalty. */
export function l2Penalty(w: ArrayLike<number>, l2: number): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  return l2 * s;
}

/** g + 2·l2·w: a kernel's gradient with its penalty's gradient added. */
export function l2Gradient(g: ArrayLike<number>, w: ArrayLike<number>, l2: number): Float64Array {
  if (g.length !== w.length) {
    throw new RangeError(`l2Gradient: ${g.length} gradients for ${w.length} weights`);
  }
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) out[i] = g[i] + 2 * l2 * w[i];
  return out;
}

/** The loss Keras reports for a batch: its mean data loss plus every regularized kernel's penalty. */
export function regularizedLoss(
  dataLoss: number,
  kernels: readonly { w: ArrayLike<number>; l2: number }[],
): number {
  return kernels.reduce((loss, k) => loss + l2Penalty(k.w, k.l2), dataLoss);
}
