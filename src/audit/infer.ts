/**
 * What the audit infers from labels and predictions alone, and says in the report: the task, the
 * class targets in both encodings, and whether the predictions are softmax probabilities,
 * independent sigmoid probabilities or logits.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { oneHot } from "../reference/metrics.ts";
import type { Matrix } from "../reference/matrix.ts";
import type { Task } from "../scenario/types.ts";
import type { AuditTable } from "./inputs.ts";

/** How the stored predictions are to be read. */
export type PredictionForm = "softmax-probabilities" | "sigmoid-probabilities" | "logits";

/** Everything the candidate definitions need, computed once. */
export interface AuditContext {
  rows: number;
  /** Output units (prediction columns). */
  units: number;
  task: Task;
  taskReason: string;
  /** Raw predictions as stored. */
  raw: Matrix;
  form: PredictionForm;
  formReason: string;
  /** Probabilities: `raw` when it already holds them, else softmax/sigmoid of the logits. */
  probs: Matrix;
  /** Labels as read (N × T). */
  labels: Matrix;
  /**
   * Targets with the shape of the predictions, as a framework compares them: one-hot for class
   * indices with several units, the labels themselves otherwise.
   */
  target: Matrix;
  /** Single-label class index per row (null for multi-label and regression). */
  classes: Int32Array | null;
  classCount: number;
  classNames?: string[];
  /** Half a unit of the decimals the predictions were written with (0: full precision). */
  predictionPrecision: number;
  notes: string[];
}

/** Builds the context, checking that labels and predictions fit together. */
export function inferContext(
  labels: AuditTable,
  predictions: AuditTable,
  options: { task?: Task; fromLogits?: boolean } = {},
): AuditContext {
  const y = labels.matrix, p = predictions.matrix;
  if (y.rows !== p.rows) {
    const skipped = [labels, predictions]
      .filter((t) => t.blankLines && t.blankLines.count > 0)
      .map((t) =>
        `; ${t.file} has blank line${t.blankLines!.count > 1 ? "s" : ""} ${t.blankLines!.lines.join(", ")}` +
        `${
          t.blankLines!.count > t.blankLines!.lines.length ? ", ..." : ""
        } (no row: a missing value is written NaN)`
      )
      .join("");
    throw new InputError(
      `${p.rows} prediction rows but ${y.rows} label rows in ${labels.file}: one prediction row per label row` +
        skipped,
      { file: predictions.file },
    );
  }
  const k = p.cols, t = y.cols;
  if (t !== 1 && t !== k) {
    throw new InputError(
      `${t} label columns for ${k} prediction columns: labels must be one column (class indices, names or values) or one column per output`,
      { file: labels.file },
    );
  }
  const notes: string[] = [];
  const { task, reason: taskReason } = options.task
    ? { task: options.task, reason: "given with --task" }
    : inferTask(labels, k);
  const classification = task !== "regression";

  // Class indices must be integers in range when they will be one-hot encoded or compared by argmax.
  let classes: Int32Array | null = null;
  let classCount = 0;
  if (classification && task !== "multilabel") {
    classes = new Int32Array(y.rows);
    if (t === 1) {
      // One unit can hold 0/1 (binary) or, when --task multiclass says so, any class index.
      const limit = k === 1 ? (task === "multiclass" ? Infinity : 2) : k;
      for (let r = 0; r < y.rows; r++) {
        const v = y.data[r];
        if (Number.isInteger(v) && v >= limit && k > 1) {
          throw new InputError(
            `class label ${v} has no prediction column: ${predictions.file} has ${k} columns ` +
              `(classes 0..${k - 1}); the predictions need one column per class`,
            { file: labels.file, row: r + 1, field: labels.columns?.[0] ?? "column 1" },
          );
        }
        if (!Number.isInteger(v) || v < 0 || v >= limit) {
          const field = labels.columns?.[0] ?? "column 1";
          throw new InputError(
            `class label ${v} is not an integer in 0..${
              Number.isFinite(limit) ? limit - 1 : "C-1"
            } (${k} output unit${k === 1 ? "" : "s"}, task ${task})`,
            { file: labels.file, row: r + 1, field },
          );
        }
        classes[r] = v;
        classCount = Math.max(classCount, v + 1);
      }
    } else {
      for (let r = 0; r < y.rows; r++) {
        let ones = 0, at = 0;
        for (let c = 0; c < t; c++) {
          const v = y.data[r * t + c];
          if (v !== 0 && v !== 1) {
            throw new InputError(`one-hot label cell is ${v}, not 0 or 1`, {
              file: labels.file,
              row: r + 1,
              field: labels.columns?.[c] ?? `column ${c + 1}`,
            });
          }
          if (v === 1) {
            ones++;
            at = c;
          }
        }
        if (ones !== 1) {
          throw new InputError(`one-hot row has ${ones} ones (task ${task} is single-label)`, {
            file: labels.file,
            row: r + 1,
          });
        }
        classes[r] = at;
      }
    }
    classCount = Math.max(2, k, classCount);
  } else if (task === "multilabel") {
    if (t !== k) {
      throw new InputError(`multi-label targets need one 0/1 column per output (${k}), got ${t}`, {
        file: labels.file,
      });
    }
    classCount = k;
  }

  const target = classes && k > 1 && t === 1 ? oneHot(classes, k) : y;
  const { form, reason: formReason } = inferForm(p, task, options.fromLogits, predictions.writtenPrecision);
  const probs = form === "logits" ? squash(p, task === "multilabel" || k === 1 ? "sigmoid" : "softmax") : p;
  if (form === "logits" && !options.fromLogits && classification) {
    notes.push("predictions read as logits (not announced with --from-logits): " + formReason);
  }
  if (labels.classNames) {
    notes.push(
      `text labels mapped to indices in sorted order: ${
        labels.classNames.map((n, i) => `${i}=${n}`).join(", ")
      }`,
    );
  }
  return {
    rows: p.rows,
    units: k,
    task,
    taskReason,
    raw: p,
    form,
    formReason,
    probs,
    labels: y,
    target,
    classes,
    classCount,
    classNames: labels.classNames,
    predictionPrecision: predictions.writtenPrecision,
    notes,
  };
}

