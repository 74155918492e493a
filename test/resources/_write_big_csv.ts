/**
 * Writes a large numeric CSV for big_csv.test.ts, in its own process so that the test process's heap
 * holds none of the writer's garbage when it measures the reader's memory. Streams ~1 MiB writes;
 * values come from a seeded Rng stream. Prints the column checksums (float64 sums in row order of the
 * exact values written; `String(x)` round-trips every double) as JSON on stdout.
 *
 * Usage: deno run -A test/resources/_write_big_csv.ts PATH ROWS
 */
import { Rng } from "../../src/random.ts";

/** The generated columns: an id (the row index, to check order) and nine full-precision doubles. */
export const BIG_CSV_COLUMNS = ["id", ...Array.from({ length: 9 }, (_, j) => `x${j + 1}`)];

/** Value of column j (>= 1) drawn from `rng`: magnitudes from 1e-8 to 1e6, both signs. */
function value(rng: Rng, j: number): number {
  const scale = 10 ** ((j % 5) * 3.5 - 8);
  return rng.uniform(-1, 1) * scale;
}

async function main(path: string, rows: number): Promise<void> {
  const rng = Rng.fromSeed(8).stream("big csv");
  const sums = new Float64Array(BIG_CSV_COLUMNS.length);
  const encoder = new TextEncoder();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  try {
    let chunk = BIG_CSV_COLUMNS.join(",") + "\n";
    for (let r = 0; r < rows; r++) {
      let line = String(r);
      sums[0] += r;
      for (let j = 1; j < BIG_CSV_COLUMNS.length; j++) {
        const v = value(rng, j);
        sums[j] += v;
        line += "," + String(v);
      }
      chunk += line + "\n";
      if (chunk.length >= 1 << 20 || r === rows - 1) {
        const data = encoder.encode(chunk);
        for (let written = 0; written < data.length;) written += await file.write(data.subarray(written));
        bytes += data.length;
        chunk = "";
      }
    }
  } finally {
    file.close();
  }
  console.log(JSON.stringify({ rows, bytes, sums: Array.from(sums) }));
}

if (import.meta.main) await main(Deno.args[0], Number(Deno.args[1]));
