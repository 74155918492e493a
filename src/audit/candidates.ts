/**
 * Every definition that could have produced a logged number, recomputed in float64 from the stored
 * predictions, each tagged with whether it is the right one for the task ("correct") or names a
 * known mistake. The forensics compare a logged value against all of them.
 *
 * The loss variants themselves live in loss_variants.ts.
 *
 * @module
 */
import type { Matrix } from "../reference/matrix.ts";
import {
  auc,
  averageClassMetric,
  binaryAccuracy,
  categoricalAccuracy,
  elementwisePrecision,
  elementwiseRecall,
  mae,
  mse,
  perClassFromConfusion,
  r2,
  topKCategoricalAccuracy,
} from "../reference/metrics.ts";
import type { AuditContext } from "./infer.ts";
import { batchSizesToTry, batchSumLoss, LOSSES, perRow } from "./loss_variants.ts";

/** Which logged quantity a definition can explain. */
export type Family =
  | "accuracy"
  | "loss"
  | "precision"
  | "recall"
  | "f1"
  | "auc"
  | "mae"
  | "mse"
  | "rmse"
  | "r2"
  | "top-k";

/**
 * `correct`: the right definition for this task and these outputs. `semantics`: a value that does
 * not measure the task (accuracy-semantics-mismatch). `loss-variant`: a loss computed on the wrong
 * reading of the outputs or summed (loss-mismatch). `task-mismatch`: a loss that does not fit the
 * target type (loss-task-mismatch).
 */
export type Verdict = "correct" | "semantics" | "loss-variant" | "task-mismatch";

export interface Candidate {
  id: string;
  family: Family;
  /** Narrower tags a logged name can ask for: "binary", "argmax", "crossentropy". */
  tags: string[];
  description: string;
  verdict: Verdict;
  /** For verdicts other than correct: what is wrong, in one sentence a finding can quote. */
  problem?: string;
  /** For loss variants: which kind (drives the fix text). */
  variant?: "sum" | "logits-as-probabilities" | "probabilities-as-logits" | "single-unit-categorical";
  /** The value from raw predictions (a function, so the forensics can perturb its input). */
  compute: (raw: Matrix) => number;
}

