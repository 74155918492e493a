/**
 * rowKey and modeShare (src/diagnose/_stats.ts), made fast for 200,000-row data, against their plain
 * definitions. rowKey: two rows share a key exactly when their values are equal (-0 = 0, NaN = NaN,
 * any NaN payload), as the text keys it replaced. modeShare counts in a Map for few distinct values and sorts past
 * MODE_MAP_CAP of them: both paths must give the share a plain count gives, on columns of many and
 * of few distinct values, with repeats, -0 beside 0 and non-finite values left out.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { modeShare, rowKey } from "../../src/diagnose/_stats.ts";

/** The plain definition: the most common finite value's count over the finite count (1 when none). */
function countedShare(column: number[]): number {
  const counts = new Map<number, number>();
  let finite = 0, best = 0;
  for (const v of column) {
    if (!Number.isFinite(v)) continue;
    finite++;
    const k = (counts.get(v) ?? 0) + 1;
    counts.set(v, k);
    best = Math.max(best, k);
  }
  return finite > 0 ? best / finite : 1;
}

describe("modeShare", () => {
  it("matches a plain count on both sides of the Map cap, reading one column of several", () => {
    const value = fc.oneof(
      fc.double({ noNaN: false }),
      fc.constantFrom(0, -0, 1, 2.5, NaN, Infinity, -Infinity),
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 0, max: 2 }),
        (col, c) => {
          const cols = 3, rows = col.length;
          const data = new Float64Array(rows * cols).fill(7);
          col.forEach((v, r) => (data[r * cols + c] = v));
          expect(modeShare(data, rows, cols, c)).toBe(countedShare(col));
        },
      ),
      { numRuns: 60, seed: 20 },
    );
  });

  it("a continuous column with one repeated value (the sorted path)", () => {
    const col = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? -0 : i % 10 === 5 ? 0 : i / 7));
    expect(modeShare(Float64Array.from(col), col.length, 1, 0)).toBe(countedShare(col));
    expect(countedShare(col)).toBe(0.2);
  });
});

/** The text key rowKey replaced: equal exactly when the rows are (number-to-string round-trips). */
function textKey(row: number[]): string {
  return row.map((v) => String(v === 0 ? 0 : v)).join(",");
}

describe("rowKey", () => {
  it("gives equal keys exactly to equal rows", () => {
    const value = fc.constantFrom(0, -0, 1, -1, 0.1, 1e-300, 5e-324, NaN, Infinity, -Infinity);
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), fc.array(value, { maxLength: 6 }), (a, b) => {
        const data = Float64Array.from([9, ...a, ...b]);
        const ka = rowKey(data, 1, a.length), kb = rowKey(data, 1 + a.length, b.length);
        expect(ka === kb).toBe(textKey(a) === textKey(b));
      }),
      { numRuns: 300, seed: 20 },
    );
  });

  it("folds NaN payloads into one NaN, and keys rows wider than its scratch", () => {
    const data = new Float64Array(4);
    const words = new Uint32Array(data.buffer);
    words[1] = 0x7ff80000; // the quiet NaN
    words[2] = 1;
    words[3] = 0x7ff00000; // a signalling NaN with a payload
    expect(Number.isNaN(data[0]) && Number.isNaN(data[1])).toBe(true);
    expect(rowKey(data, 0, 1)).toBe(rowKey(data, 1, 1));
    const wide = Float64Array.from({ length: 5000 }, (_, i) => i / 3);
    const copy = Float64Array.from(wide);
    expect(rowKey(wide, 0, 5000)).toBe(rowKey(copy, 0, 5000));
    copy[4999] += 1;
    expect(rowKey(wide, 0, 5000)).not.toBe(rowKey(copy, 0, 5000));
  });
});
