import { describe, expect, it } from "vitest";
import { parseNpy, readNpy } from "../../src/data/npy.ts";
import { diskFileSource, fixture, inputError } from "./_helpers.ts";

// The fixtures were written by numpy 2.4 (np.save, numpy.lib.format.write_array for v2/v3).
const load = (name: string) => readNpy(fixture(`data/npy/${name}`), diskFileSource());

describe("readNpy", () => {
  it("reads every supported dtype written by numpy", async () => {
    const floats = [1.5, -2.0, 3.25, 4.0, 0.0, -0.5];
    expect(Array.from((await load("f8.npy")).data)).toEqual(floats);
    expect(Array.from((await load("f4.npy")).data)).toEqual(floats); // all exactly representable in f32
    for (const t of ["i1", "i2", "i4", "i8"]) {
      const a = await load(`${t}.npy`);
      expect(a.dtype).toBe(t);
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([1, -2, 3, 4, 0, -5]);
    }
    for (const t of ["u1", "u2", "u4", "u8"]) {
      expect(Array.from((await load(`${t}.npy`)).data)).toEqual([1, 2, 3, 4, 0, 255]);
    }
    const b = await load("b1.npy");
    expect(b.shape).toEqual([3]);
    expect(Array.from(b.data)).toEqual([1, 0, 1]);
  });

  it("reads format versions 2.0 and 3.0 and 0-d arrays", async () => {
    for (const v of ["v2.npy", "v3.npy"]) {
      const a = await load(v);
      expect(a.shape).toEqual([2, 3]);
      expect(a.data[2]).toBe(3.25);
    }
    const s = await load("scalar.npy");
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([2.5]);
  });

  it("accepts Fortran order when only one axis is longer than 1 (same layout as C)", () => {
    const bytes = npyBytes(
      "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 1), }",
      new Float64Array([1, 2, 3]),
    );
    expect(Array.from(parseNpy(bytes, "x.npy").data)).toEqual([1, 2, 3]);
  });
});

describe("readNpy errors name the file and the problem", () => {
  const cases: [string, RegExp][] = [
    ["bad_magic.npy", /not a NumPy \.npy file/],
    [
      "truncated.npy",
      /truncated data: shape \(2, 3\) of <f8 needs 48 bytes after the header, the file has 43/,
    ],
    ["big_endian.npy", /big-endian dtype ">f8"/],
    ["fortran.npy", /Fortran-ordered array/],
    ["complex.npy", /unsupported dtype "<c16"/],
    ["structured.npy", /structured dtype/],
  ];
  for (const [name, pattern] of cases) {
    it(name, async () => {
      const e = await inputError(() => load(name));
      expect(e.location.file).toBe(fixture(`data/npy/${name}`));
      expect(e.message).toMatch(pattern);
    });
  }

  it("malformed header", async () => {
    const e = await inputError(() =>
      parseNpy(npyBytes("{'descr': '<f8', 'shape': (2,), }", new Float64Array(2)), "h.npy")
    );
    expect(e.message).toMatch(
      /^h\.npy: field "fortran_order": malformed \.npy header \(no 'fortran_order'\)/,
    );
  });

  it("trailing bytes after the data", async () => {
    const e = await inputError(() =>
      parseNpy(
        npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new Float64Array(3)),
        "t.npy",
      )
    );
    expect(e.message).toContain("8 unexpected bytes after the data");
  });

  it("unsupported version and header longer than the file", async () => {
    const v9 = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Float64Array(1));
    v9[6] = 9;
    expect((await inputError(() => parseNpy(v9, "v.npy"))).message).toContain(
      "unsupported .npy format version 9.0",
    );
    const short = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Float64Array(1));
    expect((await inputError(() => parseNpy(short.subarray(0, 30), "s.npy"))).message).toContain(
      "truncated .npy header",
    );
  });
});

/** A v1 .npy file with the given header dict and raw data (for cases numpy will not write). */
function npyBytes(dict: string, data: Float64Array): Uint8Array {
  let header = dict;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer), 10 + header.length);
  return out;
}
