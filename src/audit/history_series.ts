/**
 * The per-split series a history-only audit reads, picked out of a {@linkcode History} by the
 * name mapping of names.ts: the loss and the accuracy-like metrics of each split, with the precision
 * they were written with (a console log prints 4 decimals, a CSVLogger 17 digits).
 *
 * @module
 */
import type { History } from "../history/types.ts";
import { writtenPrecision } from "./inputs.ts";
import { classifyKey, type KeyInfo } from "./names.ts";

/** One logged quantity over the epochs. */
export interface Series {
  key: string;
  info: KeyInfo;
  /** One per history row; null where not logged. NaN/Inf kept as logged. */
  values: (number | null)[];
  /** Half a unit of the last written decimal (0: full precision). */
  precision: number;
  /** The log wrote this accuracy in percent (all values in [0, 100], some above 1): values are /100. */
  percent?: boolean;
}

/** The series of one split. */
export interface SplitSeries {
  split: "train" | "validation";
  loss: Series | null;
  /** Accuracy-family metrics (accuracy, binary/categorical accuracy), as fractions. */
  accuracies: Series[];
  /** Other bounded metrics (precision, recall, f1, auc), as logged. */
  bounded: Series[];
}

/** Splits the history into its train and validation series. */
export function splitSeries(history: History): { train: SplitSeries; validation: SplitSeries } {
  const make = (split: "train" | "validation"): SplitSeries => ({
    split,
    loss: null,
    accuracies: [],
    bounded: [],
  });
  const out = { train: make("train"), validation: make("validation") };
  for (const key of history.keys) {
    const info = classifyKey(key);
    if (info.split === "test" || info.bookkeeping || info.family === null) continue;
    const values = history.values[key];
    const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
    if (finite.length === 0 && info.family !== "loss") continue;
    const s: Series = { key, info, values, precision: writtenPrecision(Float64Array.from(finite)) };
    const target = out[info.split];
    if (info.family === "loss") {
      // The plain loss ("loss", "val_loss", "epoch_loss") wins over a named cross-entropy metric.
      if (!target.loss || (/^loss$/i.test(target.loss.info.base) === false && /^loss$/i.test(info.base))) {
        target.loss = s;
      }
    } else if (info.family === "accuracy") {
      // Percent: every value within [0, 100] and most above 1 (one stray 1.7 among fractions is not).
      if (
        finite.filter((v) => v > 1).length >= 0.8 * finite.length && finite.every((v) => v >= 0 && v <= 100)
      ) {
        s.values = values.map((v) => (v === null ? null : v / 100));
        s.percent = true;
        s.precision /= 100;
      }
      target.accuracies.push(s);
    } else if (["precision", "recall", "f1", "auc"].includes(info.family)) {
      target.bounded.push(s);
    }
  }
  return out;
}

/** Finite values with their row index. */
export function finitePoints(values: (number | null)[]): { row: number; value: number }[] {
  const out: { row: number; value: number }[] = [];
  values.forEach((v, row) => {
    if (v !== null && Number.isFinite(v)) out.push({ row, value: v });
  });
  return out;
}
