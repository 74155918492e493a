/**
 * Applying one remedy (src/diagnose/finding.ts `Remedy`) to a scenario and its loaded data, for the
 * `--verify` re-run. Each application changes exactly one thing and says what, in the words the
 * report shows ("loss -> categorical-crossentropy").
 *
 * @module
 */
import { takeRows } from "../data/classes.ts";
import type { Dataset } from "../data/dataset.ts";
import { loadScenarioData, type ScenarioData } from "../data/load.ts";
import type { Remedy } from "../diagnose/finding.ts";
import { basename, type FileSource } from "../io.ts";
import type { Scenario } from "../scenario/types.ts";
import { reencode } from "./analyse.ts";
import type { Activation } from "../scenario/types.ts";
import { outputLayer } from "../layers/mod.ts";

export interface Remedied {
  scenario: Scenario;
  data: ScenarioData;
  change: string;
}

/** The scenario and data with `remedy` applied, or null when it does not apply to this setup. */
export async function applyRemedy(
  remedy: Remedy,
  scenario: Scenario,
  data: ScenarioData,
  source: FileSource,
): Promise<Remedied | null> {
  const layers = scenario.model.layers;
  const withOutput = (activation: Activation) => ({
    ...scenario.model,
    layers: layers.map((l, i) => (i === layers.length - 1 ? { ...outputLayer(layers), activation } : l)),
  });
  const scenarioOnly = (s: Scenario, change: string): Remedied => ({
    scenario: s,
    data: reencode(s, data),
    change,
  });
  switch (remedy.kind) {
    case "set-loss": {
      const loss = {
        ...scenario.loss,
        name: remedy.loss,
        fromLogits: remedy.fromLogits ?? scenario.loss.fromLogits,
      };
      const model = remedy.activation ? withOutput(remedy.activation) : scenario.model;
      const extra = remedy.activation ? `, output activation -> ${remedy.activation}` : "";
      return scenarioOnly({ ...scenario, loss, model }, `loss -> ${remedy.loss}${extra}`);
    }
    case "set-output-activation": {
      const loss = {
        ...scenario.loss,
        name: remedy.loss ?? scenario.loss.name,
        fromLogits: remedy.fromLogits ?? scenario.loss.fromLogits,
      };
      const extra = remedy.loss ? `, loss -> ${remedy.loss}` : "";
      return scenarioOnly(
        { ...scenario, model: withOutput(remedy.activation), loss },
        `output activation -> ${remedy.activation}${extra}`,
      );
    }
    case "set-from-logits":
      return scenarioOnly(
        { ...scenario, loss: { ...scenario.loss, fromLogits: remedy.fromLogits } },
        `fromLogits -> ${remedy.fromLogits}`,
      );
    case "set-reduction":
      return scenarioOnly(
        { ...scenario, loss: { ...scenario.loss, reduction: remedy.reduction } },
        `loss reduction -> ${remedy.reduction}`,
      );
    case "set-metric": {
      // A module metric replaced by the built-in of the same name must say which one it was.
      const module = scenario.metrics.find((m) => m.name === remedy.from)?.module;
      const from = module ? `${remedy.from} (${basename(module)})` : remedy.from;
      return scenarioOnly({
        ...scenario,
        metrics: scenario.metrics.map((m) =>
          m.name === remedy.from ? { name: remedy.to, threshold: remedy.threshold ?? m.threshold } : m
        ),
      }, `metric ${from} -> ${module ? "built-in " : ""}${remedy.to}`);
    }
    case "scale-learning-rate": {
      const lr = scenario.optimizer.learningRate * remedy.factor;
      return scenarioOnly(
        { ...scenario, optimizer: { ...scenario.optimizer, learningRate: lr } },
        `learning rate ${scenario.optimizer.learningRate} -> ${lr}`,
      );
    }
    case "random-init":
      return scenarioOnly(
        { ...scenario, model: { ...scenario.model, init: { kind: "glorot-uniform" } } },
        "init -> glorot-uniform",
      );
    case "shuffle": {
      const validation = scenario.validation?.kind === "split"
        ? { ...scenario.validation, shuffle: true }
        : scenario.validation;
      const s = { ...scenario, training: { ...scenario.training, shuffle: true }, validation };
      return {
        scenario: s,
        data: await loadScenarioData(s, source),
        change: "shuffle the training data (and the split)",
      };
    }
    case "stratify": {
      if (scenario.validation?.kind !== "split") return null;
      const s = { ...scenario, validation: { ...scenario.validation, shuffle: true, stratify: true } };
      return {
        scenario: s,
        data: await loadScenarioData(s, source),
        change: "stratified, shuffled validation split",
      };
    }
    case "drop-feature": {
      const keep = (d: Dataset) => dropColumns(d, remedy.columns);
      return withData(scenario, data, keep, `drop feature ${remedy.columns.join(", ")}`);
    }
    case "drop-non-finite-rows":
      return withData(scenario, data, dropNonFiniteRows, "drop rows with NaN or Inf");
    case "standardize-features":
      return standardizedFeatures(scenario, data);
    case "standardize-target": {
      const stats = columnMoments(data.train.targets, data.train.rows, data.train.targetNames.length);
      return withData(
        scenario,
        data,
        (d) => ({ ...d, targets: standardize(d.targets, d.targetNames.length, stats) }),
        "standardize the target (training mean and std)",
      );
    }
    case "fix-labels": {
      const map = new Map(remedy.mapping.map((m) => [m.from, m.to]));
      const fix = (d: Dataset) => ({ ...d, targets: d.targets.map((v) => map.get(v) ?? v) });
      return withData(
        scenario,
        data,
        fix,
        `relabel ${remedy.mapping.map((m) => `${m.from}→${m.to}`).join(", ")}`,
      );
    }
    case "class-weight": {
      if (scenario.training.classWeight !== undefined) return null;
      const s = { ...scenario, training: { ...scenario.training, classWeight: remedy.classWeight } };
      return scenarioOnly(s, `class weights -> ${remedy.classWeight}`);
    }
    case "early-stopping": {
      if (scenario.training.earlyStopping !== undefined || scenario.validation === null) return null;
      const earlyStopping = {
        monitor: remedy.monitor,
        patience: remedy.patience,
        minDelta: 0,
        restoreBestWeights: true,
        mode: "auto" as const,
      };
      const s = { ...scenario, training: { ...scenario.training, earlyStopping } };
      return scenarioOnly(
        s,
        `early stopping on ${remedy.monitor} (patience ${remedy.patience}, best weights restored)`,
      );
    }
    case "set-batchnorm-momentum": {
      const targets = remedy.layers.map((n) => layers[n - 1]);
      if (targets.some((l) => l?.type !== "batchnorm")) return null;
      const model = {
        ...scenario.model,
        layers: layers.map((
          l,
          i,
        ) => (remedy.layers.includes(i + 1) ? { ...l, momentum: remedy.momentum } : l)),
      };
      return scenarioOnly(
        { ...scenario, model },
        `batch-norm momentum -> ${remedy.momentum} (${remedy.layers.map((n) => `layer ${n}`).join(", ")})`,
      );
    }
    case "drop-duplicates": {
      if (!data.validation) return null;
      const seen = new Set<string>();
      for (let r = 0; r < data.train.rows; r++) seen.add(rowKey(data.train, r));
      const keep: number[] = [];
      for (let r = 0; r < data.validation.rows; r++) if (!seen.has(rowKey(data.validation, r))) keep.push(r);
      const validation = takeRows(data.validation, keep);
      const next = { ...data, validation, duplicated: [] };
      return {
        scenario,
        data: reencode(scenario, next),
        change: `drop ${data.validation.rows - keep.length} validation rows that repeat training rows`,
      };
    }
  }
}

