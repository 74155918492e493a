/**
 * A typed door onto deno-std's CSV writer (the npm `deno-std` package ships JavaScript without
 * declarations). Only the call the tests use is typed: rows of cells in, CSV text out.
 */
import { stringify as stdStringify } from "deno-std/csv/stringify.js";

/** Options of {@linkcode stringifyCsv}, as deno-std's `stringify` takes them. */
export interface StringifyCsvOptions {
  /** Prepend a UTF-8 byte-order mark. */
  bom?: boolean;
  separator?: string;
}

type StdStringify = (
  data: readonly (readonly string[])[],
  options?: StringifyCsvOptions & { headers?: boolean },
) => string;

/**
 * Rows of cells as CSV text, quoted where a cell holds the separator, a quote or a line feed. deno-std
 * always ends records with CRLF (RFC 4180).
 */
export function stringifyCsv(
  rows: readonly (readonly string[])[],
  options: StringifyCsvOptions = {},
): string {
  return (stdStringify as unknown as StdStringify)(rows, { ...options, headers: false });
}
