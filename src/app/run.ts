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
import type { FileSource } from "../io.ts";
import { type Finding, type Report, TOOL_VERSION } from "../report/types.ts";
import { loadScenario } from "../scenario/load.ts";
import type { Scenario } from "../scenario/types.ts";
import type { LayerWeights } from "../train/records.ts";
import { analyse, type Analysis, type ModuleMetric } from "./analyse.ts";
import type { ProgressSink } from "./types.ts";
import { verifyFindings } from "./verify.ts";

export interface RunScenarioOptions {
  source: FileSource;
  /** The GPU context, created on first call; the caller destroys it. */
  gpu: () => Promise<GpuContext>;
  epochs?: number;
  verify?: boolean;
  progress?: ProgressSink;
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
  const moduleMetrics = await loadModuleMetrics(scenario, options.source);
  const base = { gpu: options.gpu, epochs: options.epochs, progress: options.progress, moduleMetrics };
  const analysis = await analyse(scenario, data, {
    ...base,
    probes: true,
    initialParameters: options.initialParameters,
  });
  const findings = [
    ...analysis.findings,
    ...moduleMetricFindings(analysis, moduleMetrics),
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
    training: analysis.skipped !== null
      ? { status: "skipped", reason: analysis.skipped }
      : { ...analysis.records!.phase, readbacksPerEpoch: analysis.records!.readbacksPerEpoch },
    notes: analysis.data.notes,
    ...(analysis.perClass ? { perClass: analysis.perClass } : {}),
    ...(analysis.confusion ? { confusion: analysis.confusion } : {}),
  };
}

/** Loads every `module` metric; a missing export or a non-function is an input error naming the file. */
async function loadModuleMetrics(scenario: Scenario, source: FileSource): Promise<Map<string, ModuleMetric>> {
  const out = new Map<string, ModuleMetric>();
  for (const [i, m] of scenario.metrics.entries()) {
    if (!m.module) continue;
    const mod = await source.importModule(m.module);
    const fn = mod.default;
    if (typeof fn !== "function") {
      throw new InputError(`module metric must export a default function (yTrue, yPred) => number`, {
        file: m.module,
        field: `metrics[${i}].module`,
      });
    }
    out.set(m.name, fn as ModuleMetric);
  }
  return out;
}

function moduleMetricFindings(analysis: Analysis, modules: Map<string, ModuleMetric>): Finding[] {
  if (modules.size === 0 || !analysis.records) return [];
  const inputs = [];
  for (const split of ["train", "validation"] as const) {
    const snap = analysis.records.predictions.filter((p) => p.split === split).at(-1);
    const t = split === "train" ? analysis.data.targets.train : analysis.data.targets.validation;
    if (!snap || !t) continue;
    for (const m of analysis.scenario.metrics) {
      const fn = m.module ? modules.get(m.name) : undefined;
      if (!fn) continue;
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
  return checkModuleMetrics(inputs);
}
