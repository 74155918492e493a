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

/**
 * `file.csv: line 13 (data row 12), field "age": expected a number, got "abc"`. A line is a physical
 * line of the file; a data row counts rows of data from 1, the header excluded; both are named as
 * such so the user never has to guess which count is meant.
 */
export function formatInputProblem(problem: string, where: InputLocation): string {
  const parts: string[] = [];
  const row = where.row !== undefined ? `data row ${where.row}` : undefined;
  if (where.line !== undefined) {
    const line = where.column !== undefined ? `line ${where.line}:${where.column}` : `line ${where.line}`;
    parts.push(row ? `${line} (${row})` : line);
  } else if (row) {
    parts.push(row);
  }
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  const head = [where.file, parts.join(", ")].filter((s) => s).join(": ");
  return head ? `${head}: ${problem}` : problem;
}

/**
 * An InputError about reaching a file at all (missing, a directory, no permission), as opposed to
 * its content: a caller that knows who named the file (a scenario key) can say so.
 */
export class FileAccessError extends InputError {
  constructor(problem: string, file: string) {
    super(problem, { file });
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** A name with case, "_", "-" and spaces squashed out, so spellings of one name meet (`learning_rate`, `learningRate`). */
export function squashName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, "");
}

/**
 * The choice `value` was most likely meant to be, for a "did you mean" in a message: the same name
 * up to case, "_", "-" and spaces (`learning_rate` -> `learningRate`, `ReLU` -> `relu`), else one
 * within a small edit distance (1 for names of 4+ characters, 2 from 8), else undefined. Short names
 * get no guess: `x3` is as likely a new column as a typo of `x1`.
 */
export function closestName(value: string, choices: readonly string[]): string | undefined {
  const same = choices.find((c) => c !== value && squashName(c) === squashName(value));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of choices) {
    const allowed = Math.min(2, Math.floor(Math.min(c.length, value.length) / 4));
    const d = editDistance(c.toLowerCase(), value.toLowerCase());
    if (d > 0 && d <= allowed && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or "" when no choice is close (see {@linkcode closestName}). */
export function didYouMean(value: string, choices: readonly string[]): string {
  const best = closestName(value, choices);
  return best === undefined ? "" : ` (did you mean ${JSON.stringify(best)}?)`;
}

/** Edit distance with adjacent transpositions (optimal string alignment): "modle" is 1 from "model". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
