/**
 * Float64 references of every metric of CONTRACT §2, in Keras semantics, plus the per-class views
 * the detectors and the audit need (confusion matrix, per-class precision/recall, balanced accuracy,
 * macro F1, majority-class baseline). Plain TypeScript, no GPU import: the GPU metrics, the training
 * loop's consistency checks and the audit of runs made elsewhere are all compared against this file.
 *
 * Conventions, for `yTrue` (N × T) and `yPred` (N × K):
 * - Class labels: `T = 1` holds class indices (or 0/1 for one output unit), `T = K` holds one-hot
 *   (or multi-label 0/1) rows. {@linkcode trueClasses} turns either into indices.
 * - Predicted class: one output unit → `p > threshold` (Keras `y_pred > threshold`, strict);
 *   several units → argmax, the first maximum on ties (as `tf.argmax` and tfjs `argMax`).
 * - Binary metrics take a threshold (default 0.5). Multi-class precision, recall and F1 are MACRO
 *   averages over the classes (CONTRACT §2); `average` picks sklearn's other averages. Keras' own
 *   `Precision`/`Recall` binarise every output at the threshold instead (micro over elements):
 *   that variant is {@linkcode elementwisePrecision}.
 * - Which classes an average runs over, and undefined ratios, follow scikit-learn 1.2
 *   (`precision_recall_fscore_support` with `labels=None`, `zero_division=0`): the classes that
 *   occur in `yTrue` OR in the predictions. A class predicted but absent from `yTrue` counts with
 *   precision 0 (all its predictions are wrong) and recall 0 (0/0 → zero_division); a class
 *   present but never predicted has precision 0 (Keras' divide_no_nan gives the same); a class in
 *   neither is left out. The per-class view ({@linkcode perClassFromConfusion}) keeps recall NaN
 *   for a class absent from `yTrue`, and balanced accuracy leaves such classes out, as sklearn's
 *   `balanced_accuracy_score` does.
 * - {@linkcode precision}, {@linkcode recall} and {@linkcode f1} read single-label predictions
 *   (argmax). For multi-label targets the element-wise forms are sklearn's `average="micro"` on the
 *   thresholded indicator matrix.
 * - Keras 3's `F1Score(average="macro")` is a different quantity (every output column thresholded
 *   and averaged, absent classes included, 1e-7 added to its denominators): not copied here.
 * - Held to scikit-learn, PyTorch and copies of Keras' algorithms by test/reference/goldens.test.ts
 *   (goldens from scripts/goldens/make_goldens.py).
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

export type { Matrix } from "./matrix.ts";

/** The three accuracies `accuracy` can stand for. */
export type AccuracyKind = "binary" | "categorical" | "sparse-categorical";

/** Which accuracy `accuracy`/`acc` resolved to, and why (said in reports). */
export interface AccuracyResolution {
  kind: AccuracyKind;
  reason: string;
}

/** Options of {@linkcode resolveAccuracy}. */
export interface ResolveAccuracyOptions {
  /**
   * `"tf-keras"` (default; tf.keras ≥ 2.2 `compile_utils` and Keras 3): by shape only.
   * `"loss-based"` (tfjs-layers, Keras ≤ 2.3 / TF ≤ 2.1 `get_metric_function`): binary accuracy
   * when the output has one unit OR the loss is binary cross-entropy, whatever the shape; sparse
   * categorical when the loss is sparse categorical cross-entropy; else categorical.
   */
  convention?: "tf-keras" | "loss-based";
  /** The loss name (CONTRACT spelling or Keras/tfjs spelling), used by `"loss-based"`. */
  loss?: string;
}

/**
 * Resolves the metric name `accuracy` the way tf.keras does: one output unit → binary accuracy;
 * one target column and several units → sparse categorical; else categorical.
 *
 * @example
 * ```ts
 * resolveAccuracy(1, 3).kind; // "sparse-categorical"
 * resolveAccuracy(3, 3, { convention: "loss-based", loss: "binaryCrossentropy" }).kind; // "binary"
 * ```
 */
