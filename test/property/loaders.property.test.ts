/**
 * Round trips through the loaders: what a writer that follows the format puts in a file, the reader
 * gives back exactly. CSV: deno-std's writer (quoting as RFC 4180) and the shortest decimal form of
 * each float64, which `Number()` reads back bit for bit; NumPy: a format-1.0 writer written from the
 * format description (test/helpers/npy_writer.ts); scenarios: a resolved scenario written back as
 * JSON parses to the same resolved scenario.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCell, readCsv } from "../../src/data/csv.ts";
import { readNpy } from "../../src/data/npy.ts";
import { memoryFileSource } from "../../src/io.ts";
import { DEFAULT_LEARNING_RATE, DEFAULT_OPTIMIZER } from "../../src/scenario/schema.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { chunkedFileSource } from "../helpers/chunked_source.ts";
import { stringifyCsv } from "../helpers/csv_stringify.ts";
import { NPY_DTYPES, type NpyDtype, writeNpy } from "../helpers/npy_writer.ts";
import { checkAsyncProperty, checkProperty } from "../helpers/property.ts";
import { scenarioJson, scenarioToJson } from "../helpers/scenario_json.ts";

// ---------------------------------------------------------------------------------------------- CSV

/**
 * Column names: any text the reader keeps as written. Cells are trimmed (documented in csv.ts), so a
 * name has no surrounding whitespace; CR alone is excluded because RFC 4180 writers (deno-std's too)
 * do not quote it, so no reader could tell it from a line end.
 */
const NAME_CHARS = [..."abcxyzAEIN019 ,\"'\n\t#;.-_é½€"];
const columnName = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 8 })
  .filter((s) => s.trim() === s);

/** Finite float64 values, weighted towards the awkward ones. */
const finite = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.maxSafeInteger(),
  fc.constantFrom(
    0,
    -0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    1e21,
    1e-7,
  ),
);

/**
 * A number as the writers in the wild write it, every form exact under `Number()`: JavaScript's
 * shortest form (String), the shortest exponential form, Python's repr for integers ("3.0"), each
 * optionally padded with spaces. -0 keeps its sign ("-0", "-0.0"), as numpy and pandas write it.
 */
const formatted = fc.tuple(finite, fc.nat(2), fc.boolean()).map(([v, style, pad]) => {
  let text: string;
  if (Object.is(v, -0)) text = style === 2 ? "-0.0" : "-0";
  else if (style === 1) text = v.toExponential();
  else if (style === 2 && Number.isSafeInteger(v)) text = `${v}.0`;
  else text = String(v);
  return { value: v, text: pad ? ` ${text} ` : text };
});

const table = fc.integer({ min: 1, max: 6 }).chain((cols) =>
  fc.record({
    names: fc.uniqueArray(columnName, { minLength: cols, maxLength: cols }),
    rows: fc.array(fc.array(formatted, { minLength: cols, maxLength: cols }), {
      minLength: 1,
      maxLength: 25,
    }),
    lineEnd: fc.constantFrom("\r\n", "\n"),
    trailingNewline: fc.boolean(),
    bom: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 4 }),
  })
);

describe("CSV round trip", () => {
  it("numeric tables written by deno-std's stringify read back with the same names and values", async () => {
    await checkAsyncProperty(
      fc.asyncProperty(table, async (t) => {
        // A scenario CSV needs a header, recognised by a cell that is not a number (csv.ts).
        fc.pre(t.names.some((n) => parseCell(n) === undefined));
        let text = stringifyCsv([t.names, ...t.rows.map((r) => r.map((c) => c.text))], { bom: t.bom });
        if (t.lineEnd === "\n") text = text.replaceAll("\r\n", "\n");
        if (!t.trailingNewline) text = text.slice(0, -t.lineEnd.length);
        const files = { "/t/data.csv": text };
        // Once through memoryFileSource (one chunk), once cut into small chunks anywhere.
        for (
          const source of [memoryFileSource(files), chunkedFileSource(files, { chunkSizes: t.chunkSizes })]
        ) {
          const got = await readCsv("/t/data.csv", source);
          expect(got.header).toEqual(t.names);
          expect(got.rowCount).toBe(t.rows.length);
          expect(got.columns.map((c) => c.name)).toEqual(t.names);
          got.columns.forEach((column, j) => {
            expect(column.numeric, `column ${j}`).toBe(true);
            expect(column.missing).toBe(0);
            t.rows.forEach((row, i) => {
              if (!Object.is(column.values[i], row[j].value)) {
                expect.fail(
                  `row ${i + 1}, column ${j}: wrote ${JSON.stringify(row[j].text)}, read ${column.values[i]}`,
                );
              }
            });
          });
        }
      }),
      60,
    );
  });
});

// ---------------------------------------------------------------------------------------------- NPY

