/**
 * The two Keras history files of CONTRACT §3: a `CSVLogger` CSV and the JSON of `history.history`.
 *
 * @module
 */
import { numberHint } from "../data/csv.ts";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { parseJsonText } from "../scenario/json_text.ts";
import { loggedValues, readHistoryCsv } from "./history_csv.ts";
import type { History } from "./types.ts";

/** Reads a Keras CSVLogger CSV (`epoch,accuracy,loss,val_accuracy,val_loss`, epochs from 0). */
export async function readCsvLogger(path: string, source: FileSource): Promise<History> {
  const table = await readHistoryCsv(path, source);
  const logged = await loggedValues(path, source, table);
  const epochCol = table.columns.find((c) => c.name === "epoch");
  const values: Record<string, (number | null)[]> = {};
  const keys: string[] = [];
  for (const [j, c] of table.columns.entries()) {
    if (c === epochCol) continue;
    if (!c.numeric) {
      const w = c.firstText!;
      throw new InputError(`expected a number, got ${JSON.stringify(w.value)}${numberHint(w.value)}`, {
        file: path,
        row: w.row,
        line: w.line,
        field: c.name,
      });
    }
    keys.push(c.name);
    // "nan" (a diverged loss) stays NaN; "NA" or blank (not logged that epoch) is null.
    values[c.name] = logged(j);
  }
  let epochs = Array.from({ length: table.rowCount }, (_, i) => i + 1);
  if (epochCol) {
    epochs = Array.from(epochCol.values, (v, i) => {
      if (!Number.isInteger(v) || v < 0) {
        throw new InputError(`epoch must be a non-negative integer (CSVLogger counts from 0), got ${v}`, {
          file: path,
          line: table.lineOf(i + 1),
          row: i + 1,
          field: "epoch",
        });
      }
      return v + 1;
    });
  }
  if (keys.length === 0) {
    throw new InputError("no logged quantities besides the epoch column", { file: path });
  }
  return { file: path, format: "csv-logger", keys, values, epochs };
}

/** Reads the JSON of `history.history` (an object of arrays; tfjs `History.history` is the same). */
export function parseHistoryJson(text: string, path: string): History {
  // Python's json.dump writes NaN / Infinity as bare tokens, which JSON.parse alone rejects.
  let doc = parseJsonText(text, path, { nonFinite: true });
  // model.fit(...) in tfjs returns a History whose `.history` is the object; accept either.
  if (
    doc && typeof doc === "object" && !Array.isArray(doc) && "history" in doc &&
    typeof doc.history === "object"
  ) {
    doc = (doc as { history: unknown }).history;
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    const got = Array.isArray(doc) ? "an array" : doc === null ? "null" : typeof doc;
    throw new InputError(
      `expected an object of arrays, as history.history: {"loss": [...], ...}, got ${got}` +
        (Array.isArray(doc) ? " (one object per epoch? write one array per key)" : ""),
      { file: path },
    );
  }
  const values: Record<string, (number | null)[]> = {};
  const keys: string[] = [];
  let length: number | null = null, firstKey = "";
  for (const [key, arr] of Object.entries(doc as Record<string, unknown>)) {
    if (!Array.isArray(arr)) {
      throw new InputError(`expected an array of numbers, got ${JSON.stringify(arr)?.slice(0, 40)}`, {
        file: path,
        field: key,
      });
    }
    const nums = arr.map((v, i) => {
      // A NaN token is a logged NaN (the loss diverged); null is "not logged".
      if (typeof v === "number") return v;
      if (v === "NaN") return NaN;
      if (v === null) return null;
      if (v === "Infinity") return Infinity;
      if (v === "-Infinity") return -Infinity;
      throw new InputError(`entry ${i} is ${JSON.stringify(v)}, not a number`, {
        file: path,
        field: `${key}[${i}]`,
      });
    });
    if (length === null) {
      length = nums.length;
      firstKey = key;
    } else if (nums.length !== length) {
      throw new InputError(`has ${nums.length} epochs but "${firstKey}" has ${length}`, {
        file: path,
        field: key,
      });
    }
    if (key === "epoch") continue;
    keys.push(key);
    values[key] = nums;
  }
  if (keys.length === 0 || !length) {
    throw new InputError("no logged epochs: every array is empty", { file: path });
  }
  return { file: path, format: "json", keys, values, epochs: Array.from({ length }, (_, i) => i + 1) };
}
