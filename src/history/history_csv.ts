/**
 * The CSV side shared by the CSV history readers (Keras `CSVLogger`, Lightning `metrics.csv`): the
 * project's CSV reader, plus the one mistake a training log adds to those of any CSV: the columns
 * changing mid-file (a second header row from an appended or resumed run, or rows with more or fewer
 * fields since a metric appeared or went away), named as such with its line.
 *
 * @module
 */
import { type CsvTable, parseCell, readCsv } from "../data/csv.ts";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";

/** Reads a history CSV (header required); a change of columns mid-file is an InputError naming the line. */
export async function readHistoryCsv(path: string, source: FileSource): Promise<CsvTable> {
  let table: CsvTable;
  try {
    table = await readCsv(path, source, { header: "required" });
  } catch (e) {
    if (e instanceof InputError && e.location.line !== undefined && /ragged|fields/.test(e.problem)) {
      throw await columnChange(path, source, e.location.line, e);
    }
    throw e;
  }
  // A second header row reads as text in numeric columns: find the first such line.
  // A CSV read always has line numbers (only a Parquet table lacks them).
  const texts = table.columns.flatMap((c) =>
    !c.numeric && c.firstText?.line !== undefined ? [{ line: c.firstText.line }] : []
  );
  if (texts.length > 0) {
    const first = texts.reduce((a, b) => (b.line < a.line ? b : a));
    const lines = (await source.readText(path)).split(/\r\n|\r|\n/);
    const cells = splitShown(lines[first.line - 1] ?? "");
    if (cells.length > 1 && cells.every((c) => c === "" || parseCell(c) === undefined)) {
      throw new InputError(
        `the columns change mid-file: a second header row (${preview(cells)}) after the first (${
          preview(table.header ?? [])
        }); split the file where the new run starts`,
        { file: path, line: first.line },
      );
    }
  }
  return table;
}

/**
 * Tells a logged NaN (`nan` in the file: the loss diverged) from a blank or `NA` cell (not logged in
 * that row), which the CSV reader both reads as NaN: NaN for the first, null for the second.
 */
export async function loggedValues(
  path: string,
  source: FileSource,
  table: CsvTable,
): Promise<(column: number) => (number | null)[]> {
  const lines = (await source.readText(path)).split(/\r\n|\r|\n/);
  return (j) =>
    Array.from(table.columns[j].values, (v, r) => {
      if (!Number.isNaN(v)) return v;
      const cell = splitShown(lines[table.lineOf(r + 1) - 1] ?? "")[j] ?? "";
      return /^[-+]?nan$/i.test(cell) ? NaN : null;
    });
}

async function columnChange(
  path: string,
  source: FileSource,
  line: number,
  e: InputError,
): Promise<InputError> {
  const lines = (await source.readText(path)).split(/\r\n|\r|\n/);
  const header = splitShown(lines[0] ?? "");
  const cells = splitShown(lines[line - 1] ?? "");
  if (cells.every((c) => c === "" || parseCell(c) === undefined)) {
    return new InputError(
      `the columns change mid-file: a new header row (${preview(cells)}) after the first (${
        preview(header)
      }); split the file where the new run starts`,
      { file: path, line },
    );
  }
  // Every later row at the new width: a metric appeared or went away while logging, not one damaged row.
  const later = lines.slice(line).filter((l) => l.trim() !== "");
  if (later.length > 0 && later.every((l) => splitShown(l).length === cells.length)) {
    return new InputError(
      `the columns change mid-file: from this line on rows have ${cells.length} fields where the header (${
        preview(header)
      }) has ${header.length}; ${e.problem}`,
      { ...e.location },
    );
  }
  return e;
}

/**
 * The cells of a line as a person would read them, quotes off: for messages and for telling the two
 * CSV loggers apart by their header (the data itself is parsed by readCsv).
 */
export function splitShown(line: string): string[] {
  return line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
}

function preview(cells: string[]): string {
  const shown = cells.slice(0, 6).join(",");
  return cells.length > 6 ? `${shown},...` : shown;
}
