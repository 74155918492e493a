/**
 * Dropout with a mask that the GPU and this float64 twin generate identically, bit for bit.
 *
 * Element `index` of layer `layer` at step `step` is kept when a 32-bit hash of
 * (seed, step, layer, index) has its top 24 bits at or above round(rate·2^24); kept elements are
 * scaled by 1/(1 - rate) (inverted dropout, as Keras), dropped ones are 0. The hash is a chain of
 * PCG-RXS-M-XS output permutations (O'Neill 2014; the "pcg_hash" of Jarzynski & Olano, JCGT 2020),
 * which uses only u32 multiply, add, xor and shifts, so JavaScript reproduces it with Math.imul.
 * @module
 */

/** One round of PCG's RXS-M-XS permutation on a 32-bit value. */
export function pcgHash(value: number): number {
  const state = (Math.imul(value >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The 32-bit hash of (seed, step, layer, index): each key is mixed in through its own round. */
export function dropoutHash(seed: number, step: number, layer: number, index: number): number {
  let h = pcgHash(seed >>> 0);
  h = pcgHash((h ^ step) >>> 0);
  h = pcgHash((h ^ layer) >>> 0);
  return pcgHash((h ^ index) >>> 0);
}

/** The integer threshold on the top 24 hash bits: P(keep) = 1 - threshold / 2^24 ≈ 1 - rate. */
export function dropoutThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  return Math.round(rate * 2 ** 24);
}

/** Which stream of the mask to draw. */
export interface DropoutKey {
  rate: number;
  seed: number;
  step: number;
  layer: number;
}

/** The keep mask (1 kept, 0 dropped) of `count` elements. */
export function dropoutMask(count: number, key: DropoutKey): Uint8Array {
  const threshold = dropoutThreshold(key.rate);
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    mask[i] = dropoutHash(key.seed, key.step, key.layer, i) >>> 8 >= threshold ? 1 : 0;
  }
  return mask;
}

/**
 * y = x ⊙ mask / (1 - rate), as TensorFlow multiplies (so a dropped NaN or Inf stays NaN rather than
 * becoming a plausible 0). Also the backward pass: dX = dY ⊙ mask / (1 - rate).
 */
export function dropoutApply(x: ArrayLike<number>, key: DropoutKey): Float64Array {
  const mask = dropoutMask(x.length, key);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * (mask[i] / (1 - key.rate));
  return out;
}