export function resolveAccuracy(
  targetColumns: number,
  outputUnits: number,
  options: ResolveAccuracyOptions = {},
): AccuracyResolution {
  if (options.convention === "loss-based") {
    const loss = normalizeName(options.loss ?? "");
    if (outputUnits === 1) return { kind: "binary", reason: "one output unit (tfjs / Keras ≤ 2.3 rule)" };
    if (loss === "binarycrossentropy" || loss === "bce") {
      return {
        kind: "binary",
        reason:
          `the loss is binary cross-entropy, so tfjs / Keras ≤ 2.3 pick binary accuracy over all ${outputUnits} outputs whatever the shape`,
      };
    }
    if (loss === "sparsecategoricalcrossentropy") {
      return {
        kind: "sparse-categorical",
        reason: "the loss is sparse categorical cross-entropy (tfjs / Keras ≤ 2.3)",
      };
    }
    return {
      kind: "categorical",
      reason: `${outputUnits} output units and a non-binary loss (tfjs / Keras ≤ 2.3)`,
    };
  }
  if (outputUnits === 1) return { kind: "binary", reason: "one output unit (tf.keras: binary accuracy)" };
  if (targetColumns === 1) {
    return {
      kind: "sparse-categorical",
      reason: `one target column and ${outputUnits} output units (tf.keras: sparse categorical accuracy)`,
    };
  }
  return {
    kind: "categorical",
    reason:
      `${targetColumns} target columns and ${outputUnits} output units (tf.keras: categorical accuracy)`,
  };
}

/** The value of `accuracy` with its resolution. */
export function accuracy(
  yTrue: Matrix,
  yPred: Matrix,
  options: ResolveAccuracyOptions & { threshold?: number } = {},
): { value: number; resolution: AccuracyResolution } {
  const resolution = resolveAccuracy(yTrue.cols, yPred.cols, options);
  const value = resolution.kind === "binary"
    ? binaryAccuracy(yTrue, yPred, options)
    : resolution.kind === "sparse-categorical"
    ? sparseCategoricalAccuracy(yTrue, yPred)
    : categoricalAccuracy(yTrue, yPred);
  return { value, resolution };
}

/** Options of the thresholded metrics. */
export interface ThresholdOptions {
  /** Keras `y_pred > threshold`; 0.5 for probabilities (0 is the same cut on logits). */
  threshold?: number;
}

/** Mean over every element of `(yPred > threshold) == yTrue` (Keras `binary_accuracy`). */
export function binaryAccuracy(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): number {
  sameShape(yTrue, yPred, "binaryAccuracy");
  const t = options.threshold ?? 0.5;
  let hits = 0;
  for (let i = 0; i < yPred.data.length; i++) if ((yPred.data[i] > t ? 1 : 0) === yTrue.data[i]) hits++;
  return yPred.data.length === 0 ? 0 : hits / yPred.data.length;
}

/** Fraction of rows whose argmax of `yTrue` equals the argmax of `yPred` (Keras `categorical_accuracy`). */
export function categoricalAccuracy(yTrue: Matrix, yPred: Matrix): number {
  sameShape(yTrue, yPred, "categoricalAccuracy");
  let hits = 0;
  for (let r = 0; r < yPred.rows; r++) if (argmaxRow(yTrue, r) === argmaxRow(yPred, r)) hits++;
  return yPred.rows === 0 ? 0 : hits / yPred.rows;
}

/** Fraction of rows whose class index (`yTrue`, N × 1) equals the argmax of `yPred`. */
export function sparseCategoricalAccuracy(yTrue: Matrix, yPred: Matrix): number {
  oneColumn(yTrue, yPred, "sparseCategoricalAccuracy");
  let hits = 0;
  for (let r = 0; r < yPred.rows; r++) if (yTrue.data[r] === argmaxRow(yPred, r)) hits++;
  return yPred.rows === 0 ? 0 : hits / yPred.rows;
}

/**
 * Fraction of rows whose true class is among the k largest predictions (Keras
 * `top_k_categorical_accuracy`, default k = 5). Ties at the boundary count as in the top k, as
 * `tf.math.in_top_k` does: a row is a hit when fewer than k classes score strictly higher.
 * `yTrue` may be one-hot (N × K) or class indices (N × 1, the sparse variant).
 */
