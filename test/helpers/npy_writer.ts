/**
 * A test-only NumPy `.npy` writer (format 1.0), written from the format description
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), not from the reader, so
 * that a round trip checks the reader against the format rather than against itself.
 *
 * Layout: "\x93NUMPY", major 1, minor 0, a little-endian uint16 header length, then the header (a
 * Python dict literal, latin-1, padded with spaces and ended by "\n" so that the data starts on a
 * 64-byte boundary, as the format description asks), then the data in C order.
 */

/** The dtypes the writer knows, as numpy spells them (byte order included). */
export const NPY_DTYPES = ["<f4", "<f8", "<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "|b1"] as const;
export type NpyDtype = typeof NPY_DTYPES[number];

const SIZES: Record<NpyDtype, number> = {
  "<f4": 4,
  "<f8": 8,
  "<i1": 1,
  "<i2": 2,
  "<i4": 4,
  "<i8": 8,
  "<u1": 1,
  "<u2": 2,
  "<u4": 4,
  "|b1": 1,
};

/**
 * The bytes of a `.npy` file holding `values` (C order) with `shape` and `dtype`. `<i8` values are
 * bigints; every other dtype takes numbers (written with the DataView setter of that width, so an
 * out-of-range value is the caller's bug, not silently wrapped: it is checked here).
 *
 * @example
 * ```ts
 * const bytes = writeNpy([1.5, 2], { shape: [2], dtype: "<f8" });
 * ```
 */
export function writeNpy(
  values: readonly (number | bigint)[],
  options: { shape: readonly number[]; dtype: NpyDtype },
): Uint8Array {
  const { shape, dtype } = options;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`writeNpy: shape ${shape} needs ${count} values`);
  // Python's tuple repr: "(3,)" for one axis, "(3, 2)" for two, "()" for none.
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const size = SIZES[dtype];
  const bytes = new Uint8Array(10 + header.length + count * size);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(bytes.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  let o = 10 + header.length;
  for (const v of values) {
    writeOne(view, o, dtype, v);
    o += size;
  }
  return bytes;
}

function writeOne(view: DataView, o: number, dtype: NpyDtype, v: number | bigint): void {
  if (dtype === "<i8") {
    if (typeof v !== "bigint") throw new TypeError("writeNpy: <i8 values are bigints");
    view.setBigInt64(o, v, true);
    return;
  }
  if (typeof v !== "number") throw new TypeError(`writeNpy: ${dtype} values are numbers`);
  const integer = (lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`writeNpy: ${v} is not a ${dtype}`);
  };
  switch (dtype) {
    case "<f4":
      return view.setFloat32(o, v, true);
    case "<f8":
      return view.setFloat64(o, v, true);
    case "<i1":
      integer(-128, 127);
      return view.setInt8(o, v);
    case "<i2":
      integer(-32768, 32767);
      return view.setInt16(o, v, true);
    case "<i4":
      integer(-(2 ** 31), 2 ** 31 - 1);
      return view.setInt32(o, v, true);
    case "<u1":
    case "|b1":
      integer(0, 255);
      return view.setUint8(o, v);
    case "<u2":
      integer(0, 65535);
      return view.setUint16(o, v, true);
    case "<u4":
      integer(0, 2 ** 32 - 1);
      return view.setUint32(o, v, true);
  }
}
