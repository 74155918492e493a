/**
 * `diagnose run`: one scenario from file to report. Runtime-neutral: the caller supplies the file
 * source and the GPU context (created on first use, so a skipped training needs no adapter).
 *
 * @module
 */
import { loadScenarioData, type ScenarioData } from "../data/load.ts";
import { orderFindings, summarize } from "../diagnose/order.ts";
import { checkModuleMetrics, consistencyFindings } from "../diagnose/metric_checks.ts";
import { InputError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import type { Matrix } from "../reference/matrix.ts";
import type { FileSource } from "../io.ts";
import { type Finding, type Report, TOOL_VERSION } from "../report/types.ts";
import { loadScenario } from "../scenario/load.ts";
import type { Scenario } from "../scenario/types.ts";
import type { LayerWeights } from "../train/records.ts";
import { analyse, type Analysis, type ModuleMetric } from "./analyse.ts";
import { planBudget } from "./budget.ts";
import type { MetricHost } from "./metric_sandbox.ts";
import { DEFAULT_BUDGET_S, type ProgressSink } from "./types.ts";
import { notVerified, verifyFindings } from "./verify.ts";

export interface RunScenarioOptions {
  source: FileSource;
  /** The GPU context, created on first call; the caller destroys it. */
  gpu: () => Promise<GpuContext>;
  epochs?: number;
  verify?: boolean;
  progress?: ProgressSink;
  /** Where `module` metrics run (a worker without permissions); required by scenarios that have one. */
  metricHost?: MetricHost;
  /** Time limit of each metric-module call, in ms (default 10 s). */
  metricTimeoutMs?: number;
  /** The diagnosis budget, seconds (src/app/budget.ts); default DEFAULT_BUDGET_S; null: none. */
  budget?: number | null;
  /** Start the (first) training from these parameters; `--verify` re-runs start fresh. */
  initialParameters?: LayerWeights[];
  /** Called with the loaded data before training (model import: the input width against the model's). */
  checkData?(data: ScenarioData): void;
}

/** Loads the scenario at `path` and diagnoses it. */
export async function runScenarioFile(path: string, options: RunScenarioOptions): Promise<Report> {
  const scenario = await loadScenario(path, options.source);
  return await runScenario(scenario, options);
}

/** Diagnoses a loaded scenario: the full `run` report. */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions): Promise<Report> {
  const started = performance.now();
  const data = await loadScenarioData(scenario, options.source);
  options.checkData?.(data);
  const moduleMetrics = await loadModuleMetrics(scenario, options);
  try {
    return await diagnoseScenario(scenario, data, moduleMetrics, options, started);
  } finally {
    for (const m of moduleMetrics.values()) m.close();
  }
}

async function diagnoseScenario(
  scenario: Scenario,
  data: ScenarioData,
  moduleMetrics: Map<string, ModuleMetric>,
  options: RunScenarioOptions,
  started: number,
): Promise<Report> {
  // A run too long for the budget trains on a stratified sample; the data detectors see all of it.
  const budget = await planBudget(scenario, data, {
    budgetS: options.budget === undefined ? DEFAULT_BUDGET_S : options.budget,
    gpu: options.gpu,
    epochs: options.epochs,
  });
  const epochs = budget.epochs ?? options.epochs;
  const base = { gpu: options.gpu, epochs, progress: options.progress, moduleMetrics };
  const analysis = await analyse(scenario, budget.data, {
    ...base,
    probes: true,
    source: options.source,
    initialParameters: options.initialParameters,
    ...(budget.report ? { dataChecksOn: data } : {}),
  });
  const findings = [
    ...analysis.findings,
    ...await moduleMetricFindings(analysis, moduleMetrics),
    ...consistencyFindings(analysis.consistency),
  ];
  let ordered = orderFindings(findings);
  let verifyMs = 0;
  if (options.verify) {
    const t = performance.now();
    ordered = await verifyFindings(ordered, analysis, {
      ...base,
      probes: false,
      phase: "verify",
      source: options.source,
    });
    verifyMs = performance.now() - t;
  }
  const ctx = analysis.records ? await options.gpu() : null;
  return {
    schema: "fitcheck.report/v1",
    tool: { name: "fitcheck", version: TOOL_VERSION },
    mode: "run",
    adapter: ctx?.adapter ?? null,
    scenario: { name: scenario.name, path: scenario.path },
    summary: summarize(ordered),
    symptoms: analysis.symptoms,
    history: analysis.history,
    findings: ordered,
    consistency: analysis.consistency,
    timings: {
      totalMs: Math.round(performance.now() - started),
      trainMs: Math.round(analysis.trainMs),
      diagnoseMs: Math.round(analysis.diagnoseMs + verifyMs),
    },
    task: analysis.data.task,
    training: analysis.skipped !== null ? { status: "skipped", reason: analysis.skipped } : {
      ...analysis.records!.phase,
      readbacksPerEpoch: analysis.records!.readbacksPerEpoch,
      ...(analysis.records!.earlyStopping ? { earlyStopping: analysis.records!.earlyStopping } : {}),
    },
    notes: analysis.data.notes,
    ...(budget.report ? { budget: budget.report } : {}),
    ...(analysis.perClass ? { perClass: analysis.perClass } : {}),
    ...(analysis.confusion ? { confusion: analysis.confusion } : {}),
    // Additive: what --verify did not retrain for, and why.
    ...(options.verify ? { verify: { notVerified: notVerified(ordered) } } : {}),
  };
}

/**
 * Starts every `module` metric in the sandbox the runtime provides; a module that fails to load (or
 * misbehaves while loading) is an InputError naming it. Without a sandbox, module metrics cannot run.
 */
async function loadModuleMetrics(
  scenario: Scenario,
  options: RunScenarioOptions,
): Promise<Map<string, ModuleMetric>> {
  const out = new Map<string, ModuleMetric>();
  try {
    for (const [i, m] of scenario.metrics.entries()) {
      if (!m.module) continue;
      if (!options.metricHost) {
        throw new InputError("module metrics cannot run here: no sandbox to run them in", {
          file: m.module,
          field: `metrics[${i}].module`,
        });
      }
      out.set(
        m.name,
        await options.metricHost.load(m.module, { metric: m.name, timeoutMs: options.metricTimeoutMs }),
      );
    }
  } catch (e) {
    for (const m of out.values()) m.close();
    throw e;
  }
  return out;
}

async function moduleMetricFindings(
  analysis: Analysis,
  modules: Map<string, ModuleMetric>,
): Promise<Finding[]> {
  if (modules.size === 0 || !analysis.records) return [];
  const inputs = [];
  for (const split of ["train", "validation"] as const) {
    const snap = analysis.records.predictions.filter((p) => p.split === split).at(-1);
    const t = split === "train" ? analysis.data.targets.train : analysis.data.targets.validation;
    if (!snap || !t) continue;
    for (const m of analysis.scenario.metrics) {
      const metric = m.module ? modules.get(m.name) : undefined;
      if (!metric) continue;
      const fn = (yTrue: Matrix, yPred: Matrix, call: string) => metric.call(yTrue, yPred, call);
      inputs.push({
        name: m.name,
        fn,
        yTrue: { data: t.values, rows: t.rows, cols: t.width },
        yPred: { data: snap.outputs, rows: snap.rows, cols: snap.cols },
        split,
        epoch: snap.epoch,
        threshold: m.threshold,
        seed: analysis.scenario.seed,
      });
    }
  }
  return await checkModuleMetrics(inputs);
}