export function topKCategoricalAccuracy(yTrue: Matrix, yPred: Matrix, options: { k?: number } = {}): number {
  const k = options.k ?? 5;
  const labels = trueClasses(yTrue);
  if (labels.length !== yPred.rows) {
    throw new RangeError(`topK: ${labels.length} labels for ${yPred.rows} rows`);
  }
  let hits = 0;
  for (let r = 0; r < yPred.rows; r++) {
    const o = r * yPred.cols, target = yPred.data[o + labels[r]];
    let above = 0;
    for (let c = 0; c < yPred.cols; c++) if (yPred.data[o + c] > target) above++;
    if (above < k) hits++;
  }
  return yPred.rows === 0 ? 0 : hits / yPred.rows;
}

/**
 * Class index of each row of a label matrix: one column → the value itself (rounded: labels are
 * integers; non-integers are the caller's problem to diagnose), several → argmax of the row.
 */
export function trueClasses(yTrue: Matrix): Int32Array {
  const out = new Int32Array(yTrue.rows);
  for (let r = 0; r < yTrue.rows; r++) {
    out[r] = yTrue.cols === 1 ? Math.round(yTrue.data[r]) : argmaxRow(yTrue, r);
  }
  return out;
}

/** Predicted class of each row: one unit → `p > threshold` (1 or 0), several → argmax. */
export function predictedClasses(yPred: Matrix, options: ThresholdOptions = {}): Int32Array {
  const t = options.threshold ?? 0.5;
  const out = new Int32Array(yPred.rows);
  for (let r = 0; r < yPred.rows; r++) {
    out[r] = yPred.cols === 1 ? (yPred.data[r] > t ? 1 : 0) : argmaxRow(yPred, r);
  }
  return out;
}

/** Number of classes implied by the two matrices: the output width, at least 2, at least max label + 1. */
export function classCount(yTrue: Matrix, yPred: Matrix): number {
  let c = Math.max(2, yPred.cols, yTrue.cols);
  const labels = trueClasses(yTrue);
  for (const l of labels) if (l + 1 > c) c = l + 1;
  return c;
}

/** `C × C` counts: row = true class, column = predicted class (sklearn's orientation). */
export function confusionMatrix(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): Matrix {
  const c = classCount(yTrue, yPred);
  const t = trueClasses(yTrue), p = predictedClasses(yPred, options);
  if (t.length !== p.length) throw new RangeError(`confusionMatrix: ${t.length} labels for ${p.length} rows`);
  const data = new Float64Array(c * c);
  for (let i = 0; i < t.length; i++) {
    if (t[i] >= 0 && t[i] < c && p[i] >= 0 && p[i] < c) data[t[i] * c + p[i]]++;
  }
  return { data, rows: c, cols: c };
}

/** Per-class precision, recall, F1 and support from a confusion matrix (see the module note on 0 and NaN). */
export interface PerClassMetrics {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  /** Rows whose true class is this one. */
  support: Float64Array;
  /** Rows predicted as this class. */
  predicted: Float64Array;
  /** Rows of this class predicted as it (the confusion diagonal). */
  truePositives: Float64Array;
}

/** Per-class precision, recall, F1 and support. */
export function perClassMetrics(
  yTrue: Matrix,
  yPred: Matrix,
  options: ThresholdOptions = {},
): PerClassMetrics {
  return perClassFromConfusion(confusionMatrix(yTrue, yPred, options));
}

/** Per-class metrics of a confusion matrix. */
export function perClassFromConfusion(cm: Matrix): PerClassMetrics {
  const c = cm.rows;
  const out: PerClassMetrics = {
    precision: new Float64Array(c),
    recall: new Float64Array(c),
    f1: new Float64Array(c),
    support: new Float64Array(c),
    predicted: new Float64Array(c),
    truePositives: new Float64Array(c),
  };
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      out.support[i] += cm.data[i * c + j];
      out.predicted[j] += cm.data[i * c + j];
    }
  }
  for (let i = 0; i < c; i++) {
    const tp = cm.data[i * c + i];
    out.truePositives[i] = tp;
    const p = out.predicted[i] > 0 ? tp / out.predicted[i] : 0;
    const r = out.support[i] > 0 ? tp / out.support[i] : NaN;
    out.precision[i] = p;
    out.recall[i] = r;
    out.f1[i] = Number.isNaN(r) ? NaN : p + r > 0 ? (2 * p * r) / (p + r) : 0;
  }
  return out;
}

