/**
 * One analysis of a scenario: load and check the data, check the setup, train on the GPU with every
 * epoch's numbers checked against float64, run the training detectors, and collect what the report
 * shows. `--verify` runs this again with one remedy applied; the report is assembled in run.ts.
 *
 * @module
 */
import { encodeTargets } from "../data/targets.ts";
import type { ScenarioData } from "../data/load.ts";
import {
  checkBatchNormConsistency,
  checkEpochConsistency,
  checkPenaltyConsistency,
} from "../diagnose/consistency.ts";
import { pendingClaim, scoreOf, testGap, testProbe, testSignal } from "../diagnose/claims.ts";
import { diagnoseData, imbalanceBehindCollapse, SIGNAL_MARGIN } from "../diagnose/data.ts";
import { remedyOf } from "../diagnose/finding.ts";
import { regularizedKernels } from "../layers/mod.ts";
import { diagnoseSetup } from "../diagnose/setup.ts";
import { summarizeTargets } from "../diagnose/targets.ts";
import { diagnoseTraining, doubleSoftmaxEvidence, type TrainingProbes } from "../diagnose/training.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { Matrix } from "../reference/matrix.ts";
import {
  computeMetric,
  confusionMatrix,
  majorityClassAccuracy,
  METRIC_NAMES,
  type MetricName,
  perClassMetrics,
  resolveAccuracy,
} from "../reference/metrics.ts";
import { lossPerRow, reduceLoss } from "../reference/losses.ts";
import type {
  ConfusionReport,
  ConsistencyEntry,
  Finding,
  HistoryEntry,
  PerClassReport,
  SplitMetrics,
  Symptoms,
} from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";
import { type TrainingJob, trainingJob } from "../train/job.ts";
import type { LayerWeights, TrainingRecords } from "../train/records.ts";
import { type EpochReadback, type SplitReadback, trainOnGpu } from "../train/train.ts";
import type { SandboxedMetric } from "./metric_sandbox.ts";
import { applyRemedy, standardizedFeatures } from "./remedies.ts";
import type { FileSource } from "../io.ts";
import type { ProgressSink } from "./types.ts";
import { outputLayer } from "../layers/mod.ts";

/** A user metric loaded from a `module` file, running in its sandbox (./metric_sandbox.ts). */
export type ModuleMetric = SandboxedMetric;

export interface AnalyseOptions {
  gpu: () => Promise<GpuContext>;
  epochs?: number;
  progress?: ProgressSink;
  phase?: "train" | "verify";
  /** Loaded `module` metrics by metric name. */
  moduleMetrics: Map<string, ModuleMetric>;
  /**
   * Run the probes (not during --verify re-runs): the capacity probe when the run looks underfit,
   * and the counterfactual re-training that tests a finding's harm claim.
   */
  probes: boolean;
  /** Reads files a remedy may need (a re-split); claim probes that need one are skipped without it. */
  source?: FileSource;
  /** The full data, when `data` is the budget's sample (src/app/budget.ts): the data checks read it. */
  dataChecksOn?: ScenarioData;
  /** Start from these parameters instead of the initialiser's (model import, `--initial-weights`). */
  initialParameters?: LayerWeights[];
}

export interface Analysis {
  scenario: Scenario;
  data: ScenarioData;
  findings: Finding[];
  records: TrainingRecords | null;
  skipped: string | null;
  symptoms: Symptoms;
  history: HistoryEntry[];
  consistency: ConsistencyEntry[];
  perClass?: PerClassReport;
  confusion?: ConfusionReport;
  trainMs: number;
  diagnoseMs: number;
}

const CLASSIFICATION = new Set(["binary", "multiclass"]);

