/**
 * The validation split taken from the training data, as Keras's `validation_split` takes it: without
 * shuffling, the LAST `fraction` of the rows (so data sorted by label gets a validation set of one
 * class, reproducibly); with shuffling, the last rows of a seeded permutation; with stratification,
 * each class contributes its share.
 *
 * @module
 */
import { InputError, type InputLocation } from "../errors.ts";
import type { Rng } from "../random.ts";
import { rowClasses, takeRows } from "./classes.ts";
import type { Dataset } from "./dataset.ts";

/** Options of {@linkcode splitDataset}. */
export interface SplitOptions {
  fraction: number;
  shuffle: boolean;
  stratify: boolean;
  /** Where the split was asked for, for errors (`validation.fraction` in the scenario). */
  location?: InputLocation;
}

/** Result of {@linkcode splitDataset}. */
export interface Split {
  train: Dataset;
  validation: Dataset;
  /** Row indices into the data set that was split, in the order each part keeps them. */
  trainRows: Uint32Array;
  validationRows: Uint32Array;
  /** Said when a requested stratification could not apply (continuous or multi-label targets). */
  note?: string;
}

/**
 * Splits `d`. The validation size is Keras's: `rows - floor(rows * (1 - fraction))`; stratified,
 * that total is shared between classes by largest remainder.
 *
 * @throws {InputError} when either part would be empty.
 */
export function splitDataset(d: Dataset, options: SplitOptions, rng: Rng): Split {
  const n = d.rows;
  const validationSize = n - Math.floor(n * (1 - options.fraction));
  if (validationSize < 1 || validationSize >= n) {
    throw new InputError(
      `a validation fraction of ${options.fraction} of ${n} rows leaves ${n - validationSize} training and ` +
        `${validationSize} validation rows; both need at least one`,
      options.location ?? { file: d.source },
    );
  }
  const order = options.shuffle ? Array.from(rng.permutation(n)) : [...Array(n).keys()];
  const inValidation = new Uint8Array(n);
  let note: string | undefined;
  const classes = options.stratify ? rowClasses(d) : null;
  if (options.stratify && classes === null) {
    note = "stratify ignored: the targets are not single-label classes";
  }
  if (classes) {
    // Group rows by class in split order; each class gives its last rows, as the unstratified split does.
    const groups = new Map<string, number[]>();
    for (const i of order) {
      const key = String(classes[i]);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    const quotas = apportion([...groups.values()].map((g) => g.length), validationSize);
    [...groups.values()].forEach((g, c) =>
      g.slice(g.length - quotas[c]).forEach((i) => (inValidation[i] = 1))
    );
  } else {
    order.slice(n - validationSize).forEach((i) => (inValidation[i] = 1));
  }
  const trainRows = Uint32Array.from(order.filter((i) => !inValidation[i]));
  const validationRows = Uint32Array.from(order.filter((i) => inValidation[i]));
  return {
    train: takeRows(d, trainRows),
    validation: takeRows(d, validationRows),
    trainRows,
    validationRows,
    note,
  };
}

/** Shares `total` in proportion to `sizes` (largest remainder, ties to the larger group, then the first). */
export function apportion(sizes: number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (s * total) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const byRemainder = sizes.map((_, c) => c).sort((a, b) =>
    exact[b] - out[b] - (exact[a] - out[a]) || sizes[b] - sizes[a] || a - b
  );
  for (const c of byRemainder) {
    if (left === 0) break;
    out[c]++;
    left--;
  }
  return out;
}