/** How precision, recall and F1 are averaged over classes (scikit-learn's `average`). */
export type ClassAverage = "binary" | "macro" | "weighted" | "micro";

/** Options of {@linkcode precision}, {@linkcode recall} and {@linkcode f1}. */
export interface AveragedOptions extends ThresholdOptions {
  /**
   * `"binary"`: the positive class 1 only; `"macro"`: unweighted mean over the classes in `yTrue` or
   * the predictions; `"weighted"`: the same weighted by support; `"micro"`: from the summed counts
   * (single-label: equals accuracy). Default: binary for one output unit, else macro (CONTRACT §2).
   */
  average?: ClassAverage;
}

/**
 * Precision: binary (one output unit, positive class 1, `p > threshold`) or the macro average over
 * classes (several units, argmax); see the module note for which classes a macro average counts.
 * Binary with no predicted positive → 0 (Keras divide_no_nan, sklearn `zero_division=0`).
 *
 * @example
 * ```ts
 * import { fromRows } from "./matrix.ts";
 * // class 0 is predicted once but never true: it counts with precision 0, as in sklearn.
 * precision(fromRows([[1], [1]]), fromRows([[0.2, 0.8], [0.9, 0.1]])); // 0.5
 * ```
 */
export function precision(yTrue: Matrix, yPred: Matrix, options: AveragedOptions = {}): number {
  return averagedMetric("precision", yTrue, yPred, options);
}

/** Recall: binary (positive class 1; no positive row → 0) or macro, as {@linkcode precision}. */
export function recall(yTrue: Matrix, yPred: Matrix, options: AveragedOptions = {}): number {
  return averagedMetric("recall", yTrue, yPred, options);
}

/**
 * F1: binary (positive class 1) or macro F1 (the mean of per-class F1, as sklearn's `f1_score`,
 * not the F1 of the mean precision and recall), as {@linkcode precision}.
 */
export function f1(yTrue: Matrix, yPred: Matrix, options: AveragedOptions = {}): number {
  return averagedMetric("f1", yTrue, yPred, options);
}

/** Macro F1 whatever the shape (binary included: the mean of both classes' F1). */
export function macroF1(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): number {
  return averagedMetric("f1", yTrue, yPred, { ...options, average: "macro" });
}

function averagedMetric(
  which: "precision" | "recall" | "f1",
  yTrue: Matrix,
  yPred: Matrix,
  options: AveragedOptions,
): number {
  const pc = perClassMetrics(yTrue, yPred, options);
  return averageClassMetric(pc, which, options.average ?? (yPred.cols === 1 ? "binary" : "macro"));
}

/**
 * Averages one per-class metric the way scikit-learn does (module note): the classes counted are
 * those with support or predictions; 0/0 ratios are 0. `"binary"` takes class 1.
 */
export function averageClassMetric(
  pc: PerClassMetrics,
  which: "precision" | "recall" | "f1",
  average: ClassAverage,
): number {
  const c = pc.support.length;
  const value = (i: number): number => {
    const p = pc.precision[i], r = Number.isNaN(pc.recall[i]) ? 0 : pc.recall[i];
    if (which === "precision") return p;
    if (which === "recall") return r;
    return p + r > 0 ? (2 * p * r) / (p + r) : 0;
  };
  if (average === "binary") return value(1);
  if (average === "micro") {
    let tp = 0, predicted = 0, support = 0;
    for (let i = 0; i < c; i++) {
      tp += pc.truePositives[i];
      predicted += pc.predicted[i];
      support += pc.support[i];
    }
    const p = predicted > 0 ? tp / predicted : 0, r = support > 0 ? tp / support : 0;
    return which === "precision" ? p : which === "recall" ? r : p + r > 0 ? (2 * p * r) / (p + r) : 0;
  }
  let s = 0, w = 0;
  for (let i = 0; i < c; i++) {
    if (pc.support[i] === 0 && pc.predicted[i] === 0) continue;
    const weight = average === "weighted" ? pc.support[i] : 1;
    if (weight === 0) continue;
    s += weight * value(i);
    w += weight;
  }
  return w > 0 ? s / w : 0;
}

