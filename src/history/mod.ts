/**
 * Training logs of every kind a user has, read into one {@linkcode History} shape: Keras `CSVLogger`
 * CSV and `history.history` JSON, Lightning `metrics.csv`, TensorBoard event files or run
 * directories, Keras console output and the epoch lines PyTorch loops print (CONTRACT §3, §7.4).
 * The format is recognised from the content (a TFRecord header, a JSON object, a CSV header with
 * `epoch` and `step`, console lines), not from the file name, so a pasted log works as well as a file.
 *
 * @example
 * ```ts
 * import { memoryFileSource } from "../io.ts";
 * const log = "Epoch 1/2\n32/32 - 0s - loss: 0.6931 - accuracy: 0.5000\nEpoch 2/2\n32/32 - 0s - loss: 0.5 - accuracy: 0.7\n";
 * const history = await readHistory("/fit.log", memoryFileSource({ "/fit.log": log }));
 * history.values.loss; // [0.6931, 0.5]
 * ```
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { basename, type FileSource } from "../io.ts";
import { looksLikeKerasConsole, readEpochLines, readKerasConsole } from "./console_log.ts";
import { splitShown } from "./history_csv.ts";
import { parseHistoryJson, readCsvLogger } from "./keras_history.ts";
import { isLightningHeader, readLightningCsv } from "./lightning_csv.ts";
import { isEventFileName, readTensorboard } from "./tensorboard.ts";
import { looksLikeTfRecord } from "./tfrecord.ts";
import type { History } from "./types.ts";

export type { History, HistoryFormat, StepSeries } from "./types.ts";

/** Reads a training log of any supported kind (a file, or a TensorBoard run directory). */
export async function readHistory(path: string, source: FileSource): Promise<History> {
  const entries = source.list ? await source.list(path) : null;
  if (entries !== null) return await readTensorboard(path, source, true);
  const bytes = await source.readBytes(path);
  if (looksLikeTfRecord(bytes) || isEventFileName(basename(path))) {
    return await readTensorboard(path, source, false);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new InputError(
      "not a training log: binary content that is not a TensorBoard event file (no valid TFRecord header)",
      { file: path },
    );
  }
  if (text.trim() === "") throw new InputError("the file is empty: expected a training log", { file: path });
  return readHistoryText(text, path, source);
}

/** Reads a log already held as text (a pasted log in the playground); `path` names it in messages. */
export async function readHistoryText(text: string, path: string, source: FileSource): Promise<History> {
  // JSON: an object, or an array that closes the text ("[1,  2000] loss: 2.304" is a PyTorch line).
  if (/^\s*\{/.test(text) || /^\s*\[[\s\S]*\]\s*$/.test(text) && !/\]\s*[A-Za-z]/.test(text)) {
    return parseHistoryJson(text, path);
  }
  if (looksLikeKerasConsole(text)) return readKerasConsole(text, path);
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0];
  if (looksLikeCsvHeader(firstLine)) {
    return isLightningHeader(splitShown(firstLine))
      ? await readLightningCsv(path, source)
      : await readCsvLogger(path, source);
  }
  return readEpochLines(text, path);
}

/** A comma-separated line of names (`epoch,loss,val_loss`), as both CSV loggers write first. */
function looksLikeCsvHeader(line: string): boolean {
  const cells = line.split(",").map((c) => c.trim());
  return cells.length >= 2 && cells.every((c) => /^"?[A-Za-z_][\w./ -]*"?$/.test(c));
}
