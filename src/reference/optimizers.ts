/**
 * Float64 optimizer updates with Keras semantics and defaults (keras/src/optimizers/*.py, Keras 3;
 * tf.keras 2 differs only where noted). Each returns new arrays and leaves its inputs alone.
 *
 * Against PyTorch (held to it by test/reference/goldens.test.ts, goldens from
 * scripts/goldens/make_goldens.py):
 * - SGD with momentum: torch keeps v ← μv + g and steps w ← w - lr·v; Keras keeps v ← μv - lr·g and
 *   steps w ← w + v. With a constant learning rate the two are the same update (Keras' v is -lr
 *   times torch's): checked against `torch.optim.SGD`.
 * - Adam: a deliberate difference. Keras adds ε to √v and folds both bias corrections into the
 *   step size; `torch.optim.Adam` adds ε to √v̂ = √v / √(1 - β2^t). With ε = 0 they agree (checked
 *   against torch); with ε > 0 Keras' effective ε is ε·√(1 - β2^t), larger in early steps. The
 *   goldens copy Keras' update_step in numpy.
 * - RMSprop: Keras 3 puts ε inside the root (`epsilonInsideSqrt`, the default here), a deliberate
 *   difference from `torch.optim.RMSprop` and tf.keras 2, which add it to the root; the latter is
 *   `epsilonInsideSqrt: false`, checked against torch.
 * @module
 */

/** SGD: without momentum w ← w - lr·g; with momentum v ← μ·v - lr·g, w ← w + v (Keras, non-Nesterov). */
export function sgdStep(
  state: { w: ArrayLike<number>; velocity: ArrayLike<number> },
  g: ArrayLike<number>,
  options: { learningRate: number; momentum?: number },
): { w: Float64Array; velocity: Float64Array } {
  const mu = options.momentum ?? 0;
  const w = Float64Array.from(state.w);
  const velocity = Float64Array.from(state.velocity);
  for (let i = 0; i < w.length; i++) {
    if (mu === 0) {
      w[i] -= options.learningRate * g[i];
    } else {
      velocity[i] = mu * velocity[i] - options.learningRate * g[i];
      w[i] += velocity[i];
    }
  }
  return { w, velocity };
}

/** Keras Adam defaults. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/**
 * Adam as Keras writes it (same in tf.keras 2 and Keras 3), for step t = 1, 2, ...:
 * m ← m + (g - m)(1 - β1), v ← v + (g² - v)(1 - β2),
 * w ← w - α·m / (√v + ε) with α = lr·√(1 - β2^t) / (1 - β1^t).
 * This is the paper's "epsilon hat" form: ε is added to √v, not to √v̂ (equivalent to
 * m̂ / (√v̂ + ε/√(1 - β2^t))).
 */
export function adamStep(
  state: { w: ArrayLike<number>; m: ArrayLike<number>; v: ArrayLike<number> },
  g: ArrayLike<number>,
  options: { learningRate: number; step: number; beta1?: number; beta2?: number; epsilon?: number },
): { w: Float64Array; m: Float64Array; v: Float64Array } {
  const b1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
  const b2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
  const eps = options.epsilon ?? ADAM_DEFAULTS.epsilon;
  const t = options.step;
  if (!(Number.isInteger(t) && t >= 1)) {
    throw new RangeError(`adamStep: step must be an integer >= 1, got ${t}`);
  }
  const alpha = options.learningRate * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
  const w = Float64Array.from(state.w);
  const m = Float64Array.from(state.m);
  const v = Float64Array.from(state.v);
  for (let i = 0; i < w.length; i++) {
    m[i] += (g[i] - m[i]) * (1 - b1);
    v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
    w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + eps);
  }
  return { w, m, v };
}

/** Keras RMSprop defaults. */
export const RMSPROP_DEFAULTS = { rho: 0.9, epsilon: 1e-7 } as const;

/**
 * RMSprop without momentum, not centered: ms ← ρ·ms + (1 - ρ)·g², then
 * Keras 3: w ← w - lr·g / √(ms + ε) (`epsilonInsideSqrt`, the default);
 * tf.keras 2: w ← w - lr·g / (√ms + ε).
 */
export function rmspropStep(
  state: { w: ArrayLike<number>; ms: ArrayLike<number> },
  g: ArrayLike<number>,
  options: { learningRate: number; rho?: number; epsilon?: number; epsilonInsideSqrt?: boolean },
): { w: Float64Array; ms: Float64Array } {
  const rho = options.rho ?? RMSPROP_DEFAULTS.rho;
  const eps = options.epsilon ?? RMSPROP_DEFAULTS.epsilon;
  const inside = options.epsilonInsideSqrt ?? true;
  const w = Float64Array.from(state.w);
  const ms = Float64Array.from(state.ms);
  for (let i = 0; i < w.length; i++) {
    ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
    const denominator = inside ? Math.sqrt(ms[i] + eps) : Math.sqrt(ms[i]) + eps;
    w[i] -= (options.learningRate * g[i]) / denominator;
  }
  return { w, ms };
}