/** Every candidate definition for this context. */
export function buildCandidates(ctx: AuditContext, options: { batchSize?: number } = {}): Candidate[] {
  const out: Candidate[] = [];
  const k = ctx.units, single = ctx.classes !== null, reg = ctx.task === "regression";
  const logits = ctx.form === "logits";
  const squash = (raw: Matrix): Matrix => (logits ? toProbs(raw, single && k > 1) : raw);
  const y = ctx.target;

  // ---- accuracy -------------------------------------------------------------------------------
  const onReg = "accuracy on a regression target: exact matches of continuous values mean nothing";
  const oneHotProblem = `binary accuracy over ${k} one-hot outputs per row: each row adds ${
    k - 1
  } easy zeros, so predicting all zeros scores ${
    fmtPct((k - 1) / k)
  } (tfjs and Keras ≤ 2.3 pick it for "accuracy" when the loss is binary cross-entropy)`;
  out.push({
    id: "binary-accuracy@0.5",
    family: "accuracy",
    tags: ["binary"],
    description: k === 1
      ? "binary accuracy: (output > 0.5) == y"
      : `binary accuracy: mean over all ${k} outputs of (output > 0.5) == y`,
    ...(reg
      ? semantics(onReg)
      : logits
      ? semantics("a 0.5 threshold on logits: it means probability > 0.62, not > 0.5")
      : single && k > 2
      ? semantics(oneHotProblem)
      : correct()),
    compute: (raw) => binaryAccuracy(y, raw, { threshold: 0.5 }),
  });
  if (logits) {
    out.push({
      id: "binary-accuracy@0-logits",
      family: "accuracy",
      tags: ["binary"],
      description: k === 1
        ? "binary accuracy on logits: (logit > 0) == y"
        : `binary accuracy on logits: mean over all ${k} outputs of (logit > 0) == y`,
      ...(reg ? semantics(onReg) : single && k > 2 ? semantics(oneHotProblem) : correct()),
      compute: (raw) => binaryAccuracy(y, raw, { threshold: 0 }),
    });
  }
  if (k > 1) {
    out.push({
      id: "categorical-accuracy",
      family: "accuracy",
      tags: ["argmax"],
      description: "categorical / sparse categorical accuracy: argmax(output) == true class",
      ...(reg ? semantics(onReg) : ctx.task === "multilabel"
        ? semantics(
          "argmax accuracy on multi-label targets: it checks only the single top output of rows that have several labels",
        )
        : correct()),
      compute: (raw) => categoricalAccuracy(y, raw),
    });
  } else {
    out.push({
      id: "categorical-accuracy-one-unit",
      family: "accuracy",
      tags: ["argmax"],
      description:
        "categorical accuracy over one output unit: argmax of a single column is always 0, so it is always 1",
      ...semantics(
        "argmax over one output unit is always 0: categorical accuracy is 1.0 whatever the model does",
      ),
      compute: (raw) => categoricalAccuracy(ctx.labels.cols === 1 ? ctx.labels : y, raw),
    });
    out.push({
      id: "sparse-categorical-accuracy-one-unit",
      family: "accuracy",
      tags: ["argmax"],
      description: "sparse categorical accuracy over one output unit: the share of rows labelled 0",
      ...semantics("argmax over one output unit is always 0: the accuracy is just the share of class 0"),
      compute: (raw) => {
        let hits = 0;
        for (let r = 0; r < raw.rows; r++) if (ctx.labels.data[r * ctx.labels.cols] === 0) hits++;
        return hits / raw.rows;
      },
    });
  }

  // ---- top-k ----------------------------------------------------------------------------------
  if (single && k > 1) {
    for (let kk = 1; kk <= Math.max(5, k); kk++) {
      if (kk > 5 && kk !== k) continue;
      out.push({
        id: `top-${kk}-accuracy`,
        family: "top-k",
        tags: [],
        description: `top-${kk} categorical accuracy (true class among the ${kk} highest outputs, ties in)${
          kk === 5 ? "; Keras' default k" : ""
        }`,
        ...(kk >= k
          ? semantics(`top-${kk} accuracy over ${k} classes is always 1: k must be below the class count`)
          : correct()),
        compute: (raw) => topKCategoricalAccuracy(y, raw, { k: kk }),
      });
    }
  }

  // ---- losses ---------------------------------------------------------------------------------
  pushLosses(out, ctx, options.batchSize);

  // ---- precision / recall / f1 ----------------------------------------------------------------
  if (!reg) pushPrecisionRecall(out, ctx, squash);

  // ---- auc ------------------------------------------------------------------------------------
  if (!reg) {
    out.push({
      id: "auc-exact",
      family: "auc",
      tags: [],
      description: "ROC AUC, exact (Mann-Whitney), over every output cell (Keras' micro average)",
      ...correct(),
      compute: (raw) => auc(y, squash(raw)),
    });
    out.push({
      id: "auc-keras-200",
      family: "auc",
      tags: [],
      description: "ROC AUC as tf.keras AUC(): 200 thresholds in [0, 1], trapezoids, micro over outputs",
      ...correct(),
      compute: (raw) => auc(y, squash(raw), { method: "keras" }),
    });
    if (logits) {
      out.push({
        id: "auc-keras-200-on-logits",
        family: "auc",
        tags: [],
        description: "tf.keras AUC() fed logits: clipped to [0, 1], then cut by its thresholds in [0, 1]",
        ...semantics("AUC thresholds in [0, 1] applied to logits (Keras AUC needs from_logits=True)"),
        compute: (raw) => auc(y, raw, { method: "keras" }),
      });
    }
    if (single && k > 2) {
      out.push({
        id: "auc-ovr-macro",
        family: "auc",
        tags: [],
        description: "one-vs-rest ROC AUC, macro over classes (sklearn roc_auc_score multi_class='ovr')",
        ...correct(),
        compute: (raw) => {
          const p = squash(raw);
          let s = 0, n = 0;
          for (let c = 0; c < k; c++) {
            const col = (m: Matrix) => ({
              data: Float64Array.from({ length: m.rows }, (_, r) => m.data[r * k + c]),
              rows: m.rows,
              cols: 1,
            });
            const v = auc(col(y), col(p));
            if (!Number.isNaN(v)) {
              s += v;
              n++;
            }
          }
          return s / n;
        },
      });
    }
  }

  // ---- regression-style metrics ---------------------------------------------------------------
  const errProblem = "an error metric computed on logits instead of probabilities";
  for (
    const [fam, fn] of [["mae", mae], ["mse", mse], [
      "rmse",
      (a: Matrix, b: Matrix) => Math.sqrt(mse(a, b)),
    ]] as const
  ) {
    out.push({
      id: `${fam}-outputs`,
      family: fam,
      tags: [],
      description: `${fam} between the stored outputs and the targets${single && k > 1 ? " (one-hot)" : ""}`,
      ...(logits && !reg ? semantics(errProblem) : correct()),
      compute: (raw) => fn(y, raw),
    });
    if (logits && !reg) {
      out.push({
        id: `${fam}-probabilities`,
        family: fam,
        tags: [],
        description: `${fam} between the probabilities (from the logits) and the targets`,
        ...correct(),
        compute: (raw) => fn(y, squash(raw)),
      });
    }
  }
  // Class indices in one column against K outputs: Keras and tfjs broadcast the column against every
  // output rather than one-hot encoding it, so mse(y_index, p) compares "2" with each probability.
  if (ctx.labels.cols === 1 && k > 1) {
    const broadcast: Matrix = { data: new Float64Array(ctx.rows * k), rows: ctx.rows, cols: k };
    for (let r = 0; r < ctx.rows; r++) broadcast.data.fill(ctx.labels.data[r], r * k, (r + 1) * k);
    for (
      const [fam, fn] of [["mae", mae], ["mse", mse], [
        "rmse",
        (a: Matrix, b: Matrix) => Math.sqrt(mse(a, b)),
      ]] as const
    ) {
      out.push({
        id: `${fam}-index-broadcast`,
        family: fam,
        tags: [],
        description: `${fam} between the class-index column, broadcast to all ${k} outputs, and the outputs`,
        ...semantics(
          `the class-index column is broadcast against every one of the ${k} outputs, so the metric compares class numbers with probabilities`,
        ),
        compute: (raw) => fn(broadcast, raw),
      });
    }
  }
  out.push({
    id: "r2-uniform",
    family: "r2",
    tags: [],
    description: "R² per output column, averaged (Keras R2Score, sklearn r2_score)",
    ...(reg ? correct() : semantics("R² on class targets")),
    compute: (raw) => r2(y, raw),
  });
  out.push({
    id: "r2-global",
    family: "r2",
    tags: [],
    description: "R² over all cells with one global mean (tfjs metrics.r2Score)",
    ...(reg ? correct() : semantics("R² on class targets")),
    compute: (raw) => {
      let m = 0;
      for (const v of y.data) m += v;
      m /= y.data.length;
      let res = 0, tot = 0;
      for (let i = 0; i < y.data.length; i++) {
        res += (y.data[i] - raw.data[i]) ** 2;
        tot += (y.data[i] - m) ** 2;
      }
      return 1 - res / tot;
    },
  });
  return out;
}

