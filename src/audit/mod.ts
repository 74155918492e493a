/**
 * `diagnose audit`: metric forensics on a run made elsewhere (Keras, PyTorch, tfjs). Reads labels,
 * predictions and (optionally) the training log, infers what the predictions are, recomputes every
 * logged number with every definition that could have produced it, and reports which ones match
 * and what that means (CONTRACT §1, §3, §4).
 *
 * @example
 * ```ts
 * import { memoryFileSource } from "../io.ts";
 * const report = await audit(
 *   { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
 *   memoryFileSource({ "/y.csv": "...", "/p.csv": "...", "/h.json": "..." }),
 * );
 * report.findings.map((f) => f.code);
 * ```
 *
 * @module
 */
import { summarize } from "../diagnose/order.ts";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { ConsistencyEntry, Finding, Report, SplitMetrics, Symptoms } from "../report/types.ts";
import { TOOL_VERSION } from "../report/types.ts";
import { confusionMatrix, majorityClassAccuracy } from "../reference/metrics.ts";
import type { Task } from "../scenario/types.ts";
import { buildCandidates } from "./candidates.ts";
import { forensicFindings, orderFindings, predictionFindings } from "./findings.ts";
import { type QuantityCheck, runForensics } from "./forensics.ts";
import { type AuditContext, inferContext } from "./infer.ts";
import { type History, readHistory, readLabels, readPredictions } from "./inputs.ts";
import { classifyKey } from "./names.ts";
import { toHistoryEntries } from "./history_entries.ts";
import { auditHistory } from "./history_audit.ts";

export type { AuditContext, PredictionForm } from "./infer.ts";
export type { CandidateCheck, QuantityCheck } from "./forensics.ts";
export { buildCandidates } from "./candidates.ts";
export { classifyKey } from "./names.ts";
export { auditHistory, auditReadHistory, type HistoryAuditOptions } from "./history_audit.ts";

/** What `diagnose audit` passes in (paths already resolved by the CLI). */
export interface AuditOptions {
  /** With `predictions`; both absent: a history-only audit of `history` (CONTRACT §7.4). */
  labels?: string;
  predictions?: string;
  history?: string;
  /** Number of classes, for the history-only bounds (2 for binary). */
  classes?: number;
  /** 1-based, as Keras prints "Epoch 3/20" (CSVLogger's 0-based `epoch` column + 1). Default: the last row. */
  epoch?: number;
  /** Which split the predictions belong to; default "validation" (the `val_` keys). */
  split?: "validation" | "train";
  task?: Task;
  /** The loss the run declared (CONTRACT or Keras/tfjs spelling); checked against the task. */
  loss?: string;
  /** The predictions are logits (overrides the inference). */
  fromLogits?: boolean;
  /** Batch size of the run, when known: sum-reduced losses are then recomputed for it exactly. */
  batchSize?: number;
}

/** Runs the audit and returns the report (mode "audit"). Bad input throws InputError. */
export async function audit(options: AuditOptions, source: FileSource): Promise<Report> {
  if (options.labels === undefined && options.predictions === undefined) {
    if (options.history === undefined) {
      throw new InputError("give --history, or --labels with --predictions (or all three)", {
        field: "--history",
      });
    }
    return await auditHistory(
      { history: options.history, loss: options.loss, task: options.task, classes: options.classes },
      source,
    );
  }
  if (options.labels === undefined || options.predictions === undefined) {
    const missing = options.labels === undefined ? "--labels" : "--predictions";
    throw new InputError(
      `${missing} is missing: --labels and --predictions go together (or give only --history for a history-only audit)`,
      { field: missing },
    );
  }
  return await auditPredictions(
    { ...options, labels: options.labels, predictions: options.predictions },
    source,
  );
}

