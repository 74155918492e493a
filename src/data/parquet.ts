/**
 * Apache Parquet reader for training tables and audit files: every flat column, as the same
 * {@linkcode ColumnTable} a CSV reads into, so targets, features, class names and every message
 * about them work exactly as for a CSV. hyparquet parses the file (snappy-compressed and uncompressed
 * pages, pyarrow's and pandas' defaults; gzip, zstd or brotli pages are reported as such).
 *
 * Cells: floats and integers as numbers (64-bit integers beyond 2^53 lose precision, as in any float64
 * framework), booleans as 0/1, strings as text (class names in a target column; an error in a feature
 * column, as text is in a CSV), null as a missing value (NaN, as an empty CSV cell is). Parquet has
 * no lines: a location is a data row (1-based) and a column.
 *
 * @module
 */
import { parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { ColumnTable, CsvColumn } from "./csv.ts";

/** Reads and parses a Parquet file. See {@linkcode parseParquet}. */
export async function readParquet(path: string, source: FileSource): Promise<ColumnTable> {
  return await parseParquet(await source.readBytes(path), path);
}

/**
 * Parses the bytes of a Parquet file into columns.
 *
 * @throws {InputError} naming `file` for a file that is not Parquet or is cut short, a nested
 * column (list, map, struct), or a page fitcheck cannot decode.
 *
 * @example
 * ```ts ignore
 * const table = await parseParquet(bytes, "train.parquet");
 * table.columns.map((c) => c.name); // ["x0", "x1", "label"]
 * ```
 */
export async function parseParquet(bytes: Uint8Array, file: string): Promise<ColumnTable> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (e) {
    throw new InputError(`not a readable Parquet file: ${problem(e)}; truncated or corrupt?`, { file });
  }
  const top = parquetSchema(metadata).children;
  const nested = top.find((c) => c.children.length > 0);
  if (nested) {
    throw new InputError(
      `column "${nested.element.name}" is nested (a list, map or struct): fitcheck reads flat columns`,
      { file, field: nested.element.name },
    );
  }
  const names = top.map((c) => c.element.name);
  let rows: unknown[][] = [];
  try {
    await parquetRead({
      file: buffer,
      rowFormat: "array",
      onComplete: (data: unknown[][]) => {
        rows = data;
      },
    });
  } catch (e) {
    throw new InputError(`could not decode the data: ${problem(e)}`, { file });
  }
  const rowCount = rows.length;
  const columns = names.map((name, j) => toColumn(name, rows, j));
  return {
    file,
    header: names,
    rowCount,
    columns,
    blankLines: { count: 0, lines: [] },
  };
}

function toColumn(name: string, rows: unknown[][], j: number): CsvColumn {
  const values = new Float64Array(rows.length);
  let missing = 0;
  let text: string[] | undefined;
  let firstText: CsvColumn["firstText"];
  for (let r = 0; r < rows.length; r++) {
    const cell = rows[r][j];
    if (cell === null || cell === undefined) {
      values[r] = NaN;
      missing++;
      continue;
    }
    const v = typeof cell === "number"
      ? cell
      : typeof cell === "bigint"
      ? Number(cell)
      : typeof cell === "boolean"
      ? (cell ? 1 : 0)
      : undefined;
    if (v !== undefined) {
      values[r] = v;
      continue;
    }
    const shown = cell instanceof Date
      ? cell.toISOString()
      : cell instanceof Uint8Array
      ? "<binary>"
      : String(cell);
    values[r] = NaN;
    if (shown === "") {
      missing++;
      continue;
    }
    firstText ??= { row: r + 1, value: shown };
    text ??= rows.slice(0, r).map((row) => cellText(row[j]));
    text[r] = shown;
  }
  if (text) {
    // Every cell as text, numbers included, so a target column of class names maps them all.
    for (let r = 0; r < rows.length; r++) text[r] ??= cellText(rows[r][j]);
  }
  return { name, numeric: text === undefined, values, missing, ...(text ? { text, firstText } : {}) };
}

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return "";
  if (cell instanceof Date) return cell.toISOString();
  return String(cell);
}

function problem(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].replace(/^parquet /, "");
}
