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
import { createCsvRecordStream, createUtf8DecodeStream, CsvSyntaxError, Utf8Error } from "./_csv_stream.ts";

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
  firstText?: { row: number; line?: number; value: string };
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
  /** The 1-based physical line of data row `row` (1-based), exact across blank lines and multi-line fields. */
  lineOf(row: number): number;
  /** Lines holding only whitespace, skipped (the first few) and how many there were. */
  blankLines: { count: number; lines: number[] };
  /**
   * Set when the file looks separated by something other than commas (its first line is one field
   * holding ";", a tab or "|"): a hint for the messages of errors that follow from it.
   */
  separatorHint?: string;
}

/**
 * A table of named columns from any tabular format: a CSV, or a Parquet file (./parquet.ts), which
 * has no lines (`lineOf` absent, `firstText.line` unset). What the dataset builder and the audit read.
 */
export type ColumnTable = Omit<CsvTable, "lineOf"> & { lineOf?(row: number): number };

/** Options of {@linkcode readCsv}. */
export interface ReadCsvOptions {
  /**
   * `"required"` (scenario data, the default): the first record is the header, and a first record
   * made only of numbers is an error. `"auto"` (audit files): a first record with any non-numeric,
   * non-missing cell is a header; otherwise it is data and the columns are named "column 1", ...
   */
  header?: "required" | "auto";
}

/**
 * Cells that stand for a missing value: pandas' default `na_values` (what `pd.read_csv` reads as
 * NaN, so a file pandas reads without complaint reads the same here). Compared after trimming.
 */
export const MISSING_MARKERS: ReadonlySet<string> = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parses one trimmed cell: a number, NaN for a missing marker, or undefined for text.
 * Decimal notation and infinities (numpy writes "inf", JavaScript "Infinity") only: `Number()` would
 * also accept "0x1f", "" and " ", which are not numbers in a CSV.
 */
export function parseCell(cell: string): number | undefined {
  // Numbers first: they are nearly every cell of a data file, and no missing marker is one.
  if (DECIMAL.test(cell)) return Number(cell);
  if (MISSING_MARKERS.has(cell)) return NaN;
  const inf = INFINITY.exec(cell);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return undefined;
}

/**
 * Why a cell that is not a number may have been meant as one, for messages: "" when nothing fits.
 * Thousands separators and decimal commas are the usual culprits of spreadsheet exports.
 */
export function numberHint(cell: string): string {
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(cell)) {
    return `; it looks like a number with thousands separators: write ${cell.replaceAll(",", "")}`;
  }
  if (/^[+-]?\d+,\d+$/.test(cell)) {
    return `; it looks like a decimal comma: write ${cell.replace(",", ".")}`;
  }
  if (/^[+-]?\d+(?:\.\d+)?\s*%$/.test(cell)) return "; percentages are not numbers: write a fraction";
  return "";
}

/**
 * Float64 storage in fixed chunks, copied once to its exact size at the end: a large file never
 * sits in a JS array of boxed numbers, and growing never holds an old and a doubled copy at once
 * (measured on a 200 MB file: doubling left ~160 MiB of column capacity for 79 MiB of data).
 */
class ColumnBuilder {
  static readonly CHUNK = 65_536;
  chunks: Float64Array[] = [];
  current = new Float64Array(ColumnBuilder.CHUNK);
  used = 0;
  length = 0;
  text: string[] | undefined;
  firstText: { row: number; line: number; value: string } | undefined;
  missing = 0;

  push(cell: string, row: number, line: number): void {
    const v = parseCell(cell);
    if (v === undefined) {
      if (this.text === undefined) {
        // First text cell: earlier cells were numbers or missing; their text is rebuilt from the
        // parsed value (keeping every raw cell of every column would double the memory of big files).
        this.text = Array.from(this.values(), (x) => (Number.isNaN(x) ? "" : String(x)));
        this.firstText = { row, line, value: cell };
      }
      this.append(NaN);
      this.text.push(cell);
      return;
    }
    if (Number.isNaN(v)) this.missing++;
    this.append(v);
    this.text?.push(Number.isNaN(v) ? "" : cell);
  }