async function auditPredictions(
  options: AuditOptions & { labels: string; predictions: string },
  source: FileSource,
): Promise<Report> {
  const t0 = performance.now();
  const split = options.split ?? "validation";
  if (split !== "validation" && split !== "train") {
    throw new InputError(`unknown split "${split}": expected validation or train`, { field: "--split" });
  }
  const [labels, predictions, history] = await Promise.all([
    readLabels(options.labels, source),
    readPredictions(options.predictions, source),
    options.history ? readHistory(options.history, source) : Promise.resolve(null),
  ]);
  const bad = nonFiniteRows(predictions.matrix);
  if (bad.length > 0) {
    if (labels.matrix.rows !== predictions.matrix.rows) {
      throw new InputError(
        `${predictions.matrix.rows} prediction rows but ${labels.matrix.rows} label rows`,
        {
          file: predictions.file,
        },
      );
    }
    return divergedReport(options, split, bad, predictions.matrix.rows, history, performance.now() - t0);
  }
  const ctx = inferContext(labels, predictions, { task: options.task, fromLogits: options.fromLogits });
  const row = history ? pickRow(history, split, options.epoch) : -1;
  const t1 = performance.now();

  const candidates = buildCandidates(ctx, { batchSize: options.batchSize });
  let checks: QuantityCheck[] = [];
  let epochHint: number | null = null;
  if (history) {
    const cache = new Map<string, { value: number; input: number }>();
    const run = (r: number) =>
      runForensics(history, candidates, ctx.raw, {
        split,
        row: r,
        predictionPrecision: ctx.predictionPrecision,
        cache,
      });
    checks = run(row);
    epochHint = findBetterEpoch(history, checks, row, run);
  }
  const findings: Finding[] = [];
  if (history) findings.push(...forensicFindings(checks, history, split, epochHint));
  findings.push(...declaredLossFindings(ctx, options, findings));
  const { findings: fromPredictions, perClass } = predictionFindings(ctx);
  findings.push(...fromPredictions);
  const ordered = orderFindings(findings);

  const consistency: ConsistencyEntry[] = checks
    .filter((c) => c.status !== "unrecognised")
    .map((c) => {
      const entry: ConsistencyEntry & { definition: string | null; status: string; key: string } = {
        quantity: c.quantity,
        epoch: c.epoch,
        engine: c.logged,
        reference: c.best ? c.best.value : null,
        absError: c.best && c.logged !== null ? Math.abs(c.best.value - c.logged) : null,
        tolerance: c.tolerance,
        ok: c.status === "ok",
        definition: c.best?.id ?? null,
        status: c.status,
        key: c.key,
      };
      return entry;
    });

  const symptoms = buildSymptoms(ctx, history, row, checks);
  const t2 = performance.now();
  const classLabels = perClass
    ? [...perClass.support.keys()].map((i) => ctx.classNames?.[i] ?? String(i))
    : [];
  // Without a history the predictions belong to no logged epoch: 0 says so in perClass/confusion.
  const epochNumber = history ? history.epochs[row] : 0;
  const report: Report = {
    schema: "fitcheck.report/v1",
    tool: { name: "fitcheck", version: TOOL_VERSION },
    mode: "audit",
    adapter: null,
    scenario: null,
    summary: summarize(ordered),
    symptoms,
    history: history ? toHistoryEntries(history) : [],
    findings: ordered,
    consistency,
    timings: { totalMs: t2 - t0, trainMs: 0, diagnoseMs: t2 - t1 },
    audit: {
      files: { labels: options.labels, predictions: options.predictions, history: options.history ?? null },
      rows: ctx.rows,
      outputs: ctx.units,
      split,
      epoch: history ? epochNumber : null,
      inferred: {
        task: ctx.task,
        taskReason: ctx.taskReason,
        predictions: ctx.form,
        predictionsReason: ctx.formReason,
        multiLabel: ctx.task === "multilabel",
        classes: ctx.classes ? ctx.classCount : null,
        classNames: ctx.classNames ?? null,
        predictionsWrittenPrecision: ctx.predictionPrecision,
        historyFormat: history?.format ?? null,
      },
      notes: ctx.notes,
      forensics: checks.map((c) => ({
        key: c.key,
        quantity: c.quantity,
        logged: c.logged,
        tolerance: c.tolerance,
        status: c.status,
        matched: c.candidates.filter((x) => x.matches).map((x) => x.id),
        candidates: c.candidates.map((x) => ({
          id: x.id,
          description: x.description,
          value: x.value,
          absError: x.absError,
          matches: x.matches,
          verdict: x.verdict,
        })),
      })),
    },
  };
  if (perClass && ctx.classes) {
    const cm = confusionMatrix(
      { data: Float64Array.from(ctx.classes), rows: ctx.rows, cols: 1 },
      ctx.units === 1 ? ctx.probs : ctx.raw,
    );
    report.confusion = {
      split,
      epoch: epochNumber,
      labels: classLabels,
      matrix: Array.from(
        { length: cm.rows },
        (_, i) => Array.from(cm.data.subarray(i * cm.cols, (i + 1) * cm.cols)),
      ),
    };
    report.perClass = {
      split,
      epoch: epochNumber,
      classes: classLabels.map((label, i) => ({
        label,
        support: perClass.support[i],
        precision: perClass.predicted[i] > 0 ? perClass.precision[i] : null,
        recall: perClass.support[i] > 0 ? perClass.recall[i] : null,
      })),
    };
  }
  return report;
}

