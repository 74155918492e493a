/**
 * Metric consistency: user `module` metrics checked against the float64 reference of the same name
 * (`metric-mismatch`, naming the reference definitions that would reproduce the module's number) and
 * under perturbed predictions (`metric-insensitive`: a metric that never moves is hard-coded), and the
 * engine-vs-reference consistency entries turned into `gpu-reference-divergence`.
 *
 * Tolerance of a module against a reference: the module receives the same float64 predictions and
 * computes in float64 JavaScript, so an honest reimplementation differs only by summation order,
 * ≤ n·2⁻⁵³·Σ|v| ≈ 1e-10 relative for n ≤ 1e6 rows. We allow 1e-6·max(1, |ref|): far above that, and
 * far below the 1/n step by which two count-based definitions (accuracy, recall...) differ for n < 1e6.
 *
 * @module
 */
import { isInputError } from "../errors.ts";
import type { Matrix } from "../reference/matrix.ts";
import {
  auc,
  balancedAccuracy,
  binaryAccuracy,
  categoricalAccuracy,
  computeMetric,
  elementwisePrecision,
  elementwiseRecall,
  f1,
  mae,
  METRIC_NAMES,
  type MetricName,
  mse,
  oneHot,
  precision,
  r2,
  recall,
  resolveAccuracy,
  rmse,
  sparseCategoricalAccuracy,
  trueClasses,
} from "../reference/metrics.ts";
import { Rng } from "../random.ts";
import type { ConsistencyEntry, Finding } from "../report/types.ts";
import { makeFinding, sig } from "./finding.ts";

/**
 * A user metric module, as the caller reaches it: in the CLI a call into its sandboxed worker, which
 * rejects with an InputError when the module misbehaves (that error ends the run). `call` names the
 * call for that message.
 */
export type ModuleMetricFn = (yTrue: Matrix, yPred: Matrix, call: string) => number | Promise<number>;

/** One module metric evaluated on one split's final predictions. */
export interface ModuleMetricInput {
  /** As written by the user ("accuracy", "my-f1"). */
  name: string;
  fn: ModuleMetricFn;
  /** Targets as the loss consumes them. */
  yTrue: Matrix;
  /** The model's outputs (what the metric sees). */
  yPred: Matrix;
  split: "train" | "validation";
  epoch: number;
  /** Decision threshold of thresholded metrics (default 0.5). */
  threshold?: number;
  /** Seeds the perturbations (the scenario seed). */
  seed?: number;
}

/** The reference metric a user name stands for (`acc`, `binary_accuracy`, `F1` ...), if any. */
export function referenceName(name: string): MetricName | null {
  const n = name.trim().toLowerCase().replace(/[_\s]+/g, "-");
  const alias: Record<string, MetricName> = {
    acc: "accuracy",
    "balanced-acc": "balanced-accuracy",
    "f1-score": "f1",
  };
  const m = alias[n] ?? n;
  return (METRIC_NAMES as readonly string[]).includes(m) ? m as MetricName : null;
}

/** Relative tolerance of a module against the reference (see the module note). */
export function moduleTolerance(reference: number): number {
  return 1e-6 * Math.max(1, Math.abs(reference));
}

/**
 * Every definition fitcheck knows that a number called a metric could have been computed with, on
 * these predictions: the CONTRACT metrics, the other conventions of `accuracy`, thresholds on logits,
 * the element-wise (Keras) precision/recall, and error rates. Entries that do not apply to the shapes
 * are left out.
 */
export function candidateDefinitions(
  yTrue: Matrix,
  yPred: Matrix,
  threshold = 0.5,
): { definition: string; value: number }[] {
  const out: { definition: string; value: number }[] = [];
  const add = (definition: string, f: () => number) => {
    try {
      const value = f();
      if (Number.isFinite(value)) out.push({ definition, value });
    } catch {
      // not applicable to these shapes
    }
  };
  const sameShape = yTrue.cols === yPred.cols;
  const oneHotTrue = yTrue.cols === 1 && yPred.cols > 1 ? oneHot(trueClasses(yTrue), yPred.cols) : null;
  if (sameShape) {
    add(
      `binary accuracy at ${threshold} over every element`,
      () => binaryAccuracy(yTrue, yPred, { threshold }),
    );
    if (threshold !== 0) {
      add(
        "binary accuracy at 0 (a threshold on logits)",
        () => binaryAccuracy(yTrue, yPred, { threshold: 0 }),
      );
    }
    if (yPred.cols > 1) add("categorical accuracy (argmax)", () => categoricalAccuracy(yTrue, yPred));
    add(
      "element-wise precision (Keras Precision())",
      () => elementwisePrecision(yTrue, yPred, { threshold }),
    );
    add("element-wise recall (Keras Recall())", () => elementwiseRecall(yTrue, yPred, { threshold }));
    add("mean absolute error", () => mae(yTrue, yPred));
    add("mean squared error", () => mse(yTrue, yPred));
    add("root mean squared error", () => rmse(yTrue, yPred));
    add("R²", () => r2(yTrue, yPred));
    add("ROC AUC", () => auc(yTrue, yPred));
  }
  if (oneHotTrue) {
    add("sparse categorical accuracy (argmax)", () => sparseCategoricalAccuracy(yTrue, yPred));
    add(
      `binary accuracy at ${threshold} over one-hot targets`,
      () => binaryAccuracy(oneHotTrue, yPred, { threshold }),
    );
  }
  if (yPred.cols === 1 || yTrue.cols === yPred.cols || oneHotTrue) {
    add(
      yPred.cols === 1 ? "precision (binary)" : "macro precision",
      () => precision(yTrue, yPred, { threshold }),
    );
    add(yPred.cols === 1 ? "recall (binary)" : "macro recall", () => recall(yTrue, yPred, { threshold }));
    add(yPred.cols === 1 ? "F1 (binary)" : "macro F1", () => f1(yTrue, yPred, { threshold }));
    add("balanced accuracy (mean per-class recall)", () => balancedAccuracy(yTrue, yPred, { threshold }));
    const acc = resolveAccuracy(yTrue.cols, yPred.cols);
    add(
      `1 − ${acc.kind} accuracy (an error rate)`,
      () => 1 - computeMetric("accuracy", yTrue, yPred, { threshold }).value,
    );
  }
  return out;
}

