/**
 * `diagnose audit --history FILE` with neither labels nor predictions (CONTRACT §7.4): the logged
 * numbers checked against each other and against what any predictions could give (history_bounds.ts),
 * and the curves read (history_curves.ts). `--loss`, `--task` and `--classes` sharpen the bounds;
 * what the log cannot decide is listed in `audit.undecidable` rather than guessed.
 *
 * @example
 * ```ts
 * import { memoryFileSource } from "../io.ts";
 * const log = "epoch,loss,accuracy\n0,0.0,0.5\n1,0.0,0.5\n2,0.0,0.5\n3,0.0,0.5\n";
 * const report = await auditHistory({ history: "/h.csv" }, memoryFileSource({ "/h.csv": log }));
 * report.findings[0].code; // "single-unit-softmax"
 * ```
 *
 * @module
 */
import { summarize } from "../diagnose/order.ts";
import { InputError } from "../errors.ts";
import { readHistory } from "../history/mod.ts";
import type { History } from "../history/types.ts";
import type { FileSource } from "../io.ts";
import type { Finding, Report, SplitMetrics } from "../report/types.ts";
import { TOOL_VERSION } from "../report/types.ts";
import type { Task } from "../scenario/types.ts";
import { orderFindings } from "./findings.ts";
import { boundFindings, doubleSoftmaxFloor, type HistoryFacts } from "./history_bounds.ts";
import {
  divergenceFindings,
  generalisationFindings,
  nonFiniteFindings,
  plateauFindings,
} from "./history_curves.ts";
import { toHistoryEntries } from "./history_entries.ts";
import { finitePoints, type SplitSeries, splitSeries } from "./history_series.ts";
import { fmt } from "./infer.ts";

/** Options of {@linkcode auditHistory}. */
export interface HistoryAuditOptions {
  history: string;
  /** The loss the run used (fitcheck or Keras/PyTorch spelling). */
  loss?: string;
  task?: Task;
  /** Number of classes (2 for binary). */
  classes?: number;
}

const CE = /crossentropy|^bce|^ce$|^nll|logloss|^xent/;
const MSE = /^(mse|meansquarederror|l2|l2loss|mseloss)$/;
const MAE = /^(mae|meanabsoluteerror|l1|l1loss)$/;
const REGRESSION_LOSS =
  /^(mse|mae|huber|meansquarederror|meanabsoluteerror|huberloss|logcosh|l1|l2|mseloss|l1loss|smoothl1loss)$/;

/** A --loss name as the patterns above read it: lower case, letters and digits only. */
const lossKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Reads the log and audits it alone. Bad input throws InputError. */
export async function auditHistory(options: HistoryAuditOptions, source: FileSource): Promise<Report> {
  const t0 = performance.now();
  if (options.classes !== undefined && (!Number.isInteger(options.classes) || options.classes < 2)) {
    throw new InputError(`--classes must be an integer of at least 2, got ${options.classes}`, {
      field: "--classes",
    });
  }
  const history = await readHistory(options.history, source);
  const t1 = performance.now();
  const { report, undecidable } = auditReadHistory(history, options);
  const t2 = performance.now();
  report.timings = { totalMs: t2 - t0, trainMs: 0, diagnoseMs: t2 - t1 };
  (report.audit as Record<string, unknown>).undecidable = undecidable;
  return report;
}