/** Mean per-class recall over the classes present in `yTrue` (sklearn `balanced_accuracy_score`). */
export function balancedAccuracy(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): number {
  const pc = perClassMetrics(yTrue, yPred, options);
  return macro(pc.recall, pc.support);
}

/**
 * Keras `Precision()`/`Recall()` semantics on any shape: every element is binarised at the threshold
 * and counted (micro over elements), so on one-hot classes it is NOT the macro precision.
 */
export function elementwisePrecision(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): number {
  const { tp, fp } = elementCounts(yTrue, yPred, options.threshold ?? 0.5);
  return tp + fp > 0 ? tp / (tp + fp) : 0;
}

/** Keras `Recall()` semantics: micro over thresholded elements. */
export function elementwiseRecall(yTrue: Matrix, yPred: Matrix, options: ThresholdOptions = {}): number {
  const { tp, fn } = elementCounts(yTrue, yPred, options.threshold ?? 0.5);
  return tp + fn > 0 ? tp / (tp + fn) : 0;
}

/** Options of {@linkcode auc}. */
export interface AucOptions {
  /**
   * `"exact"` (default): the Mann–Whitney statistic, ties counted one half, equal to the trapezoid
   * area over every distinct threshold (sklearn `roc_auc_score`). `"keras"`: Keras `AUC()` defaults
   * (Keras 3 `metrics_utils._update_confusion_matrix_variables_optimized`, the path its evenly spaced
   * thresholds take): scores CLIPPED to [0, 1] first, labels read as `y != 0`, `numThresholds`
   * thresholds `[-ε, 1/(n-1), ..., (n-2)/(n-1), 1+ε]`, each score counted above the thresholds below
   * its bucket `max(ceil(p·(n-1)) - 1, 0)` (Keras' form of `p > t`), ROC trapezoids
   * ("interpolation"), ratios with divide_no_nan. Computed in float64; Keras runs it in float32,
   * so a score within a float32 rounding of a bucket edge can land one bucket over there.
   */
  method?: "exact" | "keras";
  numThresholds?: number;
}

/**
 * ROC AUC over every element (Keras `AUC(multi_label=False)` flattens one-hot or multi-label
 * matrices: sklearn's `average="micro"`). `yTrue` must be 0/1 with the shape of `yPred`; for class
 * indices with several units, one-hot them first. No positives or no negatives → NaN (exact:
 * sklearn raises there) / 0 (keras: divide_no_nan). Exact AUC ranks any real score; the Keras form
 * sees scores outside [0, 1] as 0 or 1 (logits must go through a sigmoid first, as `from_logits`).
 *
 * @example
 * ```ts
 * import { fromRows } from "./matrix.ts";
 * auc(fromRows([[0], [1]]), fromRows([[-1], [2]]), { method: "keras" }); // 1: clipped to 0 and 1
 * ```
 */
export function auc(yTrue: Matrix, yPred: Matrix, options: AucOptions = {}): number {
  sameShape(yTrue, yPred, "auc");
  return options.method === "keras"
    ? kerasAuc(yTrue.data, yPred.data, options.numThresholds ?? 200)
    : exactAuc(yTrue.data, yPred.data);
}