/** Analyses `scenario` on `data` (already loaded, possibly changed by a remedy). */
export async function analyse(
  scenario: Scenario,
  data: ScenarioData,
  options: AnalyseOptions,
): Promise<Analysis> {
  const t0 = performance.now();
  const task = data.task;
  const outputUnits = outputLayer(scenario.model.layers).units;
  const targetsSummary = summarizeTargets(data.train);
  const accuracy = resolveAccuracy(data.targets.train.width, outputUnits);
  const findings: Finding[] = [
    ...diagnoseSetup({ scenario, task, targets: targetsSummary, accuracy }),
    ...diagnoseData({
      train: (options.dataChecksOn ?? data).train,
      validation: (options.dataChecksOn ?? data).validation,
      task,
      scenario,
    }),
  ];
  const skipped = data.targets.train.undefinedReason ?? data.targets.validation?.undefinedReason ?? null;
  const job = trainingJob(scenario, data, {
    epochs: options.epochs,
    initialParameters: options.initialParameters,
  });
  const baseline = baselineOf(job, task.task);
  const t1 = performance.now();
  if (skipped !== null) {
    return {
      scenario,
      data,
      findings,
      records: null,
      skipped,
      symptoms: { initialLoss: null, train: {}, validation: null, baseline },
      history: [],
      consistency: [],
      trainMs: 0,
      diagnoseMs: t1 - t0,
    };
  }

  const ctx = await options.gpu();
  const consistency: ConsistencyEntry[] = [];
  const hostHistory = new Map<number, { train: SplitMetrics; validation: SplitMetrics | null }>();
  // Module metrics are reported for the last epoch only: each call crosses into the sandbox.
  let lastOutputs: { epoch: number; splits: ["train" | "validation", Matrix, Matrix][] } | null = null;
  // Checked against the final weights after training; an early stop never reaches epoch job.epochs,
  // and its final weights may be the restored best ones, so then there is nothing to compare.
  const finalPenalties: { split: "train" | "validation"; penalty: { value: number; kernels: number } }[] = [];
  const onEpoch = (e: EpochReadback) => {
    const splits: ["train" | "validation", SplitReadback | null, Matrix | null][] = [
      ["train", e.train, job.train.y],
      ["validation", e.validation, job.validation?.y ?? null],
    ];
    const host: { train: SplitMetrics; validation: SplitMetrics | null } = { train: {}, validation: null };
    lastOutputs = { epoch: e.epoch, splits: [] };
    for (const [split, r, y] of splits) {
      if (!r || !y) continue;
      lastOutputs.splits.push([split, y, r.outputs]);
      consistency.push(
        ...checkEpochConsistency(
          {
            epoch: e.epoch,
            split,
            engine: r.engine,
            outputs: r.outputs,
            targets: y,
            rowWeights: split === "train" ? job.rowWeights : null,
            penalty: r.penalty,
          },
          scenario,
        ),
      );
      // The penalty itself, on the weights known: the initial ones here, the final ones after training.
      if (r.penalty && e.epoch === 0) {
        consistency.push(
          checkPenaltyConsistency(0, split, r.penalty, regularizedKernels(job.shape, job.initial)),
        );
      }
      if (r.penalty && e.epoch === job.epochs) finalPenalties.push({ split, penalty: r.penalty });
      const values = hostMetrics(scenario, engineNames(job), y, r.outputs);
      if (split === "train") host.train = values;
      else host.validation = values;
    }
    hostHistory.set(e.epoch, host);
    if (e.epoch > 0) {
      options.progress?.({
        phase: options.phase ?? "train",
        epoch: e.epoch,
        epochs: job.epochs,
        loss: e.train.engine.loss ?? undefined,
        metrics: {
          train: { ...e.train.engine, ...host.train },
          validation: e.validation ? { ...e.validation.engine, ...host.validation } : null,
        },
      });
    }
  };
  const records = await trainOnGpu(ctx, {
    ...job,
    loss: scenario.loss,
    optimizer: scenario.optimizer,
    onEpoch,
  });
  if (lastOutputs) await addModuleMetrics(scenario, options.moduleMetrics, lastOutputs, hostHistory);
  const t2 = performance.now();
  for (const { split, penalty } of finalPenalties) {
    const kernels = regularizedKernels(job.shape, records.finalWeights);
    consistency.push(checkPenaltyConsistency(job.epochs, split, penalty, kernels));
  }
  if (records.phase.status === "completed") {
    consistency.push(
      ...checkBatchNormConsistency(records.batchNorm ?? [], job.train.x, (e) => job.plan.epoch(e)),
    );
  }

  const history: HistoryEntry[] = records.history.map((h) => ({
    epoch: h.epoch,
    train: { ...h.train, ...hostHistory.get(h.epoch)?.train },
    validation: h.validation ? { ...h.validation, ...hostHistory.get(h.epoch)?.validation } : null,
  }));
  const last = history[history.length - 1];
  const symptoms: Symptoms = {
    initialLoss: records.initialLoss,
    train: last?.train ?? {},
    validation: last?.validation ?? null,
    baseline,
  };
  const targets = { train: job.train.y, validation: job.validation?.y ?? null };
  const metrics = scenario.metrics.map((m) => ({
    name: m.name,
    definition: m.name === "accuracy" ? `${accuracy.kind}-accuracy: ${accuracy.reason}` : m.name,
  }));
  let probes: TrainingProbes | undefined;
  if (options.probes && looksUnderfit(task.task, symptoms) && !findings.some((f) => f.severity === "error")) {
    probes = { capacity: await capacityProbe(scenario, data, options) };
  }
  const trainingContext = { scenario, task: task.task, targets, records, metrics, probes };
  const training = diagnoseTraining(trainingContext);
  // The setup finding says why a double softmax hurts; the run shows it happened: output rows that sum
  // to 1, and the gradient at the logits against what a single softmax would have given.
  const doubleSoftmax = findings.find((f) => f.code === "double-softmax");
  const seen = doubleSoftmax ? doubleSoftmaxEvidence(trainingContext) : null;
  if (doubleSoftmax && seen) doubleSoftmax.evidence = { ...doubleSoftmax.evidence, training: seen };
  findings.push(...training);
  await settleDataClaims(findings, { scenario, data, symptoms, records, options });
  // A collapse onto the majority class is what a mild imbalance does; a single unrecalled class among
  // well-learned ones (accuracy-hides-class-failure) points at that class's overlap, not the counts.
  const collapsed = training.some((f) => f.code === "majority-class-collapse");
  if (collapsed && !findings.some((f) => f.code === "class-imbalance")) {
    const cause = imbalanceBehindCollapse({ train: data.train, validation: data.validation, task, scenario });
    if (cause) findings.push(cause);
  }

  const classes = CLASSIFICATION.has(task.task) ? classReports(job, records, data) : {};
  return {
    scenario,
    data,
    findings,
    records,
    skipped: null,
    symptoms,
    history,
    consistency,
    ...classes,
    trainMs: t2 - t1,
    diagnoseMs: (t1 - t0) + (performance.now() - t2),
  };
}

