/**
 * What a logged key means: its split and which family of definitions can explain it. Keras names
 * (`loss accuracy acc binary_accuracy categorical_accuracy sparse_categorical_accuracy
 * top_k_categorical_accuracy precision recall auc mae mse ...`, `val_` prefixes, `precision_1`
 * suffixes from a second metric instance) and tfjs names (`acc`, `binaryAccuracy`,
 * `categoricalAccuracy`, `meanSquaredError`, ...) all normalise to the same families, and so do the
 * names the other log formats use: TensorBoard run directories and tags (`validation/epoch_loss` from
 * Keras's callback, `Loss/train` from a PyTorch `SummaryWriter`), Lightning's `train_loss_epoch`,
 * `val_acc`, and the words of console lines (`Train Loss`, `Val Acc`).
 *
 * @module
 */
import type { Family } from "./candidates.ts";

export interface KeyInfo {
  key: string;
  /** "test" keys (a final `trainer.test`, `test_loss`) belong to neither split the audit reads. */
  split: "train" | "validation" | "test";
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
  [/^(logloss|nll|nllloss|celoss|crossentropyloss)$/, "loss", ["crossentropy"]],
];

const BOOKKEEPING =
  /^(lr|learningrate|epoch|epochs|time|duration|batch|batchsize|size|step|steps|iteration|hpmetric|globalstep|vnum)$/;

const SPLIT_WORDS: [RegExp, KeyInfo["split"]][] = [
  [/^(train|training|trn|learn)$/i, "train"],
  [/^(val|valid|validation|eval|evaluation|dev)$/i, "validation"],
  [/^(test|testing)$/i, "test"],
];

function splitWord(word: string): KeyInfo["split"] | null {
  for (const [re, split] of SPLIT_WORDS) if (re.test(word)) return split;
  return null;
}

/**
 * The split a key names and the rest of it. A path (`validation/epoch_loss`, `Loss/train`) names the
 * split in its first or last segment; a name names it as a prefix or suffix word (`val_loss`,
 * `train_acc`, `loss_val`, `Train Loss`, `valLoss`). No split word: training, as Keras's `loss`.
 */
function splitOf(key: string): { split: KeyInfo["split"]; rest: string } {
  const segments = key.split("/").filter((s) => s !== "");
  let split: KeyInfo["split"] | null = null;
  if (segments.length > 1) {
    const first = splitWord(segments[0]), last = splitWord(segments[segments.length - 1]);
    if (first) {
      split = first;
      segments.shift();
    } else if (last) {
      split = last;
      segments.pop();
    }
  }
  let rest = segments[segments.length - 1] ?? key;
  if (split === null) {
    const prefix = /^([A-Za-z]+)(?:[_\s-]+|(?=[A-Z]))(.+)$/.exec(rest);
    const suffix = /^(.+?)[_\s-]+([A-Za-z]+)$/.exec(rest);
    if (prefix && splitWord(prefix[1])) {
      split = splitWord(prefix[1]);
      rest = prefix[2];
    } else if (suffix && splitWord(suffix[2])) {
      split = splitWord(suffix[2]);
      rest = suffix[1];
    }
  }
  // Keras's TensorBoard `epoch_loss`, Lightning's `loss_epoch`: the epoch mark is not the quantity.
  rest = rest.replace(/^epoch[_\s-]+(?=.)/i, "").replace(/(?<=.)[_\s-]+epoch$/i, "");
  return { split: split ?? "train", rest };
}

/** Classifies one history key. */
export function classifyKey(key: string): KeyInfo {
  const { split, rest } = splitOf(key);
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
