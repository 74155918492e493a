/**
 * Targets as the loss will see them, encoded the way a Keras user's code would have encoded them:
 * `to_categorical` for categorical cross-entropy on a class-index column (with its int cast that
 * truncates 0.5 to 0, and numpy's negative indexing), an int cast for sparse categorical
 * cross-entropy, the values as they are for every other loss. Whatever the cast changed is recorded,
 * so that a detector can show the user which labels were silently rewritten.
 *
 * @module
 */
import { InputError, type InputLocation } from "../errors.ts";
import type { LossSpec } from "../scenario/types.ts";
import type { Dataset } from "./dataset.ts";

/** A label the int cast changed: data row (0-based), the value written and the index it became. */
export interface CastChange {
  row: number;
  value: number;
  index: number;
}

/** Targets ready for the loss. */
export interface EncodedTargets {
  /** Row-major `rows x width`. */
  values: Float64Array;
  rows: number;
  width: number;
  encoding: "as-is" | "one-hot" | "class-index";
  /** Labels the int cast truncated (0.5 -> 0, 2.7 -> 2): count and the first few. */
  truncated: { count: number; examples: CastChange[] };
  /** Negative labels that numpy indexing wrapped to the end (-1 -> the last class). */
  wrapped: { count: number; examples: CastChange[] };
  /**
   * Set when no valid encoding exists (a label at or beyond the number of output units, a NaN label
   * under an int cast): Keras would stop with an error; fitcheck reports it and skips training.
   */
  undefinedReason?: string;
  /** True when one target column is broadcast against several output units, as Keras broadcasting does. */
  broadcast: boolean;
  notes: string[];
}

/** Options of {@linkcode encodeTargets}. */
export interface EncodeOptions {
  /** Where the output width is declared, for shape errors (the last layer's `units`). */
  location?: InputLocation;
}

const EXAMPLES = 5;

/**
 * Encodes `d.targets` for `loss` and a model with `outputUnits` outputs.
 *
 * @throws {InputError} target and output shapes no Keras model would accept (several target columns
 * that do not match the output units; several columns for sparse categorical cross-entropy).
 */
export function encodeTargets(
  d: Dataset,
  loss: LossSpec,
  outputUnits: number,
  options: EncodeOptions = {},
): EncodedTargets {
  const width = d.targetNames.length;
  const where = options.location ?? { file: d.source };
  const base = { rows: d.rows, broadcast: false, notes: [] as string[], truncated: none(), wrapped: none() };
  const sparse = loss.name === "sparse-categorical-crossentropy";
  const categorical = loss.name === "categorical-crossentropy";

  if (sparse && width !== 1) {
    throw new InputError(
      `sparse-categorical-crossentropy needs one class-index target column, the data has ${width} (${
        d.targetNames.join(", ")
      }); ` +
        `use categorical-crossentropy for one-hot targets`,
      where,
    );
  }
  if ((categorical || sparse) && width === 1) {
    const cast = castToIndices(d.targets, outputUnits, categorical);
    const encoded = {
      ...base,
      truncated: cast.truncated,
      wrapped: cast.wrapped,
      undefinedReason: cast.undefinedReason,
    };
    if (cast.truncated.count > 0) {
      encoded.notes.push(
        `${cast.truncated.count} class label(s) were not integers and the int cast truncated them ` +
          `(${
            cast.truncated.examples.map((c) => `${c.value}->${c.index}`).join(", ")
          }), as to_categorical / Keras do`,
      );
    }
    if (sparse) {
      return { ...encoded, values: Float64Array.from(cast.indices), width: 1, encoding: "class-index" };
    }
    const values = new Float64Array(d.rows * outputUnits);
    cast.indices.forEach((k, i) => {
      if (k >= 0 && k < outputUnits) values[i * outputUnits + k] = 1;
    });
    encoded.notes.push(`class indices one-hot encoded into ${outputUnits} columns (to_categorical)`);
    return { ...encoded, values, width: outputUnits, encoding: "one-hot" };
  }
  if (width !== outputUnits) {
    if (width !== 1) {
      throw new InputError(
        `the targets have ${width} columns (${
          d.targetNames.join(", ")
        }) but the model outputs ${outputUnits} units`,
        where,
      );
    }
    return {
      ...base,
      values: d.targets,
      width: 1,
      encoding: "as-is",
      broadcast: true,
      notes: [`one target column compared with each of the ${outputUnits} output units (Keras broadcasting)`],
    };
  }
  return { ...base, values: d.targets, width, encoding: "as-is" };
}

function none(): { count: number; examples: CastChange[] } {
  return { count: 0, examples: [] };
}

/**
 * numpy's `np.array(y, dtype="int")` followed by indexing a `units`-wide row (to_categorical):
 * truncation toward zero, negative indices from the end. Sparse cross-entropy casts the same way but
 * does not wrap (`wrapNegative` false). NaN and labels with no index (-1 here) make training undefined.
 */
function castToIndices(labels: Float64Array, units: number, wrapNegative: boolean) {
  const indices = new Int32Array(labels.length);
  const truncated = none();
  const wrapped = none();
  let undefinedReason: string | undefined;
  labels.forEach((v, row) => {
    if (!Number.isFinite(v)) {
      indices[row] = -1;
      undefinedReason ??= `row ${row + 1}: the label ${v} has no integer class index`;
      return;
    }
    const t = Math.trunc(v) + 0; // + 0 turns -0 (from -0.5) into 0
    if (t !== v) {
      truncated.count++;
      if (truncated.examples.length < EXAMPLES) truncated.examples.push({ row, value: v, index: t });
    }
    if (t < (wrapNegative ? -units : 0) || t >= units) {
      indices[row] = -1;
      undefinedReason ??= `row ${
        row + 1
      }: the label ${v} is not a class index for ${units} output units (0..${units - 1})`;
      return;
    }
    if (t < 0) {
      wrapped.count++;
      if (wrapped.examples.length < EXAMPLES) wrapped.examples.push({ row, value: v, index: t + units });
    }
    indices[row] = t < 0 ? t + units : t;
  });
  return { indices, truncated, wrapped, undefinedReason };
}