/** The history row of `epoch` (1-based) or the last row; InputError naming the range otherwise. */
function pickRow(history: History, split: "train" | "validation", epoch?: number): number {
  const keys = history.keys.filter((k) => classifyKey(k).split === split);
  if (keys.length === 0) {
    throw new InputError(
      `no ${split} keys in the history (keys: ${history.keys.join(", ")})${
        split === "validation"
          ? "; the val_ keys are missing: pass --split train if the predictions are on training rows"
          : ""
      }`,
      { file: history.file, field: "--split" },
    );
  }
  if (epoch === undefined) return history.epochs.length - 1;
  if (!Number.isInteger(epoch)) {
    throw new InputError(`--epoch must be an integer, got ${epoch}`, { field: "--epoch" });
  }
  const row = history.epochs.indexOf(epoch);
  if (row < 0) {
    throw new InputError(
      `epoch ${epoch} is not in the history: it has epochs ${history.epochs[0]}..${
        history.epochs[history.epochs.length - 1]
      } (counted from 1${history.format === "csv-logger" ? "; CSVLogger's epoch column counts from 0" : ""})`,
      { file: history.file, field: "--epoch" },
    );
  }
  return row;
}

/**
 * When nothing at the chosen epoch is reproduced by a correct definition, looks for an epoch where
 * everything recognised is: the predictions were probably saved at that epoch.
 */
function findBetterEpoch(
  history: History,
  checks: QuantityCheck[],
  row: number,
  run: (r: number) => QuantityCheck[],
): number | null {
  const recognised = (cs: QuantityCheck[]) =>
    cs.filter((c) => c.status !== "unrecognised" && c.status !== "not-finite");
  if (recognised(checks).some((c) => c.status === "ok")) return null;
  for (let r = history.epochs.length - 1; r >= 0; r--) {
    if (r === row) continue;
    const other = recognised(run(r));
    if (other.length > 0 && other.every((c) => c.status === "ok")) return history.epochs[r];
  }
  return null;
}

const REGRESSION_LOSSES = /^(mse|mae|huber|meansquarederror|meanabsoluteerror|huberloss|logcosh)$/;
const CE_LOSSES = /crossentropy|^bce$|^nll/;