function exactAuc(y: Float64Array, p: Float64Array): number {
  const idx = Array.from(p.keys()).sort((a, b) => p[a] - p[b]);
  // Mid-ranks of tied scores, then U = Σ ranks(positives) - P(P+1)/2.
  let rankSumPos = 0, pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && p[idx[j + 1]] === p[idx[i]]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[idx[k]] === 1) {
        rankSumPos += midRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

function kerasAuc(y: Float64Array, p: Float64Array, n: number): number {
  // Counts per bucket, then reverse cumulative sums: tp[i] = positives scored above threshold i.
  const tpBucket = new Float64Array(n), fpBucket = new Float64Array(n);
  let positives = 0, negatives = 0;
  for (let i = 0; i < p.length; i++) {
    const clipped = Math.min(Math.max(p[i], 0), 1);
    const bucket = Math.max(Math.ceil(clipped * (n - 1)) - 1, 0);
    if (y[i] !== 0) {
      tpBucket[bucket]++;
      positives++;
    } else {
      fpBucket[bucket]++;
      negatives++;
    }
  }
  const tpr = new Float64Array(n), fpr = new Float64Array(n);
  let tp = 0, fp = 0;
  for (let i = n - 1; i >= 0; i--) {
    tp += tpBucket[i];
    fp += fpBucket[i];
    tpr[i] = positives > 0 ? tp / positives : 0;
    fpr[i] = negatives > 0 ? fp / negatives : 0;
  }
  let area = 0;
  for (let i = 0; i < n - 1; i++) area += (fpr[i] - fpr[i + 1]) * ((tpr[i] + tpr[i + 1]) / 2);
  return area;
}

/** Mean absolute error over every element. */
export function mae(yTrue: Matrix, yPred: Matrix): number {
  sameShape(yTrue, yPred, "mae");
  let s = 0;
  for (let i = 0; i < yPred.data.length; i++) s += Math.abs(yPred.data[i] - yTrue.data[i]);
  return yPred.data.length === 0 ? 0 : s / yPred.data.length;
}

/** Mean squared error over every element. */
export function mse(yTrue: Matrix, yPred: Matrix): number {
  sameShape(yTrue, yPred, "mse");
  let s = 0;
  for (let i = 0; i < yPred.data.length; i++) s += (yPred.data[i] - yTrue.data[i]) ** 2;
  return yPred.data.length === 0 ? 0 : s / yPred.data.length;
}

/** Root of {@linkcode mse} (Keras `RootMeanSquaredError`: the root of the mean, not a mean of roots). */
export function rmse(yTrue: Matrix, yPred: Matrix): number {
  return Math.sqrt(mse(yTrue, yPred));
}

/**
 * Coefficient of determination, per output column then averaged uniformly (sklearn `r2_score`
 * default `multioutput="uniform_average"`; Keras `R2Score` default `class_aggregation`).
 * A constant target column (SStot = 0, detected exactly rather than through a rounded mean) scores
 * 1 when predicted exactly and 0 otherwise: sklearn's `force_finite=True` (its default). Keras'
 * `R2Score` also gives 0 there (it maps the infinite ratio to 0) but NaN for the exact prediction
 * (0/0), which this does not copy. Fewer than two rows → NaN (sklearn: "not well-defined").
 *
 * @example
 * ```ts
 * import { fromRows } from "./matrix.ts";
 * r2(fromRows([[1, 5], [2, 5], [3, 5]]), fromRows([[1, 4], [2, 4], [3, 4]])); // (1 + 0) / 2
 * ```
 */
export function r2(yTrue: Matrix, yPred: Matrix): number {
  sameShape(yTrue, yPred, "r2");
  const { rows, cols } = yPred;
  if (rows < 2) return NaN;
  let total = 0;
  for (let c = 0; c < cols; c++) {
    let mean = 0, constant = true;
    const first = yTrue.data[c];
    for (let r = 0; r < rows; r++) {
      const y = yTrue.data[r * cols + c];
      mean += y;
      if (y !== first) constant = false;
    }
    mean /= rows;
    let ssRes = 0, ssTot = 0;
    for (let r = 0; r < rows; r++) {
      const y = yTrue.data[r * cols + c];
      ssRes += (y - yPred.data[r * cols + c]) ** 2;
      ssTot += (y - mean) ** 2;
    }
    if (constant) ssTot = 0;
    total += ssTot !== 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  }
  return total / cols;
}

/** Accuracy of always predicting the most frequent class of `yTrue` (class indices or one-hot). */
export function majorityClassAccuracy(yTrue: Matrix): number {
  const counts = new Map<number, number>();
  for (const c of trueClasses(yTrue)) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = 0;
  for (const n of counts.values()) best = Math.max(best, n);
  return yTrue.rows === 0 ? 0 : best / yTrue.rows;
}

/** The metric names of CONTRACT §2. */
export const METRIC_NAMES = [
  "accuracy",
  "binary-accuracy",
  "categorical-accuracy",
  "sparse-categorical-accuracy",
  "precision",
  "recall",
  "f1",
  "balanced-accuracy",
  "auc",
  "mae",
  "mse",
  "rmse",
  "r2",
] as const;
export type MetricName = typeof METRIC_NAMES[number];

/** Options of {@linkcode computeMetric}. */
export interface ComputeMetricOptions extends ThresholdOptions, ResolveAccuracyOptions {}

/**
 * One CONTRACT metric by name, with the definition used (for `accuracy`: its resolution). AUC with
 * class-index targets and several units one-hot encodes the targets first.
 *
 * @example
 * ```ts
 * import { fromRows } from "./matrix.ts";
 * computeMetric("accuracy", fromRows([[1], [0]]), fromRows([[0.9], [0.2]])).value; // 1
 * ```
 */
export function computeMetric(
  name: MetricName,
  yTrue: Matrix,
  yPred: Matrix,
  options: ComputeMetricOptions = {},
): { value: number; definition: string } {
  switch (name) {
    case "accuracy": {
      const { value, resolution } = accuracy(yTrue, yPred, options);
      return { value, definition: `${resolution.kind}-accuracy: ${resolution.reason}` };
    }
    case "binary-accuracy":
      return {
        value: binaryAccuracy(yTrue, yPred, options),
        definition: `mean of (p > ${options.threshold ?? 0.5}) == y`,
      };
    case "categorical-accuracy":
      return { value: categoricalAccuracy(yTrue, yPred), definition: "argmax(y) == argmax(p)" };
    case "sparse-categorical-accuracy":
      return { value: sparseCategoricalAccuracy(yTrue, yPred), definition: "y == argmax(p)" };
    case "precision":
      return { value: precision(yTrue, yPred, options), definition: yPred.cols === 1 ? "binary" : "macro" };
    case "recall":
      return { value: recall(yTrue, yPred, options), definition: yPred.cols === 1 ? "binary" : "macro" };
    case "f1":
      return { value: f1(yTrue, yPred, options), definition: yPred.cols === 1 ? "binary" : "macro" };
    case "balanced-accuracy":
      return { value: balancedAccuracy(yTrue, yPred, options), definition: "mean per-class recall" };
    case "auc": {
      const y = yTrue.cols === yPred.cols ? yTrue : oneHot(trueClasses(yTrue), yPred.cols);
      return { value: auc(y, yPred), definition: "exact ROC AUC (Mann-Whitney), micro over outputs" };
    }
    case "mae":
      return { value: mae(yTrue, yPred), definition: "mean |p - y| over elements" };
    case "mse":
      return { value: mse(yTrue, yPred), definition: "mean (p - y)^2 over elements" };
    case "rmse":
      return { value: rmse(yTrue, yPred), definition: "sqrt of mse" };
    case "r2":
      return { value: r2(yTrue, yPred), definition: "1 - SSres/SStot per column, uniform average" };
    default:
      throw new RangeError(`unknown metric ${name satisfies never}`);
  }
}

/** One-hot N × K matrix of class indices (indices outside [0, K) give an all-zero row). */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  const data = new Float64Array(labels.length * classes);
  for (let r = 0; r < labels.length; r++) {
    const l = labels[r];
    if (l >= 0 && l < classes) data[r * classes + l] = 1;
  }
  return { data, rows: labels.length, cols: classes };
}

