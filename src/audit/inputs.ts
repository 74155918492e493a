/**
 * Reading the three audit inputs of CONTRACT §3 (labels, predictions, history) into matrices and a
 * per-epoch table, with every user mistake turned into an InputError that names the file and the
 * row or field.
 *
 * @module
 */
import { numberHint, readCsv, separatorRemark } from "../data/csv.ts";
import { readNpy } from "../data/npy.ts";
import { readNpzArray } from "../data/npz.ts";
import { readParquet } from "../data/parquet.ts";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { Matrix } from "../reference/matrix.ts";

/** A numeric table read from CSV or .npy, with what was learned while reading it. */
export interface AuditTable {
  file: string;
  matrix: Matrix;
  /** Column names when a CSV header was present. */
  columns: string[] | null;
  /** Sorted distinct class names when the labels were text (index i stands for classNames[i]). */
  classNames?: string[];
  /**
   * Half a unit in the last decimal place the values were written with (0 when they carry full
   * float32 precision: .npy, or CSV with more than 8 decimals, which pins down every float32 in [0, 1]).
   */
  writtenPrecision: number;
  /** Blank lines skipped in a CSV (they hold no row), for messages about row counts. */
  blankLines?: { count: number; lines: number[] };
}

/** Reads labels: one column of indices, names or values, K one-hot/multi-label columns, or .npy. */
export async function readLabels(path: string, source: FileSource): Promise<AuditTable> {
  return await readTable(path, source, { allowText: true });
}

/** Reads predictions: N × K numbers (probabilities or logits), CSV or .npy. */
export async function readPredictions(path: string, source: FileSource): Promise<AuditTable> {
  return await readTable(path, source, { allowText: false });
}

async function readTable(
  path: string,
  source: FileSource,
  opts: { allowText: boolean },
): Promise<AuditTable> {
  const array = /\.npy$/i.test(path)
    ? await readNpy(path, source)
    : /\.npz$/i.test(path)
    ? await readNpzArray(path, source)
    : null;
  if (array) {
    const a = array;
    if (a.shape.length === 0 || a.shape.length > 2) {
      throw new InputError(
        `expected a 1-d or 2-d array (rows × columns), got shape (${a.shape.join(", ")})`,
        {
          file: path,
        },
      );
    }
    const rows = a.shape[0], cols = a.shape.length === 2 ? a.shape[1] : 1;
    if (rows === 0 || cols === 0) {
      throw new InputError(`empty array of shape (${a.shape.join(", ")})`, { file: path });
    }
    const m: Matrix = { data: a.data, rows, cols };
    if (opts.allowText) checkFinite(m, path, null, "label");
    // f4 values are exact float32s; f8 may be float64 results, equally exact for our purpose.
    return { file: path, matrix: m, columns: null, writtenPrecision: 0 };
  }
  const table = /\.parquet$/i.test(path)
    ? await readParquet(path, source)
    : await readCsv(path, source, { header: "auto" });
  const rows = table.rowCount, cols = table.columns.length;
  const text = table.columns.filter((c) => !c.numeric);
  if (text.length > 0) {
    const c = text[0];
    if (!opts.allowText || cols !== 1) {
      const where = c.firstText!;
      throw new InputError(
        opts.allowText
          ? `text labels ("${where.value}") must be a single column of class names; this file has ${cols} columns`
          : `expected a number (a probability or logit), got ${JSON.stringify(where.value)}${
            numberHint(where.value)
          }${separatorRemark(table)}`,
        { file: path, row: where.row, line: where.line, field: c.name },
      );
    }
    const names = [...new Set(c.text!.filter((t) => t !== ""))].sort();
    const missing = c.text!.indexOf("");
    if (missing >= 0) {
      throw new InputError("missing label: every row needs its class", {
        file: path,
        line: table.lineOf?.(missing + 1),
        row: missing + 1,
        field: c.name,
      });
    }
    const index = new Map(names.map((n, i) => [n, i]));
    const data = Float64Array.from(c.text!, (t) => index.get(t)!);
    return {
      file: path,
      matrix: { data, rows, cols: 1 },
      columns: table.header,
      classNames: names,
      writtenPrecision: 0,
      blankLines: table.blankLines,
    };
  }
  const data = new Float64Array(rows * cols);
  table.columns.forEach((c, j) => {
    for (let r = 0; r < rows; r++) data[r * cols + j] = c.values[r];
  });
  const m = { data, rows, cols };
  // Non-finite predictions are a symptom (a diverged run), reported as a finding, not an input error.
  if (opts.allowText) checkFinite(m, path, table.header, "label", table.lineOf);
  return {
    file: path,
    matrix: m,
    columns: table.header,
    writtenPrecision: writtenPrecision(data),
    blankLines: table.blankLines,
  };
}

function checkFinite(
  m: Matrix,
  file: string,
  header: string[] | null,
  what: string,
  lineOf?: (row: number) => number,
): void {
  for (let i = 0; i < m.data.length; i++) {
    if (Number.isNaN(m.data[i])) {
      const r = Math.floor(i / m.cols), c = i % m.cols;
      throw new InputError(`missing or NaN ${what}: every cell must be a number`, {
        file,
        ...(lineOf ? { line: lineOf(r + 1) } : {}),
        row: r + 1,
        field: header ? header[c] : `column ${c + 1}`,
      });
    }
  }
}

/**
 * Half a unit of the coarsest decimal place that reproduces every value, found by round-tripping
 * through `toFixed(d)`. Values printed with 8 decimals or fewer ("%.6f", "%.4f") get 0.5·10^-d; longer
 * ones are taken as exact (0): float32 probabilities have at most 2^-24 ≈ 6e-8 spacing near 1, which
 * 9+ decimals resolve.
 */
export function writtenPrecision(values: Float64Array): number {
  for (let d = 0; d <= 8; d++) {
    let ok = true;
    for (let i = 0; i < values.length && ok; i++) {
      const v = values[i];
      if (Number.isFinite(v) && Number(v.toFixed(d)) !== v) ok = false;
    }
    if (ok) return d === 0 ? 0 : 0.5 * 10 ** -d;
  }
  return 0;
}

export type { History } from "../history/types.ts";
export { readHistory } from "../history/mod.ts";
