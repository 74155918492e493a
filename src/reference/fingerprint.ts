/**
 * Twin of `shaders/fingerprint_forward.wgsl`: the batch fingerprint computed with u32 operations,
 * so the CPU trainer, the tests and the GPU agree exactly.
 *
 * @module
 */

const SA_X = 0x243f6a88, SB_X = 0x85a308d3, SA_Y = 0x13198a2e, SB_Y = 0x03707344;
const SA_ROWS = 0xa4093822, SB_ROWS = 0x299f31d0;

/** MurmurHash3's 32-bit finaliser, a bijection on u32. */
export function fmix32(h0: number): number {
  let h = h0 >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The two 32-bit lanes of a batch fingerprint. */
export type Fingerprint = [a: number, b: number];

/**
 * The fingerprint of a batch: `x` and `y` are the raw 32-bit words the GPU holds (pass the
 * Float32Array's buffer as a Uint32Array), `rows` the batch's row count.
 *
 * @example
 * ```ts
 * const x = new Float32Array([0.5, 1]);
 * const y = new Float32Array([1]);
 * batchFingerprint(new Uint32Array(x.buffer), new Uint32Array(y.buffer), 1);
 * ```
 */
export function batchFingerprint(x: Uint32Array, y: Uint32Array, rows: number): Fingerprint {
  let a = fmix32(rows ^ SA_ROWS), b = fmix32(rows ^ SB_ROWS);
  for (let i = 0; i < x.length; i++) {
    a = (a + fmix32(x[i] ^ fmix32(i ^ SA_X))) >>> 0;
    b = (b + fmix32(x[i] ^ fmix32(i ^ SB_X))) >>> 0;
  }
  for (let j = 0; j < y.length; j++) {
    a = (a + fmix32(y[j] ^ fmix32(j ^ SA_Y))) >>> 0;
    b = (b + fmix32(y[j] ^ fmix32(j ^ SB_Y))) >>> 0;
  }
  return [a, b];
}

/**
 * The fingerprint as one JS number (records.ts `StepRecord.fingerprint`): lane A and the top 21 bits
 * of lane B, 53 bits, exactly representable.
 */
export function fingerprintNumber([a, b]: Fingerprint): number {
  return a * 2 ** 21 + (b >>> 11);
}