/** The metrics the GPU computes for this job (job.ts decides by shape). */
function engineNames(job: TrainingJob): Set<string> {
  return new Set(job.metrics.map((m) => m.name));
}

/** Metrics the engine does not compute, in float64 from the read-back predictions. */
function hostMetrics(
  scenario: Scenario,
  engine: Set<string>,
  y: Matrix,
  outputs: Matrix,
): SplitMetrics {
  const out: SplitMetrics = {};
  for (const m of scenario.metrics) {
    if (m.module) continue;
    if (!(METRIC_NAMES as readonly string[]).includes(m.name)) continue;
    const name = m.name as MetricName;
    if (engine.has(name)) continue;
    out[name] = metricOrNull(name, y, outputs, m.threshold);
  }
  return out;
}

/**
 * A reference metric, or null when it is undefined for these shapes (r2 of one class-index column
 * against three outputs, say): a metric the user asked for that cannot be computed is reported as
 * missing, not as a crash.
 */
function metricOrNull(name: MetricName, y: Matrix, outputs: Matrix, threshold: number): number | null {
  try {
    const v = computeMetric(name, y, outputs, { threshold }).value;
    return Number.isFinite(v) ? v : null;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/**
 * The module metrics of the last epoch, called in their sandbox; a non-finite number is reported as
 * missing (null), anything but a number stops the run (an InputError from the sandbox).
 */
async function addModuleMetrics(
  scenario: Scenario,
  modules: Map<string, ModuleMetric>,
  last: { epoch: number; splits: ["train" | "validation", Matrix, Matrix][] },
  hostHistory: Map<number, { train: SplitMetrics; validation: SplitMetrics | null }>,
): Promise<void> {
  const host = hostHistory.get(last.epoch);
  if (!host) return;
  for (const [split, y, outputs] of last.splits) {
    const values = split === "train" ? host.train : (host.validation ??= {});
    for (const m of scenario.metrics) {
      const metric = m.module ? modules.get(m.name) : undefined;
      if (!metric) continue;
      const v = await metric.call(y, outputs, `${split} predictions after epoch ${last.epoch}`);
      values[m.name] = Number.isFinite(v) ? v : null;
    }
  }
}

/** What an untrained guess scores: the majority class, or predicting the mean for regression. */
function baselineOf(job: TrainingJob, task: string): Symptoms["baseline"] {
  const y = job.validation?.y ?? job.train.y;
  if (CLASSIFICATION.has(task)) return { majorityClassAccuracy: majorityClassAccuracy(y) };
  if (task === "regression") {
    const mean = new Float64Array(job.train.y.cols);
    for (let r = 0; r < job.train.y.rows; r++) {
      for (let c = 0; c < mean.length; c++) {
        mean[c] += job.train.y.data[r * mean.length + c] / job.train.y.rows;
      }
    }
    const pred = {
      rows: y.rows,
      cols: y.cols,
      data: new Float64Array(y.rows * y.cols).map((_, i) => mean[i % y.cols]),
    };
    const loss = job.scenario.loss;
    if (loss.name === "mse" || loss.name === "mae" || loss.name === "huber") {
      return {
        meanPredictorLoss: reduceLoss(
          lossPerRow({ name: loss.name, fromLogits: false, delta: loss.delta }, y, pred),
          "mean",
        ),
      };
    }
  }
  return {};
}

/**
 * Poor enough to ask whether capacity is the limit: classification accuracy below 0.9 or
 * regression R² below 0.8 on the training split at the end.
 */
function looksUnderfit(task: string, s: Symptoms): boolean {
  const acc = s.train.accuracy ?? s.train["categorical-accuracy"] ?? s.train["sparse-categorical-accuracy"] ??
    s.train["binary-accuracy"];
  if (CLASSIFICATION.has(task)) return typeof acc === "number" && acc < 0.9;
  if (task === "regression") return typeof s.train.r2 === "number" && s.train.r2 < 0.8;
  return false;
}

/**
 * The capacity probe: the same data, loss and epochs with two 64-unit ReLU hidden layers before the
 * scenario's output layer, Adam at 1e-3 (Keras's default). If that does much better, the original
 * model lacked capacity or nonlinearity.
 */
async function capacityProbe(
  scenario: Scenario,
  data: ScenarioData,
  options: AnalyseOptions,
): Promise<TrainingProbes["capacity"]> {
  const output = outputLayer(scenario.model.layers);
  const probe: Scenario = {
    ...scenario,
    model: {
      layers: [{ type: "dense", units: 64, activation: "relu", dropout: 0 }, {
        type: "dense",
        units: 64,
        activation: "relu",
        dropout: 0,
      }, {
        ...output,
        dropout: 0,
      }],
      init: { kind: "glorot-uniform" },
    },
    optimizer: { name: "adam", learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    metrics: [
      ...scenario.metrics.filter((m) => !m.module),
      ...(data.task.task === "regression" && !scenario.metrics.some((m) => m.name === "r2")
        ? [{ name: "r2", threshold: 0.5 }]
        : []),
    ],
  };
  const result = await analyseTrainingOnly(probe, data, options);
  return { ...result, description: "two 64-unit ReLU hidden layers, adam 1e-3, same data, loss and epochs" };
}

async function analyseTrainingOnly(scenario: Scenario, data: ScenarioData, options: AnalyseOptions) {
  const job = trainingJob(scenario, data, { epochs: options.epochs });
  const ctx = await options.gpu();
  let final: { train: SplitMetrics; validation: SplitMetrics | null } = { train: {}, validation: null };
  const engine = engineNames(job);
  await trainOnGpu(ctx, {
    ...job,
    loss: scenario.loss,
    optimizer: scenario.optimizer,
    onEpoch: (e) => {
      const train = {
        ...e.train.engine,
        ...hostMetrics(scenario, engine, job.train.y, e.train.outputs),
      };
      const validation = e.validation && job.validation
        ? {
          ...e.validation.engine,
          ...hostMetrics(scenario, engine, job.validation.y, e.validation.outputs),
        }
        : null;
      final = { train, validation };
    },
  });
  return final;
}

/**
 * Tests the harm claims data findings made before training (src/diagnose/claims.ts), in place:
 * `insufficient-data` on this run's train/validation gap; a scale claim of `unscaled-features` by
 * re-training briefly on standardized features (the same epochs, the capacity probe's way); any other
 * claim (the Brier score's) by re-training with the finding's own remedy. Probes are skipped in
 * `--verify` re-runs, where the claim then stays an untested note.
 */
async function settleDataClaims(
  findings: Finding[],
  run: {
    scenario: Scenario;
    data: ScenarioData;
    symptoms: Symptoms;
    records: TrainingRecords | null;
    options: AnalyseOptions;
  },
): Promise<void> {
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i];
    if (!pendingClaim(f)) continue;
    if (f.code === "insufficient-data") findings[i] = testGap(f, run.symptoms, run.data.validation?.rows);
    else if (f.code === "label-noise") findings[i] = testSignal(f, run.symptoms, SIGNAL_MARGIN);
    else if (run.options.probes) {
      // The counterfactual: the finding's own remedy, applied alone, trained for the same epochs.
      const remedy = remedyOf(f);
      const changed = f.code === "unscaled-features"
        ? standardizedFeatures(run.scenario, run.data)
        : remedy && run.options.source
        ? await applyRemedy(remedy, run.scenario, run.data, run.options.source)
        : null;
      if (!changed) continue;
      // Regression is scored by R² (scale-free, so a standardized target compares with the raw one).
      const regression = run.data.task.task === "regression";
      const probe = regression && !changed.scenario.metrics.some((m) => m.name === "r2")
        ? { ...changed.scenario, metrics: [...changed.scenario.metrics, { name: "r2", threshold: 0.5 }] }
        : changed.scenario;
      const after = await analyseTrainingOnly(probe, changed.data, run.options);
      // Losses compare only under the same loss function and target scale; else judged by score.
      const sameLoss = JSON.stringify(changed.scenario.loss) === JSON.stringify(run.scenario.loss) &&
        remedy?.kind !== "standardize-target";
      const side = (s: { train: SplitMetrics; validation: SplitMetrics | null }) => {
        const split = s.validation ?? s.train;
        const loss = split.loss;
        return {
          score: scoreOf(split),
          loss: sameLoss && typeof loss === "number" && Number.isFinite(loss) ? loss : null,
        };
      };
      const before = side(run.symptoms);
      if (regression && before.score === null && run.records) before.score = finalR2(run.records, run.data);
      findings[i] = testProbe(
        f,
        before,
        side(after),
        `${changed.change}, re-trained for the same ${run.scenario.training.epochs} epochs`,
      );
    }
  }
}

/** R² of the last snapshot (validation, else train) of a regression run, or null when not finite. */
function finalR2(records: TrainingRecords, data: ScenarioData): number | null {
  const snap = records.predictions.filter((p) => p.split === "validation").at(-1) ??
    records.predictions.filter((p) => p.split === "train").at(-1);
  if (!snap) return null;
  const t = snap.split === "validation" ? data.targets.validation : data.targets.train;
  if (!t) return null;
  const v = metricOrNull(
    "r2",
    { data: t.values, rows: t.rows, cols: t.width },
    { data: snap.outputs, rows: snap.rows, cols: snap.cols },
    0.5,
  );
  return v;
}

/** Per-class precision / recall and the confusion matrix of the last snapshot of the validation split (else train). */
function classReports(
  job: TrainingJob,
  records: TrainingRecords,
  data: ScenarioData,
): { perClass?: PerClassReport; confusion?: ConfusionReport } {
  const split = job.validation ? "validation" : "train";
  const snaps = records.predictions.filter((p) => p.split === split);
  const snap = snaps[snaps.length - 1];
  if (!snap) return {};
  const y = split === "validation" ? job.validation!.y : job.train.y;
  const outputs = { rows: snap.rows, cols: snap.cols, data: snap.outputs };
  const cm = confusionMatrix(y, outputs);
  const per = perClassMetrics(y, outputs);
  const k = cm.rows;
  const labels = Array.from({ length: k }, (_, i) => data.train.classNames?.[i] ?? String(i));
  const matrix = Array.from({ length: k }, (_, i) => Array.from(cm.data.subarray(i * k, (i + 1) * k)));
  return {
    perClass: {
      split,
      epoch: snap.epoch,
      classes: labels.map((label, i) => ({
        label,
        support: per.support[i],
        precision: Number.isFinite(per.precision[i]) ? per.precision[i] : null,
        recall: Number.isFinite(per.recall[i]) ? per.recall[i] : null,
      })),
    },
    confusion: { split, epoch: snap.epoch, labels, matrix },
  };
}

/** Re-encodes the targets after a remedy changed the data or the loss. */
export function reencode(scenario: Scenario, data: ScenarioData): ScenarioData {
  const units = outputLayer(scenario.model.layers).units;
  return {
    ...data,
    targets: {
      train: encodeTargets(data.train, scenario.loss, units, {
        location: { file: scenario.path, field: "model.layers" },
      }),
      validation: data.validation
        ? encodeTargets(data.validation, scenario.loss, units, {
          location: { file: scenario.path, field: "model.layers" },
        })
        : null,
    },
  };
}
