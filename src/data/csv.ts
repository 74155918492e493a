/**
 * Streaming CSV reader: the raw table, column by column, before any scenario semantics (targets,
 * features, class names) are applied. A 200 MB file is read as a byte stream and decoded record by
 * record; only the parsed columns (float64) are kept, plus the raw text of columns that are not
 * numeric.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { createCsvParseStream } from "./_csv_stream.ts";

/** One column of a CSV table. */
export interface CsvColumn {
  name: string;
  /** True when every non-missing cell is a number. */
  numeric: boolean;
  /** One value per row: the number, or NaN for a missing cell or (in a text column) a text cell. */
  values: Float64Array;
  /** The trimmed raw cells, only for columns that are not numeric ("" for a missing cell). */
  text?: string[];
  /** The first cell that is neither a number nor a missing marker (for error messages). */
  firstText?: { row: number; line: number; value: string };
  /** Number of missing cells (empty, NaN, nan, NA, N/A, null). */
  missing: number;
}

/** A parsed CSV file. */
export interface CsvTable {
  /** The path as given. */
  file: string;
  /** The header cells, or null when the file has none (`header: "auto"` only). */
  header: string[] | null;
  rowCount: number;
  columns: CsvColumn[];
}

/** Options of {@linkcode readCsv}. */
export interface ReadCsvOptions {
  /**
   * `"required"` (scenario data, the default): the first record is the header, and a first record
   * made only of numbers is an error. `"auto"` (audit files): a first record with any non-numeric,
   * non-missing cell is a header; otherwise it is data and the columns are named "column 1", ...
   */
  header?: "required" | "auto";
}

/** Cells that stand for a missing value (pandas' and R's usual spellings). Compared after trimming. */
export const MISSING_MARKERS: ReadonlySet<string> = new Set(["", "NaN", "nan", "NA", "N/A", "null"]);

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|Inf|INF|infinity|Infinity)$/;

/**
 * Parses one trimmed cell: a number, NaN for a missing marker, or undefined for text.
 * Decimal notation and infinities (numpy writes "inf") only: `Number()` would also accept "0x1f",
 * "" and " ", which are not numbers in a CSV.
 */
export function parseCell(cell: string): number | undefined {
  if (MISSING_MARKERS.has(cell)) return NaN;
  if (DECIMAL.test(cell)) return Number(cell);
  const inf = INFINITY.exec(cell);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return undefined;
}

/** Growable float64 storage, so that a large file never sits in a JS array of boxed numbers. */
class ColumnBuilder {
  values = new Float64Array(1024);
  length = 0;
  text: string[] | undefined;
  firstText: { row: number; line: number; value: string } | undefined;
  missing = 0;

  push(cell: string, row: number, line: number): void {
    const v = parseCell(cell);
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    if (v === undefined) {
      if (this.text === undefined) {
        // First text cell: earlier cells were numbers or missing; their text is rebuilt from the
        // parsed value (keeping every raw cell of every column would double the memory of big files).
        this.text = Array.from(
          this.values.subarray(0, this.length),
          (x) => (Number.isNaN(x) ? "" : String(x)),
        );
        this.firstText = { row, line, value: cell };
      }
      this.values[this.length++] = NaN;
      this.text.push(cell);
      return;
    }
    if (Number.isNaN(v)) this.missing++;
    this.values[this.length++] = v;
    this.text?.push(Number.isNaN(v) ? "" : cell);
  }

  finish(name: string): CsvColumn {
    const column: CsvColumn = {
      name,
      numeric: this.text === undefined,
      values: this.values.slice(0, this.length),
      missing: this.missing,
    };
    if (this.text !== undefined) {
      column.text = this.text;
      column.firstText = this.firstText;
    }
    return column;
  }
}

/**
 * Reads a CSV file through `source.stream`, so that memory holds the parsed columns, not the text.
 * Handles quoted fields with separators and newlines, CRLF, a UTF-8 BOM and a trailing newline.
 * Missing cells (see {@linkcode MISSING_MARKERS}) become NaN; they are data to diagnose, not errors.
 *
 * @throws {InputError} empty file, no header, header only, duplicate column names, ragged rows,
 * malformed quotes; each names the file and the row or line.
 *
 * @example
 * ```ts
 * import { memoryFileSource } from "../io.ts";
 * const table = await readCsv("/d.csv", memoryFileSource({ "/d.csv": "x,y\n1,cat\n2,dog\n" }));
 * table.columns[1].text; // ["cat", "dog"]
 * ```
 */