function pushLosses(out: Candidate[], ctx: AuditContext, batchSize?: number): void {
  const k = ctx.units, y = ctx.target, logits = ctx.form === "logits";
  const reg = ctx.task === "regression", single = ctx.classes !== null;
  const regressionNames = ["mse", "mae", "huber"];
  const probNames = single && k > 1
    ? [
      "categorical-ce-probs",
      "sparse-ce-probs-keras2",
      "bce-probs-keras3",
      "bce-probs-keras2",
      "bce-probs-torch",
    ]
    : ["bce-probs-keras3", "bce-probs-keras2", "bce-probs-torch"];
  const logitNames = single && k > 1 ? ["categorical-ce-logits", "bce-logits"] : ["bce-logits"];
  const add = (name: string, judged: Pick<Candidate, "verdict" | "problem" | "variant">, tags: string[]) => {
    const base: Candidate = {
      id: name,
      family: "loss",
      tags,
      description: LOSSES[name].text + ", mean over rows",
      ...judged,
      compute: (raw) => mean(perRow(name, y, raw)),
    };
    out.push(base);
    if (judged.verdict !== "correct") return;
    // The same loss with reduction SUM: per batch of B rows (B unknown, so each plausible B is tried).
    for (const b of batchSizesToTry(ctx.rows, batchSize)) {
      out.push({
        id: b === ctx.rows ? `${name}-sum-all` : `${name}-sum-batch-${b}`,
        family: "loss",
        tags,
        description: `${LOSSES[name].text}, summed over ${
          b === ctx.rows ? "the whole split" : `batches of ${b}`
        }`,
        verdict: "loss-variant",
        variant: "sum",
        problem: `the loss is summed over ${
          b === ctx.rows ? "all rows" : `each batch (the value fits batches of ${b})`
        } instead of averaged`,
        compute: (raw) => batchSumLoss(perRow(name, y, raw), b),
      });
    }
  };
  if (reg) {
    for (const n of regressionNames) add(n, correct(), []);
    const inUnit = y.data.every((v) => v >= 0 && v <= 1);
    if (inUnit) {
      add(
        "bce-probs-keras3",
        taskMismatch("cross-entropy on a continuous target: it is not minimised by predicting the target"),
        [
          "crossentropy",
        ],
      );
    }
    return;
  }
  if (logits) {
    for (const n of logitNames) add(n, correct(), ["crossentropy"]);
    for (const n of probNames) {
      add(n, {
        verdict: "loss-variant",
        variant: "logits-as-probabilities",
        problem:
          "the outputs are logits but the loss reads them as probabilities (clipped to [1e-7, 1-1e-7])",
      }, ["crossentropy"]);
    }
  } else {
    for (const n of probNames) add(n, correct(), ["crossentropy"]);
    for (const n of logitNames) {
      add(n, {
        verdict: "loss-variant",
        variant: "probabilities-as-logits",
        problem: n === "categorical-ce-logits"
          ? "the outputs are already probabilities but the loss applies softmax again (from_logits=True on a softmax output: double softmax)"
          : "the outputs are already probabilities but the loss applies a sigmoid again (from_logits=True on a sigmoid output)",
      }, ["crossentropy"]);
    }
    if (k === 1) {
      add("categorical-ce-probs", {
        verdict: "loss-variant",
        variant: "single-unit-categorical",
        problem:
          "categorical cross-entropy over one output unit: the row is divided by its own sum, so p = 1 and the loss is 0",
      }, ["crossentropy"]);
    }
  }
  const regProblem = `a regression loss on class labels: it treats ${
    k > 1 ? "one-hot rows" : "class indices"
  } as numbers to fit, and its gradient vanishes on confident mistakes`;
  for (const n of regressionNames) add(n, taskMismatch(regProblem), []);
  if (ctx.labels.cols === 1 && k > 1) {
    const broadcast: Matrix = { data: new Float64Array(ctx.rows * k), rows: ctx.rows, cols: k };
    for (let r = 0; r < ctx.rows; r++) broadcast.data.fill(ctx.labels.data[r], r * k, (r + 1) * k);
    for (const n of ["mse", "mae"]) {
      out.push({
        id: `${n}-index-broadcast`,
        family: "loss",
        tags: [],
        description: `${
          LOSSES[n].text
        } between the class-index column, broadcast to all ${k} outputs, and the outputs`,
        ...taskMismatch(
          `${regProblem}; here the class-index column is even broadcast against all ${k} outputs`,
        ),
        compute: (raw) => mean(perRow(n, broadcast, raw)),
      });
    }
  }
}

