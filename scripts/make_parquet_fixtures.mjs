// Writes the Parquet fixtures of the tests (test/fixtures/formats/*.parquet, test/bad_inputs/parquet/*)
// with parquet-wasm, the Rust Apache Arrow Parquet writer (arrow-rs) compiled to WebAssembly, from
// Apache Arrow tables: the writer pandas/pyarrow users share the format with, and independent of the
// reader fitcheck uses (hyparquet). Debian 12 packages no Parquet writer (no python3-pyarrow), and
// neither is a project dependency: install them in a scratch folder and point NODE_PATH at it:
//
//   (mkdir -p /tmp/pq && cd /tmp/pq && npm install parquet-wasm@0.8.0 apache-arrow@21.2.0)
//   NODE_PATH=/tmp/pq/node_modules node scripts/make_parquet_fixtures.mjs
//
// The outputs are committed, so CI needs neither.
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? ".", "x.js"));
const arrow = require("apache-arrow");
const parquet = require("parquet-wasm");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const formats = join(root, "test/fixtures/formats");
const bad = join(root, "test/bad_inputs/parquet");
mkdirSync(formats, { recursive: true });
mkdirSync(bad, { recursive: true });

/** A table of named Arrow vectors as Parquet bytes (snappy, pyarrow's default). */
function parquetBytes(columns) {
  const table = new arrow.Table(columns);
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).build();
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
  return parquet.writeParquet(wasmTable, props);
}

// 12 rows of every column type a training table holds: floats (with a null), ints, bools, strings, a
// nullable int, and 64-bit ints; the values are simple enough to check by hand in the tests.
const n = 12;
const range = (f) => Array.from({ length: n }, (_, i) => f(i));
const mixed = {
  a: arrow.vectorFromArray(range((i) => (i === 4 ? null : i * 0.5)), new arrow.Float64()),
  b: arrow.vectorFromArray(range((i) => i * 0.25 - 1), new arrow.Float32()),
  count: arrow.vectorFromArray(range((i) => i * 3), new arrow.Int32()),
  big: arrow.vectorFromArray(range((i) => BigInt(i) * 1000n), new arrow.Int64()),
  flag: arrow.vectorFromArray(range((i) => i % 3 === 0), new arrow.Bool()),
  maybe: arrow.vectorFromArray(range((i) => (i % 5 === 0 ? null : i)), new arrow.Int16()),
  species: arrow.vectorFromArray(
    range((i) => ["setosa", "versicolor", "virginica"][i % 3]),
    new arrow.Utf8(),
  ),
  label: arrow.vectorFromArray(range((i) => BigInt(i % 2)), new arrow.Int64()),
};
writeFileSync(join(formats, "mixed.parquet"), parquetBytes(mixed));

// The same 40 rows as test/fixtures/formats/blobs.npz (written by make_npz_fixtures.py from the same
// formula): two features and a 0/1 label, so the tests compare the readers row for row.
const m = 40;
const rows = Array.from({ length: m }, (_, i) => i);
const x0 = rows.map((i) => Math.sin(i) * 2 + (i % 2) * 3);
const x1 = rows.map((i) => Math.cos(i * 0.7) - (i % 2) * 2);
writeFileSync(
  join(formats, "blobs.parquet"),
  parquetBytes({
    x0: arrow.vectorFromArray(x0, new arrow.Float64()),
    x1: arrow.vectorFromArray(x1, new arrow.Float64()),
    y: arrow.vectorFromArray(rows.map((i) => BigInt(i % 2)), new arrow.Int64()),
  }),
);

// Bad inputs: a cut file, bytes that are no Parquet at all, a text feature column.
const good = parquetBytes(mixed);
writeFileSync(join(bad, "truncated.parquet"), good.subarray(0, Math.floor(good.length / 2)));
writeFileSync(join(bad, "not_parquet.parquet"), new TextEncoder().encode("a,b,label\n1,2,0\n"));
writeFileSync(
  join(bad, "text_feature.parquet"),
  parquetBytes({
    height: arrow.vectorFromArray([1.5, 1.7, 1.6, 1.8], new arrow.Float64()),
    city: arrow.vectorFromArray(["Oslo", "Rome", "Oslo", "Lima"], new arrow.Utf8()),
    label: arrow.vectorFromArray([0n, 1n, 0n, 1n], new arrow.Int64()),
  }),
);
console.log("wrote", formats, bad);