/** The audit of a history already read (the playground reads pasted logs itself). */
export function auditReadHistory(
  history: History,
  options: Omit<HistoryAuditOptions, "history">,
): { report: Report; undecidable: string[] } {
  const splits = splitSeries(history);
  const facts = factsOf(history, splits, options);
  const both = [splits.train, splits.validation];
  const raw: Finding[] = [];
  raw.push(...declaredFindings(splits, facts, options));
  raw.push(...nonFiniteFindings(history, both, facts));
  for (const s of both) {
    raw.push(...boundFindings(s, facts));
    raw.push(...plateauFindings(s, facts));
    raw.push(...divergenceFindings(s, facts));
  }
  raw.push(...doubleSoftmaxFindings(splits.train, facts));
  raw.push(...initialLossFindings(splits.train, facts));
  raw.push(...generalisationFindings(splits.train, splits.validation, facts));
  const findings = orderFindings(explainAway(dedupe(raw)));

  const last = history.epochs.length - 1;
  const entries = toHistoryEntries(history);
  const lastOf = (split: "train" | "validation"): SplitMetrics | null => {
    const out: SplitMetrics = {};
    for (let r = last; r >= 0; r--) {
      const m = split === "train" ? entries[r].train : entries[r].validation;
      for (const [k, v] of Object.entries(m ?? {})) if (!(k in out) && v !== null) out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : null;
  };
  const firstLoss = splits.train.loss ? finitePoints(splits.train.loss.values)[0]?.value ?? null : null;
  const undecidable = undecidableList(findings, facts, splits);
  const report: Report = {
    schema: "fitcheck.report/v1",
    tool: { name: "fitcheck", version: TOOL_VERSION },
    mode: "audit",
    adapter: null,
    scenario: null,
    summary: summarize(findings),
    symptoms: {
      initialLoss: firstLoss,
      train: lastOf("train") ?? {},
      validation: lastOf("validation"),
      baseline: facts.classes
        ? { chanceAccuracy: 1 / facts.classes, uniformLoss: Math.log(facts.classes) }
        : {},
    },
    history: entries,
    findings,
    consistency: [],
    timings: { totalMs: 0, trainMs: 0, diagnoseMs: 0 },
    audit: {
      files: { labels: null, predictions: null, history: history.file },
      historyOnly: true,
      split: null,
      epoch: null,
      inferred: {
        historyFormat: history.format,
        axis: history.axis ?? "epoch",
        keys: history.keys,
        stepSeries: Object.keys(history.steps ?? {}),
        loss: facts.lossKind,
        lossFrom: facts.lossDeclared
          ? "declared or named in the log"
          : facts.lossKind === "unknown"
          ? null
          : "inferred",
        task: facts.task,
        classes: facts.classes,
        percentMetrics: [...splits.train.accuracies, ...splits.validation.accuracies]
          .filter((s) => s.percent).map((s) => s.key),
      },
      notes: history.notes ?? [],
      undecidable,
    },
  };
  return { report, undecidable };
}

function factsOf(
  history: History,
  splits: { train: SplitSeries; validation: SplitSeries },
  options: Omit<HistoryAuditOptions, "history">,
): HistoryFacts {
  let lossKind: HistoryFacts["lossKind"] = "unknown", lossDeclared = false;
  if (options.loss) {
    const n = lossKey(options.loss);
    lossKind = CE.test(n) ? "crossentropy" : MSE.test(n) ? "mse" : MAE.test(n) ? "mae" : "unknown";
    lossDeclared = lossKind !== "unknown";
  } else {
    const named = [splits.train.loss, splits.validation.loss].find((s) =>
      s?.info.tags.includes("crossentropy")
    );
    if (named) {
      lossKind = "crossentropy";
      lossDeclared = true;
    } else if (
      options.task !== "regression" &&
      (splits.train.accuracies.length > 0 || splits.validation.accuracies.length > 0) &&
      (finitePoints(splits.train.loss?.values ?? [])[0]?.value ?? 0) >= 0.3
    ) {
      // A classification log (it has an accuracy) without a declared loss: Keras's and PyTorch's
      // classification losses are cross-entropies, and an untrained model's cross-entropy is about
      // ln C ≥ ln 2, so a first epoch's mean under 0.3 suggests another loss (squared error, focal):
      // then nothing is assumed. Bounds resting on the assumption are warnings, not errors.
      lossKind = "crossentropy";
    }
  }
  const task: HistoryFacts["task"] = options.task ??
    (options.classes === 2 ? "binary" : options.classes ? "multiclass" : null);
  const classes = options.classes ?? (task === "binary" ? 2 : null);
  const hasValidation = splits.validation.loss !== null || splits.validation.accuracies.length > 0;
  return { lossKind, lossDeclared, classes, task, epochs: history.epochs, hasValidation };
}

/** What --loss and --task alone contradict. */
function declaredFindings(
  splits: { train: SplitSeries; validation: SplitSeries },
  facts: HistoryFacts,
  options: Omit<HistoryAuditOptions, "history">,
): Finding[] {
  const out: Finding[] = [];
  const norm = lossKey(options.loss ?? "");
  const classification = facts.task !== null && facts.task !== "regression";
  if (options.loss && classification && REGRESSION_LOSS.test(norm)) {
    out.push({
      code: "loss-task-mismatch",
      severity: "error",
      title: `A regression loss (${options.loss}) on a ${facts.task} task`,
      message:
        `--loss ${options.loss} treats the classes as numbers to fit: its gradient vanishes on confident mistakes, so the loss can get small while the classes stay wrong (low loss, low accuracy).`,
      evidence: { loss: options.loss, task: facts.task, classes: facts.classes },
      fix: facts.task === "binary" || facts.task === "multilabel"
        ? "Use binary-crossentropy with a sigmoid output."
        : "Use categorical-crossentropy (one-hot) or sparse-categorical-crossentropy (indices) with a softmax output.",
    });
  }
  const accs = [...splits.train.accuracies, ...splits.validation.accuracies];
  if (facts.task === "regression" && accs.length > 0) {
    out.push({
      code: "accuracy-semantics-mismatch",
      severity: "error",
      title: `Accuracy (${accs.map((s) => s.key).join(", ")}) logged on a regression task`,
      message:
        "Accuracy counts exact matches between outputs and targets; on continuous targets it is 0 or meaningless, whatever the model does.",
      evidence: { keys: accs.map((s) => s.key) },
      fix: "Log mae, mse or r2 for regression.",
    });
  }
  return out;
}

/**
 * Categorical cross-entropy that never gets below ln(1 + (K-1)/e) while the accuracy is near perfect:
 * the floor of a softmax applied twice (history_bounds.ts), a suspicion that predictions would confirm.
 */
function doubleSoftmaxFindings(s: SplitSeries, facts: HistoryFacts): Finding[] {
  if (!s.loss || facts.lossKind !== "crossentropy" || facts.classes === null || facts.task === "multilabel") {
    return [];
  }
  const pts = finitePoints(s.loss.values);
  if (pts.length < 5) return [];
  const floor = doubleSoftmaxFloor(facts.classes);
  const vals = pts.map((p) => p.value);
  const min = Math.min(...vals), minRow = pts[vals.indexOf(min)].row;
  const tol = 2 * s.loss.precision + 1e-3;
  const acc = s.accuracies[0]?.values[minRow] ?? null;
  if (
    min >= floor - tol && min <= 1.08 * floor + tol && vals[0] > 1.2 * min && acc !== null && acc >= 0.95
  ) {
    return [{
      code: "double-softmax",
      severity: "warning",
      title: `The training loss stalls at ${
        fmt(min)
      }, the floor of a softmax applied twice over ${facts.classes} classes`,
      message: `With accuracy ${
        fmt(acc)
      }, a correct cross-entropy keeps falling toward 0; this one never goes below ${
        fmt(min)
      }, and ln(1 + (K-1)/e) = ${
        fmt(floor)
      } for K = ${facts.classes} is exactly as low as cross-entropy can go when the outputs are already probabilities and the loss applies softmax again (from_logits=True on a softmax output, or nn.Softmax before nn.CrossEntropyLoss). The model file would confirm it.`,
      evidence: { key: s.loss.key, minLoss: min, floor, classes: facts.classes, accuracy: acc },
      fix:
        "Remove the softmax from the model's last layer when the loss takes logits (PyTorch CrossEntropyLoss, from_logits=True), or keep it and set from_logits=False.",
    }];
  }
  return [];
}

/**
 * An untrained classifier's cross-entropy is about ln C (uniform outputs); the first epoch's mean
 * starts there and falls. A first epoch far above it (3 ln C, and at least ln C + 2) means outputs
 * confidently wrong from the start: unscaled inputs, a large initialisation, or logits read as
 * probabilities.
 */
function initialLossFindings(s: SplitSeries, facts: HistoryFacts): Finding[] {
  if (!s.loss || facts.lossKind !== "crossentropy" || facts.classes === null || facts.task === "multilabel") {
    return [];
  }
  const first = finitePoints(s.loss.values)[0];
  const expected = Math.log(facts.classes);
  if (!first || first.value <= Math.max(3 * expected, expected + 2)) return [];
  return [{
    code: "initial-loss-anomaly",
    severity: "warning",
    title: `The first epoch's loss ${fmt(first.value)} is far above ln ${facts.classes} = ${fmt(expected)}`,
    message: `A model that knows nothing yet outputs near-uniform probabilities and scores ln C = ${
      fmt(expected)
    } on ${facts.classes} classes; the first epoch's mean (which includes the steps that already learned) is ${
      fmt(first.value)
    }. The outputs start confidently wrong: inputs of large magnitude, weights initialised too large, or logits fed to a loss that expects probabilities.`,
    evidence: { key: s.loss.key, firstLoss: first.value, expected, classes: facts.classes },
    fix:
      "Standardize the inputs, use the framework's default initialisation, and match from_logits to the output layer.",
  }];
}

/** Each code once: the first (most specific split order: train, then validation) wins. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => (seen.has(f.code) ? false : (seen.add(f.code), true)));
}

/** Symptoms a root cause found here already explains. */
function explainAway(findings: Finding[]): Finding[] {
  const has = (c: string) => findings.some((f) => f.code === c);
  const drop = new Set<string>();
  if (has("single-unit-softmax")) {
    ["not-learning", "loss-mismatch", "metric-mismatch", "majority-class-collapse"].forEach((c) =>
      drop.add(c)
    );
  }
  if (has("non-finite-loss")) ["not-learning", "overfitting"].forEach((c) => drop.add(c));
  if (has("accuracy-semantics-mismatch")) drop.add("metric-mismatch");
  if (has("loss-task-mismatch")) drop.add("metric-mismatch");
  return findings.filter((f) => !drop.has(f.code));
}

function undecidableList(
  findings: Finding[],
  facts: HistoryFacts,
  splits: { train: SplitSeries; validation: SplitSeries },
): string[] {
  const out = [
    "Which loss and metric definitions produced each number (sum vs mean, logits vs probabilities, Keras 2 vs 3 clipping): recomputing them needs labels and predictions (audit --labels --predictions).",
    "Whether accuracy hides a class that is never recalled (accuracy-hides-class-failure), and the per-class precision and recall: need predictions.",
    "Setup causes (an output activation that does not fit the loss, a sigmoid head on single-label classes, a softmax over one unit) show in the log only through their symptoms: the model confirms them (audit --model, or run).",
  ];
  if (findings.some((f) => f.code === "majority-class-collapse")) {
    out.push(
      "Whether the model really predicts one class, and which: needs predictions (and the labels' class shares).",
    );
  }
  if (!splits.validation.loss && splits.validation.accuracies.length === 0) {
    out.push(
      "Generalisation (overfitting, a validation split that overlaps training): the log has no validation numbers.",
    );
  }
  if (facts.lossKind === "unknown") {
    out.push(
      "The loss is neither declared (--loss) nor named in the log: the cross-entropy and squared-error bounds that tie it to the accuracy were not applied (the loss-0 bound holds for any loss and was).",
    );
  } else if (!facts.lossDeclared) {
    out.push(
      "The loss was taken to be a cross-entropy (the log has an accuracy); --loss makes the bounds certain.",
    );
  }
  if (facts.classes === null) {
    out.push(
      "The number of classes is unknown (--classes C): chance level, the squared-error bound and the double-softmax floor need it.",
    );
  }
  return out;
}