function pushPrecisionRecall(out: Candidate[], ctx: AuditContext, squash: (m: Matrix) => Matrix): void {
  const k = ctx.units, y = ctx.target, logits = ctx.form === "logits", single = ctx.classes !== null;
  for (const fam of ["precision", "recall", "f1"] as const) {
    const el = (t: number) => (raw: Matrix) => {
      const p = elementwisePrecision(y, raw, { threshold: t }),
        r = elementwiseRecall(y, raw, { threshold: t });
      return fam === "precision" ? p : fam === "recall" ? r : p + r > 0 ? (2 * p * r) / (p + r) : 0;
    };
    const elText = (t: number) =>
      `${fam} with every output thresholded at ${t} and counted (tf.keras ${
        fam === "f1"
          ? "F1Score(average='micro', threshold)"
          : fam === "precision"
          ? "Precision()"
          : "Recall()"
      }: micro over outputs)`;
    out.push({
      id: `${fam}-elementwise@0.5`,
      family: fam,
      tags: [],
      description: elText(0.5),
      ...(logits ? semantics(`a 0.5 threshold on logits: ${fam} of probability > 0.62`) : correct()),
      compute: el(0.5),
    });
    if (logits) {
      out.push({
        id: `${fam}-elementwise@0-logits`,
        family: fam,
        tags: [],
        description: elText(0),
        ...correct(),
        compute: el(0),
      });
    }
    if (fam !== "f1") {
      out.push({
        id: `${fam}-tfjs-exact-ones`,
        family: fam,
        tags: [],
        description:
          `tfjs metrics.${fam}: counts only outputs exactly equal to 1 (or 0), without a threshold`,
        ...semantics(
          `tfjs's ${fam} compares raw outputs with 1 exactly, so un-thresholded probabilities are almost never counted as positive`,
        ),
        compute: (raw) => {
          let tp = 0, fp = 0, fn = 0;
          for (let i = 0; i < raw.data.length; i++) {
            const t = y.data[i], p = raw.data[i];
            if (t === 1 && p === 1) tp++;
            else if (t === 0 && p === 1) fp++;
            else if (t === 1 && p === 0) fn++;
          }
          const d = fam === "precision" ? tp + fp : tp + fn;
          return d > 0 ? tp / d : 0;
        },
      });
    }
    if (single && k > 1) {
      for (const avg of ["macro", "weighted", "micro"] as const) {
        out.push({
          id: `${fam}-${avg}-argmax`,
          family: fam,
          tags: [],
          description: `${fam} of the argmax class, ${avg} average over classes${
            avg === "micro" ? " (equals accuracy)" : ""
          }`,
          ...correct(),
          compute: (raw) => averaged(fam, avg, ctx, squash(raw)),
        });
      }
    }
  }
}