/** Argmax of row r, the first maximum on ties. NaN never wins (NaN > x is false). */
export function argmaxRow(m: Matrix, r: number): number {
  const o = r * m.cols;
  let best = 0;
  for (let c = 1; c < m.cols; c++) if (m.data[o + c] > m.data[o + best]) best = c;
  return best;
}

function macro(values: Float64Array, support: Float64Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    if (support[i] > 0 && !Number.isNaN(values[i])) {
      s += values[i];
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

function elementCounts(yTrue: Matrix, yPred: Matrix, t: number): { tp: number; fp: number; fn: number } {
  sameShape(yTrue, yPred, "elementwise precision/recall");
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < yPred.data.length; i++) {
    const p = yPred.data[i] > t, y = yTrue.data[i] === 1;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  return { tp, fp, fn };
}

function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${what}: yTrue is ${a.rows}×${a.cols} but yPred is ${b.rows}×${b.cols}`);
  }
}

function oneColumn(yTrue: Matrix, yPred: Matrix, what: string): void {
  if (yTrue.cols !== 1 || yTrue.rows !== yPred.rows) {
    throw new RangeError(
      `${what}: yTrue must be ${yPred.rows}×1 class indices, got ${yTrue.rows}×${yTrue.cols}`,
    );
  }
}

function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, "");
}
