/**
 * A typed door onto deno-std's streaming CSV parser (the npm `deno-std` package ships JavaScript
 * without declarations). Only the option set fitcheck uses is typed.
 */
// @ts-types is not available for a declaration-less npm .js file, so the type is asserted once here.
import { CsvParseStream as StdCsvParseStream } from "deno-std/csv/parse_stream.js";

export interface CsvParseStreamOptions {
  separator?: string;
  /** 0: the first record fixes the field count; a different count later throws a SyntaxError. */
  fieldsPerRecord?: number;
  lazyQuotes?: boolean;
  trimLeadingSpace?: boolean;
}

/** A TransformStream from CSV text chunks to records (arrays of raw field strings). */
export interface CsvRecordStream {
  readonly readable: ReadableStream<string[]>;
  readonly writable: WritableStream<string>;
}

type CsvParseStreamCtor = new (options?: CsvParseStreamOptions) => CsvRecordStream;

/** Creates deno-std's `CsvParseStream` with the given options. */
export function createCsvParseStream(options: CsvParseStreamOptions): CsvRecordStream {
  return new (StdCsvParseStream as unknown as CsvParseStreamCtor)(options);
}
