/**
 * What a logged key means: its split and which family of definitions can explain it. Keras names
 * (`loss accuracy acc binary_accuracy categorical_accuracy sparse_categorical_accuracy
 * top_k_categorical_accuracy precision recall auc mae mse ...`, `val_` prefixes, `precision_1`
 * suffixes from a second metric instance) and tfjs names (`acc`, `binaryAccuracy`,
 * `categoricalAccuracy`, `meanSquaredError`, ...) all normalise to the same families.
 *
 * @module
 */
import type { Family } from "./candidates.ts";

export interface KeyInfo {
  key: string;
  split: "train" | "validation";
  /** The key without split prefix and instance suffix, as logged ("accuracy", "binaryAccuracy"). */
  base: string;
  /** Null: not a loss or metric we can recompute (a custom name, a learning rate). */
  family: Family | null;
  /** Narrower definitions the name asks for ("binary", "argmax", "crossentropy"). */
  tags: string[];
  /** True for bookkeeping keys that are not model quality numbers (lr, time, ...). */
  bookkeeping: boolean;
}

const FAMILIES: [RegExp, Family, string[]][] = [
  [/^loss$/, "loss", []],
  [/^(acc|accuracy)$/, "accuracy", []],
  [/^binaryacc(uracy)?$/, "accuracy", ["binary"]],
  [/^(sparse)?categoricalacc(uracy)?$/, "accuracy", ["argmax"]],
  [/^(sparse)?top\d*k?(categorical)?acc(uracy)?$/, "top-k", []],
  [/^precision$/, "precision", []],
  [/^recall$/, "recall", []],
  [/^(f1|f1score|fscore)$/, "f1", []],
  [/^(auc|rocauc|aucroc)$/, "auc", []],
  [/^(mae|meanabsoluteerror)$/, "mae", []],
  [/^(mse|meansquarederror)$/, "mse", []],
  [/^(rmse|rootmeansquarederror)$/, "rmse", []],
  [/^(r2|r2score|rsquared)$/, "r2", []],
  [/^((sparse)?categorical|binary)?(crossentropy|ce)$|^bce$/, "loss", ["crossentropy"]],
];

const BOOKKEEPING =
  /^(lr|learningrate|epoch|epochs|time|duration|batch|batchsize|size|step|steps|iteration)$/;

/** Classifies one history key. */
export function classifyKey(key: string): KeyInfo {
  let rest = key, split: KeyInfo["split"] = "train";
  const m = /^(val_|validation_|val(?=[A-Z]))/.exec(rest);
  if (m) {
    split = "validation";
    rest = rest.slice(m[0].length);
  }
  const base = rest.replace(/_\d+$/, "");
  const norm = base.toLowerCase().replace(/[^a-z0-9]/g, "");
  for (const [re, family, tags] of FAMILIES) {
    if (re.test(norm)) {
      const k = /^(?:sparse)?top(\d+)/.exec(norm);
      return { key, split, base, family, tags: k ? [`k=${k[1]}`] : tags, bookkeeping: false };
    }
  }
  // A custom metric named like an accuracy is judged as one: it claims to measure that.
  if (/acc/.test(norm)) return { key, split, base, family: "accuracy", tags: [], bookkeeping: false };
  return { key, split, base, family: null, tags: [], bookkeeping: BOOKKEEPING.test(norm) };
}
