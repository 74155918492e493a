/**
 * A ~200 MB numeric CSV is read streaming through the Deno FileSource and readCsv: every row comes
 * back exact and in order, the JS heap never holds the text, and the process grows by less than
 * holding the text and per-row JS arrays would take. Prints MB/s and the memory growth.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { readCsv } from "../../src/data/csv.ts";
import { BIG_CSV_COLUMNS } from "./_write_big_csv.ts";

/** Rows of ~194 bytes: 1,030,000 of them make ~200 MB (10^6 bytes). */
const ROWS = 1_030_000;
const MB = 1e6, MiB = 2 ** 20;

let dir = "";
let path = "";
let written: { rows: number; bytes: number; sums: number[] };

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "fitcheck-big-csv-" });
  path = `${dir}/big.csv`;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "test/resources/_write_big_csv.ts", path, String(ROWS)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  expect(out.code).toBe(0);
  written = JSON.parse(new TextDecoder().decode(out.stdout));
  const seconds = (performance.now() - started) / 1000;
  console.log(`wrote ${(written.bytes / MB).toFixed(0)} MB in ${seconds.toFixed(1)} s`);
});

afterAll(async () => {
  if (dir) await Deno.remove(dir, { recursive: true });
});

/** Bytes of a JS array of `n` doubles in V8: JSArray (32 B) + FixedDoubleArray (16 B header + 8 B each). */
function jsDoubleArrayBytes(n: number): number {
  return 32 + 16 + 8 * n;
}

describe("a 200 MB CSV", () => {
  it("is read streaming: exact values, in order, without holding the text", async () => {
    expect(written.bytes).toBeGreaterThan(195 * MB);
    const cols = BIG_CSV_COLUMNS.length;
    const before = Deno.memoryUsage();
    const peak = { ...before };
    const sample = () => {
      const now = Deno.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
      peak.external = Math.max(peak.external, now.external);
    };
    const sampler = setInterval(sample, 10);
    const started = performance.now();
    let table;
    try {
      table = await readCsv(path, denoFileSource());
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    sample();

    // Memory. The parsed float64 columns are unavoidable: P = rows × cols × 8 bytes (79 MiB here).
    // Holding the text instead costs at least the file as a one-byte JS string plus, per row, a JS
    // array of doubles: NAIVE, a lower bound (it leaves out the cell strings of the split and the
    // bytes read before decoding). A streaming reader keeps no text, so:
    // - the JS heap (strings, arrays; the columns are ArrayBuffers outside it) grows by at most
    //   HEAP_SLACK: the per-record cell strings V8 has not collected yet (its young generation is two
    //   semispaces of up to 32 MiB: 64 MiB), plus 32 MiB for garbage promoted before a major GC and
    //   chunks in flight (measured: 46 to 57 MiB). Holding the text alone would take 190 MiB of heap.
    // - the process (RSS) grows by less than NAIVE: what it may hold besides P is the columns' growth
    //   storage (a reader that does not know the row count grows them, then copies to the exact size)
    //   and what the allocator keeps of freed growth arrays.
    const P = ROWS * cols * 8;
    const HEAP_SLACK = 96 * MiB;
    const NAIVE = written.bytes + ROWS * jsDoubleArrayBytes(cols);
    const grew = {
      rss: peak.rss - before.rss,
      heap: peak.heapUsed - before.heapUsed,
      external: peak.external - before.external,
    };
    const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
    console.log(
      `read ${(written.bytes / MB).toFixed(0)} MB in ${seconds.toFixed(1)} s ` +
        `(${(written.bytes / MB / seconds).toFixed(1)} MB/s); growth: rss ${mib(grew.rss)}, ` +
        `JS heap ${mib(grew.heap)}, array buffers ${mib(grew.external)}; parsed columns ${mib(P)}, ` +
        `text + row arrays (naive) ${mib(NAIVE)}`,
    );
    expect(grew.heap).toBeLessThan(HEAP_SLACK);
    expect(grew.rss).toBeLessThan(NAIVE);

    // Values: the row count, the id column in order, and each column's float64 sum in row order,
    // bit for bit (the writer printed every double with String(), which round-trips exactly).
    expect(table.rowCount).toBe(ROWS);
    expect(table.header).toEqual(BIG_CSV_COLUMNS);
    const ids = table.columns[0].values;
    let inOrder = true;
    for (let r = 0; r < ROWS; r++) if (ids[r] !== r) inOrder = false;
    expect(inOrder).toBe(true);
    const sums = table.columns.map((c) => {
      expect(c.numeric).toBe(true);
      expect(c.missing).toBe(0);
      let s = 0;
      for (let r = 0; r < ROWS; r++) s += c.values[r];
      return s;
    });
    expect(sums).toEqual(written.sums);
  });
});
