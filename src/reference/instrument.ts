/**
 * Float64 twins of the per-step instrumentation (`layer_record_forward.wgsl`): the update ratio and
 * the activation statistics; its gradient norms are `reduceF64("norm", ...)` (reductions.ts).
 *
 * @module
 */

/**
 * |z| beyond which a pre-activation sits in a flat tail: sigma'(4) = 0.018 (7% of its peak 0.25),
 * tanh'(2.5) = 0.027 (2.7% of its peak 1); the output is then within 0.018 / 0.013 of its asymptote.
 */
export const SATURATION_CUTOFFS = { sigmoid: 4, tanh: 2.5 } as const;

/** One tensor's update size for one step. */
export interface UpdateRatio {
  /** ‖Δw‖ / ‖w_old‖: 0 when both are 0, Infinity when only ‖w_old‖ is, NaN when anything is non-finite. */
  ratio: number;
  deltaNorm: number;
  weightNorm: number;
  /** Non-finite words of w_new plus those of w_old. */
  nonFinite: number;
}

/**
 * ‖w_new − w_old‖ / ‖w_old‖ over one tensor.
 *
 * @example
 * ```ts
 * updateRatio([3, 4.5], [3, 4]).ratio; // 0.1
 * ```
 */
export function updateRatio(wNew: ArrayLike<number>, wOld: ArrayLike<number>): UpdateRatio {
  let dd = 0, ww = 0, nonFinite = 0;
  for (let i = 0; i < wNew.length; i++) {
    const a = wNew[i], b = wOld[i];
    nonFinite += (Number.isFinite(a) ? 0 : 1) + (Number.isFinite(b) ? 0 : 1);
    if (Number.isFinite(a) && Number.isFinite(b)) {
      dd += (a - b) ** 2;
      ww += b * b;
    }
  }
  if (nonFinite > 0) return { ratio: NaN, deltaNorm: NaN, weightNorm: NaN, nonFinite };
  const deltaNorm = Math.sqrt(dd), weightNorm = Math.sqrt(ww);
  const ratio = weightNorm === 0 ? (deltaNorm === 0 ? 0 : Infinity) : deltaNorm / weightNorm;
  return { ratio, deltaNorm, weightNorm, nonFinite };
}

/**
 * Fraction of units (columns of the rows × units pre-activations) with z <= 0 on every row: dead
 * ReLU units on this batch. NaN is not <= 0; a batch of zero rows has no dead unit.
 */
export function deadFraction(
  z: ArrayLike<number>,
  rows: number,
  units: number,
): { fraction: number; count: number } {
  let count = 0;
  for (let u = 0; u < units; u++) {
    let dead = rows > 0;
    for (let r = 0; r < rows && dead; r++) dead = z[r * units + u] <= 0;
    if (dead) count++;
  }
  return { fraction: units === 0 ? 0 : count / units, count };
}

/** Fraction of the rows × units pre-activations with |z| > cutoff (±Inf count, NaN does not). */
export function saturatedFraction(
  z: ArrayLike<number>,
  options: { rows: number; units: number; cutoff: number },
): { fraction: number; count: number } {
  const total = options.rows * options.units;
  let count = 0;
  for (let i = 0; i < total; i++) if (Math.abs(z[i]) > Math.abs(options.cutoff)) count++;
  return { fraction: total === 0 ? 0 : count / total, count };
}