  private append(v: number): void {
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Float64Array(ColumnBuilder.CHUNK);
      this.used = 0;
    }
    this.current[this.used++] = v;
    this.length++;
  }

  /** The values so far, in one exactly sized array. */
  values(): Float64Array {
    const out = new Float64Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    out.set(this.current.subarray(0, this.used), at);
    return out;
  }

  finish(name: string): CsvColumn {
    const column: CsvColumn = {
      name,
      numeric: this.text === undefined,
      values: this.values(),
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
 * Handles quoted fields with separators and newlines, LF / CRLF / CR line ends, a UTF-8 BOM, blank
 * lines and a trailing newline. Missing cells (see {@linkcode MISSING_MARKERS}) become NaN; they are
 * data to diagnose, not errors. Cells are trimmed.
 *
 * @throws {InputError} not UTF-8, empty file, no header, header only, duplicate or empty column
 * names, ragged rows, malformed quotes; each names the file and the line (and data row, column).
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
  const blankLines = { count: 0, lines: [] as number[] };
  const records = (await source.stream(path))
    .pipeThrough(createUtf8DecodeStream())
    .pipeThrough(
      createCsvRecordStream({
        onBlankLine: (line) => {
          if (blankLines.lines.length < 5) blankLines.lines.push(line);
          blankLines.count++;
        },
      }),
    );
  const lines = new LineMap();
  let header: string[] | null = null;
  let builders: ColumnBuilder[] = [];
  let width = 0;
  let rows = 0;
  let first = true;
  let separatorHint: string | undefined;
  try {
    for await (const record of records) {
      const cells = record.cells.map((c) => c.trim());
      if (first) {
        first = false;
        width = cells.length;
        builders = cells.map(() => new ColumnBuilder());
        separatorHint = guessSeparator(cells);
        const looksLikeHeader = cells.some((c) => parseCell(c) === undefined);
        if (headerMode === "required" && !looksLikeHeader) {
          throw new InputError(
            `no header row: the first line (${
              preview(cells)
            }) holds only numbers; a header naming each column must come first`,
            { file: path, line: record.line },
          );
        }
        if (looksLikeHeader) {
          header = cells;
          checkHeader(path, cells, record.line);
          continue;
        }
      }
      rows++;
      lines.add(rows, record.line);
      if (cells.length !== width) {
        throw raggedRow(path, { cells, line: record.line, row: rows, width, header, separatorHint });
      }
      for (let j = 0; j < width; j++) builders[j].push(cells[j], rows, record.line);
    }
  } catch (e) {
    throw toInputError(e, path);
  }
  if (first) {
    const what = blankLines.count > 0 ? "holds only blank lines" : "is empty";
    throw new InputError(`the file ${what}: expected a header row and data rows`, { file: path });
  }
  if (rows === 0) {
    throw new InputError(`header only: no data rows after the header (${preview(header ?? [])})`, {
      file: path,
      line: 2,
    });
  }
  const names = header ?? builders.map((_, j) => `column ${j + 1}`);
  return {
    file: path,
    header,
    rowCount: rows,
    columns: builders.map((b, j) => b.finish(names[j])),
    lineOf: (row) => lines.lineOf(row),
    blankLines,
    ...(separatorHint ? { separatorHint } : {}),
  };
}

/**
 * Data row -> physical line, stored as the rows where the offset between them changes (a blank line,
 * a field spanning lines), so a 200 MB file of plain rows costs nothing.
 */
class LineMap {
  #rows: number[] = [];
  #offsets: number[] = [];

  add(row: number, line: number): void {
    const offset = line - row;
    if (this.#offsets.at(-1) !== offset) {
      this.#rows.push(row);
      this.#offsets.push(offset);
    }
  }

  lineOf(row: number): number {
    let lo = 0;
    let hi = this.#rows.length - 1;
    if (hi < 0) return row + 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#rows[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return row + this.#offsets[lo];
  }
}

/** The separator a one-field first line seems to use, when it holds one: ";" (European Excel), tab, "|". */
function guessSeparator(cells: string[]): string | undefined {
  if (cells.length !== 1) return undefined;
  for (const [sep, name] of [[";", '";"'], ["\t", "tabs"], ["|", '"|"']]) {
    if (cells[0].split(sep).length > 1) return name;
  }
  return undefined;
}

/** A remark naming the separator the file seems to use, for messages; "" when there is none. */
export function separatorRemark(table: Pick<CsvTable, "separatorHint">): string {
  return table.separatorHint
    ? ` (the first line is one field: the file seems separated by ${table.separatorHint}; ` +
      `fitcheck reads comma-separated files)`
    : "";
}

function raggedRow(
  path: string,
  r: {
    cells: string[];
    line: number;
    row: number;
    width: number;
    header: string[] | null;
    separatorHint?: string;
  },
): InputError {
  const firstLine = r.header ? "the header" : "the first line";
  let hint = separatorRemark(r);
  if (!hint && r.cells.length === r.width + 1 && r.cells[r.width] === "") {
    hint = " (a trailing comma at the end of the line?)";
  } else if (!hint && r.cells.length > r.width) {
    hint = " (a value that holds a comma must be in double quotes)";
  }
  return new InputError(
    `ragged row: expected ${r.width} field${r.width === 1 ? "" : "s"} (as in ${firstLine}) but got ` +
      `${r.cells.length}: ${preview(r.cells)}${hint}`,
    { file: path, line: r.line, row: r.row },
  );
}

function checkHeader(path: string, cells: string[], line: number): void {
  const seen = new Map<string, number>();
  cells.forEach((name, j) => {
    if (name === "") {
      const after = j > 0 ? `, after "${cells[j - 1]}"` : "";
      const trailing = j === cells.length - 1 && j > 0 ? "; a trailing comma at the end of the header?" : "";
      throw new InputError(
        `empty column name in the header (column ${j + 1}${after}): name every column${trailing}`,
        {
          file: path,
          line,
        },
      );
    }
    const before = seen.get(name);
    if (before !== undefined) {
      throw new InputError(
        `duplicate column name "${name}" (columns ${before + 1} and ${j + 1}): column names must be unique`,
        { file: path, line, field: name },
      );
    }
    seen.set(name, j);
  });
}

/** Turns the decoder's and the parser's errors into InputErrors naming the file and the position. */
function toInputError(e: unknown, path: string): unknown {
  if (e instanceof Utf8Error) {
    return new InputError(e.problem, { file: path, ...(e.line !== undefined ? { line: e.line } : {}) });
  }
  if (e instanceof CsvSyntaxError) {
    return new InputError(`malformed CSV: ${e.problem}`, { file: path, line: e.line, column: e.column });
  }
  return e;
}

function preview(cells: string[]): string {
  const shown = cells.slice(0, 6).map((c) => JSON.stringify(c.length > 30 ? c.slice(0, 27) + "..." : c)).join(
    ",",
  );
  return cells.length > 6 ? `${shown},...` : shown;
}