export async function readCsv(
  path: string,
  source: FileSource,
  options: ReadCsvOptions = {},
): Promise<CsvTable> {
  const headerMode = options.header ?? "required";
  const bytes = await source.stream(path);
  const records = bytes
    // TextDecoderStream is typed as accepting any BufferSource, which TS will not narrow to Uint8Array.
    .pipeThrough(new TextDecoderStream("utf-8", { fatal: true }) as ReadableWritablePair<string, Uint8Array>)
    .pipeThrough(createCsvParseStream({ fieldsPerRecord: 0 }));

  let header: string[] | null = null;
  let builders: ColumnBuilder[] = [];
  let width = 0;
  let rows = 0;
  let first = true;
  try {
    for await (const record of records) {
      const cells = record.map((c) => c.trim());
      if (first) {
        first = false;
        width = cells.length;
        builders = cells.map(() => new ColumnBuilder());
        const looksLikeHeader = cells.some((c) => parseCell(c) === undefined);
        if (headerMode === "required" && !looksLikeHeader) {
          throw new InputError(
            `no header row: the first line (${
              preview(cells)
            }) holds only numbers; scenario CSV files need a header naming each column`,
            { file: path, line: 1 },
          );
        }
        if (looksLikeHeader) {
          header = cells;
          checkHeader(path, cells);
          continue;
        }
      }
      rows++;
      // Line of this record, assuming one line per record: exact unless a quoted field spans lines.
      const line = rows + (header ? 1 : 0);
      for (let j = 0; j < width; j++) builders[j].push(cells[j], rows, line);
    }
  } catch (e) {
    throw toInputError(e, path, rows, width);
  }
  if (first) throw new InputError("the file is empty: expected a header row and data rows", { file: path });
  if (rows === 0) {
    throw new InputError(`header only: no data rows after the header (${preview(header ?? [])})`, {
      file: path,
      line: 2,
    });
  }
  const names = header ?? builders.map((_, j) => `column ${j + 1}`);
  return { file: path, header, rowCount: rows, columns: builders.map((b, j) => b.finish(names[j])) };
}

function checkHeader(path: string, cells: string[]): void {
  const seen = new Map<string, number>();
  cells.forEach((name, j) => {
    if (name === "") {
      throw new InputError(`empty column name in the header (column ${j + 1})`, { file: path, line: 1 });
    }
    const before = seen.get(name);
    if (before !== undefined) {
      throw new InputError(`duplicate column name "${name}" (columns ${before + 1} and ${j + 1})`, {
        file: path,
        line: 1,
        field: name,
      });
    }
    seen.set(name, j);
  });
}

/** Turns the parser's and the decoder's errors into InputErrors naming the file and the row. */
function toInputError(e: unknown, path: string, rowsSoFar: number, width: number): unknown {
  if (e instanceof InputError) return e;
  if (e instanceof TypeError && /decod|encoded|UTF-8/i.test(e.message)) {
    return new InputError(`not UTF-8 text (${e.message}); save the file as UTF-8 CSV`, { file: path });
  }
  if (!(e instanceof SyntaxError)) return e;
  const ragged = /line (\d+): expected (\d+) fields but got (\d+)/.exec(e.message);
  if (ragged) {
    return new InputError(
      `ragged row: expected ${ragged[2]} fields (as in the first line) but got ${ragged[3]}`,
      { file: path, line: Number(ragged[1]), row: rowsSoFar + 1 },
    );
  }
  const quote = /parse error on line (\d+), column (\d+): (.*)$/.exec(e.message);
  if (quote) {
    return new InputError(`malformed CSV: ${quote[3]}`, {
      file: path,
      line: Number(quote[1]),
      column: Number(quote[2]),
      row: rowsSoFar + 1,
    });
  }
  return new InputError(`malformed CSV: ${e.message} (${width} columns)`, { file: path, row: rowsSoFar + 1 });
}

function preview(cells: string[]): string {
  const shown = cells.slice(0, 6).map((c) => JSON.stringify(c)).join(",");
  return cells.length > 6 ? `${shown},...` : shown;
}