interface Checked {
  input: ModuleMetricInput;
  value: number | null;
  error: string | null;
}

async function evaluate(
  fn: ModuleMetricFn,
  yTrue: Matrix,
  yPred: Matrix,
  call: string,
): Promise<{ value: number | null; error: string | null }> {
  try {
    const v = await fn(yTrue, yPred, call);
    return typeof v === "number" ? { value: v, error: null } : { value: null, error: `returned ${typeof v}` };
  } catch (e) {
    // A sandboxed module that misbehaved: the run stops with its message, nothing is reported.
    if (isInputError(e)) throw e;
    return { value: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * `metric-mismatch` and `metric-insensitive` for the module metrics of a run: at most one finding of
 * each code, listing every metric concerned.
 */
export async function checkModuleMetrics(inputs: readonly ModuleMetricInput[]): Promise<Finding[]> {
  const mismatches: Record<string, unknown>[] = [];
  const insensitive: Record<string, unknown>[] = [];
  for (const input of inputs) {
    const own = await evaluate(input.fn, input.yTrue, input.yPred, predictionsCall(input));
    const checked: Checked = { input, ...own };
    const m = mismatch(checked);
    if (m) mismatches.push(m);
    const i = await insensitivity(checked);
    if (i) insensitive.push(i);
  }
  const findings: Finding[] = [];
  if (mismatches.length > 0) {
    const f = mismatches[0];
    const by = f.reproducedBy as string[];
    findings.push(makeFinding("metric-mismatch", {
      title:
        `Metric "${f.name}" reports ${f.module} where the reference ${f.referenceName} gives ${f.reference}`,
      message:
        `On the ${f.split} predictions after epoch ${f.epoch}, the module metric "${f.name}" returns ` +
        `${f.module}; the float64 reference ${f.referenceDefinition} gives ${f.reference} (tolerance ${f.tolerance}). ` +
        (by.length
          ? `The module's number is reproduced by: ${by.join("; ")}.`
          : "No known definition reproduces it.") +
        (mismatches.length > 1 ? ` ${mismatches.length - 1} more metric(s) disagree (see evidence).` : ""),
      evidence: { metrics: mismatches },
      fix: by.length
        ? `Compute "${f.name}" as ${f.referenceDefinition}, or rename the metric to what it measures (${
          by[0]
        }).`
        : `Compute "${f.name}" as ${f.referenceDefinition}.`,
      remedy: { kind: "set-metric", from: f.name as string, to: f.referenceName as string },
    }));
  }
  if (insensitive.length > 0) {
    const f = insensitive[0];
    findings.push(makeFinding("metric-insensitive", {
      title: `Metric "${f.name}" returns ${f.value} whatever the predictions`,
      message: `The module metric "${f.name}" returned ${f.value} on the model's predictions and on every ` +
        `perturbation of them (rows permuted, classes flipped, random, perfect and perfectly wrong ` +
        `predictions): it does not depend on the predictions, so it is hard-coded or constant.` +
        (insensitive.length > 1 ? ` ${insensitive.length - 1} more metric(s) are insensitive too.` : ""),
      evidence: { metrics: insensitive },
      fix: `Compute "${f.name}" from yTrue and yPred (or use a built-in metric).`,
    }));
  }
  return findings;
}

function mismatch(c: Checked): Record<string, unknown> | null {
  const ref = referenceName(c.input.name);
  if (!ref) return null;
  const { yTrue, yPred, threshold } = c.input;
  let reference: { value: number; definition: string };
  try {
    reference = computeMetric(ref, yTrue, yPred, { threshold });
  } catch {
    return null;
  }
  const tol = moduleTolerance(reference.value);
  const value = c.value;
  if (value !== null && Number.isFinite(value) && Math.abs(value - reference.value) <= tol) return null;
  if (value !== null && Number.isNaN(value) && Number.isNaN(reference.value)) return null;
  const reproducedBy = value === null || !Number.isFinite(value)
    ? []
    : candidateDefinitions(yTrue, yPred, threshold ?? 0.5)
      .filter((d) => Math.abs(d.value - value) <= moduleTolerance(d.value))
      .map((d) => d.definition);
  return {
    name: c.input.name,
    split: c.input.split,
    epoch: c.input.epoch,
    module: value === null ? null : sig(value, 6),
    moduleError: c.error,
    reference: sig(reference.value, 6),
    referenceName: ref,
    referenceDefinition: `${ref} (${reference.definition})`,
    absError: value === null ? null : sig(Math.abs(value - reference.value), 3),
    tolerance: sig(tol, 3),
    reproducedBy,
  };
}

/** The perturbations a metric of the predictions must react to. */
export function perturbations(yTrue: Matrix, yPred: Matrix, seed = 0): { name: string; yPred: Matrix }[] {
  const rng = Rng.fromSeed(seed).stream("diagnose:metric-insensitive");
  const { rows, cols } = yPred;
  const perm = rng.permutation(rows);
  const permuted = new Float64Array(yPred.data.length);
  for (let r = 0; r < rows; r++) {
    permuted.set(yPred.data.subarray(perm[r] * cols, (perm[r] + 1) * cols), r * cols);
  }
  const probabilities = yPred.data.every((v) => v >= 0 && v <= 1);
  const flip = (m: Matrix): Matrix => {
    const out = new Float64Array(m.data.length);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = m.data[r * cols + c];
        out[r * cols + c] = cols === 1 ? (probabilities ? 1 - v : -v) : m.data[r * cols + ((c + 1) % cols)];
      }
    }
    return { data: out, rows, cols };
  };
  const random = new Float64Array(yPred.data.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += random[r * cols + c] = rng.next();
    if (cols > 1 && probabilities) { for (let c = 0; c < cols; c++) random[r * cols + c] /= s; }
  }
  const perfect = yTrue.cols === cols
    ? { data: yTrue.data.slice(), rows, cols }
    : oneHot(trueClasses(yTrue), cols);
  return [
    { name: "rows permuted", yPred: { data: permuted, rows, cols } },
    { name: "classes flipped", yPred: flip(yPred) },
    { name: "random", yPred: { data: random, rows, cols } },
    { name: "perfect", yPred: perfect },
    { name: "perfectly wrong", yPred: flip(perfect) },
  ];
}

function predictionsCall(input: ModuleMetricInput): string {
  return `${input.split} predictions after epoch ${input.epoch}`;
}

async function insensitivity(c: Checked): Promise<Record<string, unknown> | null> {
  if (c.value === null || !Number.isFinite(c.value) || c.input.yPred.rows < 2) return null;
  const values: Record<string, number | string> = { original: c.value };
  for (const p of perturbations(c.input.yTrue, c.input.yPred, c.input.seed ?? 0)) {
    const call = `${predictionsCall(c.input)}, perturbation "${p.name}"`;
    const r = await evaluate(c.input.fn, c.input.yTrue, p.yPred, call);
    if (r.value === null || !Number.isFinite(r.value)) {
      values[p.name] = r.error ?? String(r.value);
      continue;
    }
    if (Math.abs(r.value - c.value) > moduleTolerance(c.value)) return null;
    values[p.name] = r.value;
  }
  return { name: c.input.name, split: c.input.split, epoch: c.input.epoch, value: sig(c.value, 6), values };
}

// ---------------------------------------------------------------------------------------------
// gpu-reference-divergence

/**
 * One `gpu-reference-divergence` error listing every consistency entry with `ok: false` (the engine's
 * own number against the float64 reference, beyond the entry's tolerance); the worst (largest error
 * over tolerance) is named in the title.
 */
export function consistencyFindings(entries: readonly ConsistencyEntry[]): Finding[] {
  const bad = entries.filter((e) => !e.ok);
  if (bad.length === 0) return [];
  const excess = (e: ConsistencyEntry) =>
    e.absError === null || !Number.isFinite(e.absError)
      ? Infinity
      : e.absError / Math.max(e.tolerance, 1e-300);
  const worst = bad.reduce((a, b) => (excess(b) > excess(a) ? b : a));
  const first = bad[0];
  const show = (e: ConsistencyEntry) =>
    `${e.quantity} at epoch ${e.epoch}: engine ${e.engine}, reference ${e.reference}, |Δ| ${e.absError} > tolerance ${e.tolerance}`;
  return [makeFinding("gpu-reference-divergence", {
    title: `The GPU's ${worst.quantity} at epoch ${worst.epoch} differs from the float64 reference`,
    message: `${bad.length} of ${entries.length} engine numbers disagree with the float64 reference beyond ` +
      `tolerance, first ${show(first)}` + (worst !== first ? `; worst ${show(worst)}` : "") +
      ". This is a defect of fitcheck's GPU path, not of the user's setup: trust the reference numbers.",
    evidence: {
      failing: bad.length,
      checked: entries.length,
      worst,
      entries: bad.slice(0, 20),
    },
    fix:
      "Report it to the fitcheck maintainers with the scenario; the report's reference values are the ones to trust.",
  })];
}