/** Values of one dtype, and the float64 each must read back as. */
function dtypeValues(
  dtype: NpyDtype,
  count: number,
): fc.Arbitrary<{ written: (number | bigint)[]; expected: number[] }> {
  const plain = (arb: fc.Arbitrary<number>, expect: (v: number) => number = (v) => v) =>
    fc.array(arb, { minLength: count, maxLength: count }).map((w) => ({
      written: w,
      expected: w.map(expect),
    }));
  switch (dtype) {
    case "<f4":
      // NaN, ±Inf, -0 and subnormals included; a float32 widens to float64 exactly.
      return plain(fc.float(), Math.fround);
    case "<f8":
      return plain(fc.double());
    case "<i1":
      return plain(fc.integer({ min: -128, max: 127 }));
    case "<i2":
      return plain(fc.integer({ min: -32768, max: 32767 }));
    case "<i4":
      return plain(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    case "<u1":
      return plain(fc.integer({ min: 0, max: 255 }));
    case "<u2":
      return plain(fc.integer({ min: 0, max: 65535 }));
    case "<u4":
      return plain(fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case "|b1":
      // numpy writes 0 and 1; any other byte is also True when numpy reads it back.
      return plain(
        fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })),
        (v) => (v === 0 ? 0 : 1),
      );
    case "<i8":
      // Beyond 2^53 the float64 is the nearest one (documented in npy.ts): Number(bigint) rounds so.
      return fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), {
        minLength: count,
        maxLength: count,
      })
        .map((w) => ({ written: w, expected: w.map((b) => Number(b)) }));
  }
}

/** 1-D of 0..20 elements, or 2-D with 0, 1 or more rows. */
const npyShape = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 20 })).map(([n]) => [n]),
  fc.tuple(fc.constantFrom(0, 1, 2, 3, 7, 12), fc.integer({ min: 1, max: 5 })).map(([r, c]) => [r, c]),
);

const npyCase = fc.tuple(fc.constantFrom(...NPY_DTYPES), npyShape).chain(([dtype, shape]) =>
  dtypeValues(dtype, shape.reduce((a, b) => a * b, 1)).map((values) => ({ dtype, shape, ...values }))
);

describe("NumPy .npy round trip", () => {
  it("every supported dtype and shape reads back with the same shape and values", async () => {
    await checkAsyncProperty(
      fc.asyncProperty(npyCase, async (c) => {
        const bytes = writeNpy(c.written, { shape: c.shape, dtype: c.dtype });
        const got = await readNpy("/t/a.npy", memoryFileSource({ "/t/a.npy": bytes }));
        expect(got.shape).toEqual(c.shape);
        expect(got.dtype).toBe(c.dtype.slice(1));
        expect(got.data.length).toBe(c.expected.length);
        c.expected.forEach((v, i) => {
          if (!Object.is(got.data[i], v)) {
            expect.fail(`${c.dtype} [${i}]: wrote ${c.written[i]}, read ${got.data[i]}`);
          }
        });
      }),
      150,
    );
  });
});

// ----------------------------------------------------------------------------------------- Scenario

describe("scenario file round trip", () => {
  const source = memoryFileSource({});
  const PATH = "/s/dir/scenario.json";

  it("any valid scenario parses, keeps what it says and fills the contract's defaults", () => {
    checkProperty(
      fc.property(scenarioJson, (raw) => {
        const s = parseScenario(JSON.stringify(raw), PATH, source);
        // The arbitrary's output is untyped JSON; reading it loosely here keeps the expectations short.
        // deno-lint-ignore no-explicit-any
        const r = raw as Record<string, any>;
        expect(s.name).toBe(r.name);
        expect(s.path).toBe(PATH);
        expect(s.seed).toBe(r.seed ?? 0);
        expect(s.description).toBe(r.description ?? "");
        expect(s.model.layers).toEqual(
          r.model.layers.map((l: Record<string, unknown>) => ({
            // A layer without "type" is dense (CONTRACT §7.2), and the parsed spec says so.
            type: "dense",
            units: l.units,
            activation: l.activation ?? "linear",
            dropout: l.dropout ?? 0,
          })),
        );
        const lossName = typeof r.loss === "string" ? r.loss : r.loss.name;
        expect(s.loss.name).toBe(lossName);
        expect(s.loss.fromLogits).toBe(r.loss.fromLogits ?? false);
        const opt = typeof r.optimizer === "string"
          ? { name: r.optimizer }
          : r.optimizer ?? { name: DEFAULT_OPTIMIZER };
        expect(s.optimizer.name).toBe(opt.name);
        expect(s.optimizer.learningRate).toBe(
          opt.learningRate ?? DEFAULT_LEARNING_RATE[opt.name as keyof typeof DEFAULT_LEARNING_RATE],
        );
        expect(s.training).toEqual({
          epochs: 10,
          batchSize: 32,
          shuffle: true,
          sameBatchEveryStep: false,
          ...r.training,
        });
        expect(s.metrics.map((m) => m.name)).toEqual(
          (r.metrics ?? []).map((m: string | { name: string }) => (typeof m === "string" ? m : m.name)),
        );
        const dataKey = ["csv", "npy", "rows", "generate"].find((k) => k in r.data);
        expect(s.data.kind).toBe(dataKey);
        if (s.data.kind === "csv") expect(s.data.path).toBe(source.resolve(PATH, r.data.csv));
      }),
      200,
    );
  });

  it("a parsed scenario written back as JSON parses to the same resolved scenario", () => {
    checkProperty(
      fc.property(scenarioJson, (raw) => {
        const once = parseScenario(JSON.stringify(raw), PATH, source);
        const twice = parseScenario(JSON.stringify(scenarioToJson(once)), PATH, source);
        expect(twice).toEqual(once);
      }),
      200,
    );
  });
});