function averaged(
  fam: "precision" | "recall" | "f1",
  avg: "macro" | "weighted" | "micro",
  ctx: AuditContext,
  p: Matrix,
): number {
  const c = ctx.classCount, cm = new Float64Array(c * c);
  const k = p.cols;
  for (let r = 0; r < p.rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p.data[r * k + j] > p.data[r * k + best]) best = j;
    cm[ctx.classes![r] * c + best]++;
  }
  // The averages (and which classes they count) are the reference's: sklearn's rules.
  return averageClassMetric(perClassFromConfusion({ data: cm, rows: c, cols: c }), fam, avg);
}

function toProbs(raw: Matrix, softmax: boolean): Matrix {
  const out = new Float64Array(raw.data.length), k = raw.cols;
  for (let r = 0; r < raw.rows; r++) {
    const o = r * k;
    if (!softmax) {
      for (let c = 0; c < k; c++) out[o + c] = 1 / (1 + Math.exp(-raw.data[o + c]));
      continue;
    }
    let m = -Infinity, s = 0;
    for (let c = 0; c < k; c++) m = Math.max(m, raw.data[o + c]);
    for (let c = 0; c < k; c++) s += out[o + c] = Math.exp(raw.data[o + c] - m);
    for (let c = 0; c < k; c++) out[o + c] /= s;
  }
  return { data: out, rows: raw.rows, cols: k };
}

function mean(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function correct(): Pick<Candidate, "verdict"> {
  return { verdict: "correct" };
}

function semantics(problem: string): Pick<Candidate, "verdict" | "problem"> {
  return { verdict: "semantics", problem };
}

function taskMismatch(problem: string): Pick<Candidate, "verdict" | "problem"> {
  return { verdict: "task-mismatch", problem };
}

function fmtPct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
