/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF), the
 * checksum of TFRecord framing.
 *
 * Why not `@aws-crypto/crc32c` here: the browser playground is bundled with `deno bundle --platform
 * browser`, which fails on that package's dependency chain (`@aws-crypto/util` → `@smithy/util-utf8`,
 * whose `browser` field maps to file names without their `.js`), and the CLI and the page must share
 * one reader. So this table-driven CRC is the one the reader uses, and the library is its reference:
 * test/history/readers.test.ts checks the two agree on random inputs and on the standard check value.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")) === 0xe3069283; // the standard check value
 * ```
 *
 * @module
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes`, an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ TABLE[(c ^ bytes[i]) & 0xff];
  return (c ^ 0xffffffff) >>> 0;
}