function declaredLossFindings(ctx: AuditContext, options: AuditOptions, already: Finding[]): Finding[] {
  if (!options.loss || already.some((f) => f.code === "loss-task-mismatch")) return [];
  const norm = options.loss.toLowerCase().replace(/[^a-z]/g, "");
  const classification = ctx.task !== "regression";
  if (classification && REGRESSION_LOSSES.test(norm)) {
    return [{
      code: "loss-task-mismatch",
      severity: "error",
      title: `A regression loss (${options.loss}) on ${ctx.task} class labels`,
      message:
        `--loss ${options.loss} was declared for a ${ctx.task} task (${ctx.taskReason}): a squared or absolute error treats classes as numbers to fit and its gradient vanishes on confident mistakes.`,
      evidence: { loss: options.loss, task: ctx.task },
      fix: ctx.task === "binary" || ctx.task === "multilabel"
        ? "Use binary-crossentropy with a sigmoid output."
        : "Use categorical-crossentropy (one-hot) or sparse-categorical-crossentropy (indices) with a softmax output.",
    }];
  }
  if (!classification && CE_LOSSES.test(norm)) {
    return [{
      code: "loss-task-mismatch",
      severity: "error",
      title: `A cross-entropy loss (${options.loss}) on a continuous target`,
      message: `--loss ${options.loss} was declared for a regression task (${ctx.taskReason}).`,
      evidence: { loss: options.loss, task: ctx.task },
      fix: "Use mse, mae or huber for a continuous target.",
    }];
  }
  return [];
}

function buildSymptoms(
  ctx: AuditContext,
  history: History | null,
  row: number,
  checks: QuantityCheck[],
): Symptoms {
  const logged = (split: "train" | "validation"): SplitMetrics | null => {
    if (!history) return null;
    const out: SplitMetrics = {};
    for (const key of history.keys) {
      const info = classifyKey(key);
      if (info.split === split) out[info.base] = history.values[key][row];
    }
    return Object.keys(out).length > 0 ? out : null;
  };
  const recomputed: Record<string, { definition: string; value: number } | null> = {};
  for (const c of checks) {
    recomputed[c.quantity] = c.best ? { definition: c.best.id, value: c.best.value } : null;
  }
  const lossKey = history?.keys.find((k) =>
    classifyKey(k).base === "loss" && classifyKey(k).split === "train"
  );
  const symptoms: Symptoms & { recomputed: typeof recomputed } = {
    initialLoss: lossKey ? history!.values[lossKey][0] : null,
    train: logged("train") ?? {},
    validation: logged("validation"),
    baseline: ctx.classes
      ? {
        majorityClassAccuracy: majorityClassAccuracy({
          data: Float64Array.from(ctx.classes),
          rows: ctx.rows,
          cols: 1,
        }),
      }
      : {},
    recomputed,
  };
  return symptoms;
}

function nonFiniteRows(m: { data: Float64Array; rows: number; cols: number }): number[] {
  const out: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      if (!Number.isFinite(m.data[r * m.cols + c])) {
        out.push(r + 1);
        break;
      }
    }
  }
  return out;
}

/** NaN/Inf (or missing) predictions: nothing can be recomputed; the run diverged. */
function divergedReport(
  options: AuditOptions & { labels: string; predictions: string },
  split: "train" | "validation",
  rows: number[],
  total: number,
  history: History | null,
  ms: number,
): Report {
  return {
    schema: "fitcheck.report/v1",
    tool: { name: "fitcheck", version: TOOL_VERSION },
    mode: "audit",
    adapter: null,
    scenario: null,
    summary: { status: "errors", primary: "non-finite-loss" },
    symptoms: null,
    history: history ? toHistoryEntries(history) : [],
    findings: [{
      code: "non-finite-loss",
      severity: "error",
      title: `${rows.length} of ${total} prediction rows hold NaN, Inf or an empty cell`,
      message: `The model outputs are not finite (first rows: ${
        rows.slice(0, 5).join(", ")
      }), so no loss or metric can be recomputed: the run diverged (or the file has empty cells).`,
      evidence: { nonFiniteRows: rows.length, firstRows: rows.slice(0, 20), file: options.predictions },
      fix: "Lower the learning rate, clip gradients, scale the inputs, and check the data for NaN/Inf.",
    }],
    consistency: [],
    timings: { totalMs: ms, trainMs: 0, diagnoseMs: 0 },
    audit: {
      files: { labels: options.labels, predictions: options.predictions, history: options.history ?? null },
      split,
    },
  };
}
