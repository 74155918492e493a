/**
 * NumPy `.npy` reader (format versions 1.0, 2.0 and 3.0), for the dtypes a training set is saved in:
 * little-endian f2 f4 f8 i1..i8 u1..u8 b1, C order. Values are widened to float64; 64-bit integers
 * beyond 2^53 lose precision, as they would in any float64 framework.
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";

/** A parsed array, C order, widened to float64. */
export interface NpyArray {
  file: string;
  /** Empty for a 0-d array. */
  shape: number[];
  /** The numpy type string without byte order ("f4", "i8", "b1", ...). */
  dtype: string;
  data: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

type Reader = (view: DataView, offset: number) => number;

const READERS: Record<string, { size: number; read: Reader }> = {
  // float16 (stored activations, mixed-precision predictions): every half widens to float64 exactly.
  f2: { size: 2, read: (v, o) => halfToNumber(v.getUint16(o, true)) },
  f4: { size: 4, read: (v, o) => v.getFloat32(o, true) },
  f8: { size: 8, read: (v, o) => v.getFloat64(o, true) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  i2: { size: 2, read: (v, o) => v.getInt16(o, true) },
  i4: { size: 4, read: (v, o) => v.getInt32(o, true) },
  i8: { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  u2: { size: 2, read: (v, o) => v.getUint16(o, true) },
  u4: { size: 4, read: (v, o) => v.getUint32(o, true) },
  u8: { size: 8, read: (v, o) => Number(v.getBigUint64(o, true)) },
  b1: { size: 1, read: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) },
};

/** IEEE 754 binary16 bits to a number (exact: every half is a float64). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A shape as Python prints it: `(8,)`, `(10, 3)`, `()`. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** What numpy's type characters stand for, for messages about dtypes fitcheck cannot read. */
const KINDS: Record<string, string> = {
  c: "complex numbers",
  O: "Python objects (saved with allow_pickle)",
  M: "dates (datetime64)",
  m: "time spans (timedelta64)",
  U: "strings",
  S: "byte strings",
  V: "raw bytes (void)",
  f: "floats of this width",
  i: "integers of this width",
  u: "unsigned integers of this width",
};

/** Reads and parses a `.npy` file. See {@linkcode parseNpy}. */
export async function readNpy(path: string, source: FileSource): Promise<NpyArray> {
  return parseNpy(await source.readBytes(path), path);
}

/**
 * Parses the bytes of a `.npy` file.
 *
 * @throws {InputError} bad magic, unsupported version, malformed header, big-endian or unsupported
 * dtype, Fortran order, data shorter or longer than the shape says; each names `file`.
 *
 * @example
 * ```ts
 * const a = parseNpy(bytes, "x.npy");
 * a.shape; // [600, 2]
 * ```
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (problem: string, field?: string): never => {
    throw new InputError(problem, field === undefined ? { file } : { file, field });
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail(notNpy(bytes));
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) {
    fail(`unsupported .npy format version ${major}.${minor}: expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail("truncated .npy header: the file ends inside it");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > bytes.length) {
    fail(
      `truncated .npy header: it declares ${headerLength} bytes but the file has ${
        bytes.length - 8 - lengthBytes
      } after the magic (the file was cut short)`,
    );
  }
  // v1/v2 headers are latin-1; v3 allows UTF-8 (only in field names, which fitcheck rejects anyway).
  const headerBytes = bytes.subarray(8 + lengthBytes, dataOffset);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(headerBytes);
  const { descr, fortran, shape } = parseHeader(header, fail);

  const order = descr[0];
  const type = descr.slice(1);
  const reader = READERS[type];
  if (order === ">" && reader !== undefined && reader.size > 1) {
    fail(
      `big-endian dtype "${descr}": convert with array.astype("<${type}") before saving`,
      "descr",
    );
  }
  if (reader === undefined || !(order === "<" || order === "|" || order === "=" || order === ">")) {
    const kind = KINDS[type.replace(/[\d[\]a-zA-Z]*$/, "") || type[0]] ?? KINDS[type[0]];
    fail(
      `unsupported dtype "${descr}"${kind ? ` (${kind})` : ""}: expected a little-endian f2, f4, f8, ` +
        `i1-i8, u1-u8 or b1 array (convert with array.astype("float32"); encode classes as integers)`,
      "descr",
    );
  }
  if (order === "|" && reader.size > 1) {
    fail(`unsupported dtype "${descr}": "|" byte order on a multi-byte type`, "descr");
  }
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    // A Fortran-ordered array with at most one non-trivial axis has the same layout as C order.
    fail(
      `Fortran-ordered array of shape ${shapeText(shape)}: save it with ` +
        "numpy.save(path, numpy.ascontiguousarray(a))",
      "fortran_order",
    );
  }

  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * reader.size;
  const available = bytes.length - dataOffset;
  if (available < expected) {
    fail(
      `truncated data: shape ${shapeText(shape)} of ${descr} needs ${expected} bytes after the header, ` +
        `the file has ${available} (the file was cut short)`,
    );
  }
  if (available > expected) {
    fail(
      `${available - expected} unexpected bytes after the data: shape ${shapeText(shape)} of ${descr} ` +
        `needs ${expected} bytes, the file has ${available}`,
    );
  }
  const data = new Float64Array(count);
  for (let i = 0, o = dataOffset; i < count; i++, o += reader.size) data[i] = reader.read(view, o);
  return { file, shape, dtype: type, data };
}

/** Why bytes without the .npy magic are not an .npy file, saying what they look like instead. */
function notNpy(bytes: Uint8Array): string {
  const expected = 'not a NumPy .npy file: it does not start with "\\x93NUMPY"';
  if (bytes.length === 0) return "the file is empty: expected a NumPy .npy file (numpy.save)";
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    return `${expected}: it is a zip archive, as numpy.savez writes (.npz); save each array with numpy.save`;
  }
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) {
    return `${expected}: it is a Python pickle; save the array with numpy.save`;
  }
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 24));
  if (/^[\x20-\x7e\t\r\n]+$/.test(head)) {
    return `${expected}: it starts with the text ${
      JSON.stringify(head)
    } (a CSV or text file with an .npy name?)`;
  }
  return `${expected} (save the array with numpy.save)`;
}

/** Parses the header, a Python dict literal: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`. */
function parseHeader(
  header: string,
  fail: (problem: string, field?: string) => never,
): { descr: string; fortran: boolean; shape: number[] } {
  const text = header.trim();
  const bad = (why: string, field?: string) =>
    fail(`malformed .npy header (${why}): ${JSON.stringify(text.slice(0, 120))}`, field);
  if (!text.startsWith("{") || !text.endsWith("}")) bad("not a dict literal");
  const descrList = /['"]descr['"]\s*:\s*\[/.exec(text);
  if (descrList) {
    fail("structured dtype (a record array with named fields): save a plain numeric array instead", "descr");
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr) bad("no 'descr'", "descr");
  if (!fortran) bad("no 'fortran_order'", "fortran_order");
  if (!shape) bad("no 'shape'", "shape");
  const dims = shape![1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  const parsed = dims.map((d) => (/^\d+L?$/.test(d) ? Number.parseInt(d, 10) : NaN));
  if (parsed.some((d) => !Number.isSafeInteger(d))) {
    bad(`shape (${shape![1]}) is not a tuple of integers`, "shape");
  }
  return { descr: descr![1], fortran: fortran![1] === "True", shape: parsed };
}