/** The data with every feature standardized by the training split's mean and std. */
export function standardizedFeatures(scenario: Scenario, data: ScenarioData): Remedied {
  const stats = columnMoments(data.train.features, data.train.rows, data.train.featureNames.length);
  return withData(
    scenario,
    data,
    (d) => ({ ...d, features: standardize(d.features, d.featureNames.length, stats) }),
    "standardize features (training mean and std)",
  );
}

function withData(
  scenario: Scenario,
  data: ScenarioData,
  f: (d: Dataset) => Dataset,
  change: string,
): Remedied {
  const next = { ...data, train: f(data.train), validation: data.validation ? f(data.validation) : null };
  return { scenario, data: reencode(scenario, next), change };
}

function dropColumns(d: Dataset, columns: string[]): Dataset {
  const keep = d.featureNames.map((n, i) => [n, i] as const).filter(([n]) => !columns.includes(n));
  const F = d.featureNames.length;
  const features = new Float64Array(d.rows * keep.length);
  for (let r = 0; r < d.rows; r++) {
    keep.forEach(([, c], j) => (features[r * keep.length + j] = d.features[r * F + c]));
  }
  return { ...d, features, featureNames: keep.map(([n]) => n) };
}

function dropNonFiniteRows(d: Dataset): Dataset {
  const F = d.featureNames.length, T = d.targetNames.length;
  const keep: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    let ok = true;
    for (let c = 0; c < F && ok; c++) ok = Number.isFinite(d.features[r * F + c]);
    for (let c = 0; c < T && ok; c++) ok = Number.isFinite(d.targets[r * T + c]);
    if (ok) keep.push(r);
  }
  return takeRows(d, keep);
}

function rowKey(d: Dataset, r: number): string {
  const F = d.featureNames.length, T = d.targetNames.length;
  return [...d.features.subarray(r * F, (r + 1) * F), ...d.targets.subarray(r * T, (r + 1) * T)].join(",");
}

/** Mean and population std of each column over its finite values (std 0 is kept as 1). */
function columnMoments(data: Float64Array, rows: number, cols: number): { mean: number[]; std: number[] } {
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < cols; c++) {
    let n = 0, s = 0, ss = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * cols + c];
      if (Number.isFinite(v)) {
        n++;
        s += v;
        ss += v * v;
      }
    }
    const m = n > 0 ? s / n : 0;
    const sd = n > 0 ? Math.sqrt(Math.max(ss / n - m * m, 0)) : 0;
    mean.push(m);
    std.push(sd > 0 ? sd : 1);
  }
  return { mean, std };
}

function standardize(
  data: Float64Array,
  cols: number,
  stats: { mean: number[]; std: number[] },
): Float64Array {
  return data.map((v, i) => (v - stats.mean[i % cols]) / stats.std[i % cols]);
}
