/**
 * The one error type for bad user input (files, rows, fields, scenario keys, CLI values).
 *
 * The CLI turns it into exit code 2 and a single line on stderr; everything else that throws is a
 * defect of fitcheck. Findings about the data (NaNs, imbalance, ...) are never InputErrors: they are
 * things to diagnose, returned by detectors.
 */
export interface InputLocation {
  /** The file as the user named it (or "<inline>", "<argv>"). */
  file?: string;
  /** 1-based line in a text file (JSON, CSV physical line). */
  line?: number;
  /** 1-based column, with `line`, for syntax errors. */
  column?: number;
  /** 1-based data row of a table (header excluded). */
  row?: number;
  /** Column name, JSON key path ("model.layers[1].units") or option name ("--target"). */
  field?: string;
}

export class InputError extends Error {
  override name = "InputError";
  readonly location: InputLocation;
  /** What was wrong, without the location; `message` holds the full one-line text. */
  readonly problem: string;

  constructor(problem: string, location: InputLocation = {}) {
    super(formatInputProblem(problem, location));
    this.problem = problem;
    this.location = location;
  }
}

/** `file.csv: row 12, field "age": expected a number, got "abc"` */
export function formatInputProblem(problem: string, where: InputLocation): string {
  const parts: string[] = [];
  if (where.line !== undefined) {
    parts.push(where.column !== undefined ? `line ${where.line}:${where.column}` : `line ${where.line}`);
  }
  if (where.row !== undefined) parts.push(`row ${where.row}`);
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  const head = [where.file, parts.join(", ")].filter((s) => s).join(": ");
  return head ? `${head}: ${problem}` : problem;
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