function inferTask(labels: AuditTable, k: number): { task: Task; reason: string } {
  const y = labels.matrix, t = y.cols;
  if (labels.classNames) {
    const c = labels.classNames.length;
    return c <= 2
      ? { task: "binary", reason: `text labels with ${c} classes` }
      : { task: "multiclass", reason: `text labels with ${c} classes` };
  }
  const allInt = y.data.every((v) => Number.isInteger(v));
  const binaryCells = y.data.every((v) => v === 0 || v === 1);
  if (t === 1) {
    if (k === 1) {
      return binaryCells ? { task: "binary", reason: "one 0/1 label column and one output unit" } : {
        task: "regression",
        reason: allInt
          ? "one integer label column with values beyond 0/1 and one output unit: read as regression (pass --task multiclass if these are classes)"
          : "one non-integer label column and one output unit",
      };
    }
    if (allInt) {
      return k === 2
        ? { task: "binary", reason: "one column of class indices and 2 output units" }
        : { task: "multiclass", reason: `one column of class indices and ${k} output units` };
    }
    return { task: "regression", reason: `non-integer labels in one column for ${k} outputs` };
  }
  if (binaryCells) {
    let singleLabel = true;
    for (let r = 0; r < y.rows && singleLabel; r++) {
      let s = 0;
      for (let c = 0; c < t; c++) s += y.data[r * t + c];
      if (s !== 1) singleLabel = false;
    }
    if (singleLabel) {
      return t === 2
        ? { task: "binary", reason: "2 one-hot label columns" }
        : { task: "multiclass", reason: `${t} one-hot label columns (every row has exactly one 1)` };
    }
    return { task: "multilabel", reason: `${t} 0/1 label columns with rows holding zero or several 1s` };
  }
  return { task: "regression", reason: `${t} label columns of continuous values` };
}

function inferForm(
  p: Matrix,
  task: Task,
  fromLogits: boolean | undefined,
  written: number,
): { form: PredictionForm; reason: string } {
  if (fromLogits) return { form: "logits", reason: "--from-logits" };
  let min = Infinity, max = -Infinity, worstSum = 0;
  for (let r = 0; r < p.rows; r++) {
    let s = 0;
    for (let c = 0; c < p.cols; c++) {
      const v = p.data[r * p.cols + c];
      if (v < min) min = v;
      if (v > max) max = v;
      s += v;
    }
    worstSum = Math.max(worstSum, Math.abs(s - 1));
  }
  // A float32 probability cannot leave [0, 1]; a printed one can only by its rounding.
  const slack = written + 1e-7;
  if (min < -slack || max > 1 + slack) {
    return { form: "logits", reason: `values span [${fmt(min)}, ${fmt(max)}], outside [0, 1]` };
  }
  // float32 softmax rows sum to 1 within a few ulps per term; printing adds `written` per term.
  const sumTol = p.cols * (written + 4 * 2 ** -24) + 1e-6;
  if (p.cols > 1 && worstSum <= sumTol && task !== "multilabel") {
    return {
      form: "softmax-probabilities",
      reason: `values in [0, 1] and every row sums to 1 (within ${fmt(worstSum)})`,
    };
  }
  return {
    form: "sigmoid-probabilities",
    reason: p.cols === 1
      ? "one column of values in [0, 1]"
      : `values in [0, 1], rows not summing to 1 (off by up to ${fmt(worstSum)})`,
  };
}

function squash(m: Matrix, how: "sigmoid" | "softmax"): Matrix {
  const out = new Float64Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    const o = r * m.cols;
    if (how === "sigmoid") {
      for (let c = 0; c < m.cols; c++) out[o + c] = 1 / (1 + Math.exp(-m.data[o + c]));
    } else {
      let mx = -Infinity, s = 0;
      for (let c = 0; c < m.cols; c++) mx = Math.max(mx, m.data[o + c]);
      for (let c = 0; c < m.cols; c++) s += out[o + c] = Math.exp(m.data[o + c] - mx);
      for (let c = 0; c < m.cols; c++) out[o + c] /= s;
    }
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

/** Short number for messages. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(3)
    : String(Number(v.toFixed(6)));
}
