/**
 * Everything one training run needs, derived from a scenario and its loaded data: the model shape,
 * the initial weights, the data as matrices, the batch plan, the dropout seed and which metrics the
 * engine computes. The GPU trainer and the float64 reference trainer both run from a job, so they see
 * the same weights, batches and dropout masks.
 *
 * @module
 */
import { type BatchPlan, planBatches } from "../data/batches.ts";
import type { ScenarioData } from "../data/load.ts";
import type { Matrix } from "../reference/matrix.ts";
import { classWeights, rowWeights, targetClasses } from "../reference/class_weights.ts";
import { type EarlyStoppingSpec, monitorTarget } from "../reference/early_stopping.ts";
import { METRIC_NAMES, resolveAccuracy } from "../reference/metrics.ts";
import { InputError } from "../errors.ts";
import { Rng } from "../random.ts";
import type { Scenario } from "../scenario/types.ts";
import type { EngineMetric } from "./gpu_network.ts";
import { initialParameters, type ModelShape, modelShape } from "./model.ts";
import type { LayerWeights } from "./records.ts";
import { checkRawInput } from "../layers/mod.ts";

export interface TrainingJob {
  scenario: Scenario;
  shape: ModelShape;
  initial: LayerWeights[];
  train: { x: Matrix; y: Matrix };
  validation: { x: Matrix; y: Matrix } | null;
  plan: BatchPlan;
  epochs: number;
  dropoutSeed: number;
  metrics: EngineMetric[];
  /** Each training row's loss weight (`training.classWeight`), or null when unweighted. */
  rowWeights: Float64Array | null;
  /** The class weights behind `rowWeights` (class index → weight), or null. */
  classWeights: Float64Array | null;
  /**
   * `training.earlyStopping` with its monitor checked against the run, or null; `threshold` is the
   * monitored metric's decision threshold (0.5 unless the metric sets one).
   */
  earlyStopping: (EarlyStoppingSpec & { threshold: number }) | null;
}

/** The seed of every dropout mask of a run, from the scenario seed's "dropout" stream. */
export function dropoutSeed(seed: number): number {
  return Rng.fromSeed(seed).stream("dropout").uint32();
}

/**
 * The job of `scenario` on its loaded data; `epochs` overrides the scenario's. `initialParameters`
 * (model import, `--initial-weights`) replaces the initialiser's draw, one entry per parameter layer.
 */
export function trainingJob(
  scenario: Scenario,
  data: ScenarioData,
  options: { epochs?: number; initialParameters?: LayerWeights[] } = {},
): TrainingJob {
  const shape = modelShape(scenario, data.train.featureNames.length, data.train.rowShape);
  const y = data.targets.train;
  const matrices = (d: ScenarioData["train"], t: ScenarioData["targets"]["train"]) => ({
    x: { data: d.features, rows: d.rows, cols: d.featureNames.length },
    y: { data: t.values, rows: t.rows, cols: t.width },
  });
  const outputUnits = shape.layers[shape.layers.length - 1].outSize;
  checkSplitsRawInput(shape, data);
  const weights = classWeightsOf(
    scenario,
    data,
    { rows: y.rows, cols: y.width, data: y.values },
    outputUnits,
  );
  return {
    scenario,
    shape,
    initial: givenParameters(
      initialParameters(shape, scenario.model.init, scenario.seed),
      options.initialParameters,
    ),
    train: matrices(data.train, y),
    validation: data.validation && data.targets.validation
      ? matrices(data.validation, data.targets.validation)
      : null,
    plan: planBatches(data.train.rows, scenario.training, scenario.seed),
    epochs: options.epochs ?? scenario.training.epochs,
    dropoutSeed: dropoutSeed(scenario.seed),
    metrics: engineMetrics(scenario, y.width, outputUnits),
    rowWeights: weights?.rows ?? null,
    classWeights: weights?.classes ?? null,
    earlyStopping: checkedEarlyStopping(scenario, data.validation !== null),
  };
}

/** Token indices and the like: both splits checked against the first layer before any training. */
function checkSplitsRawInput(shape: ModelShape, data: ScenarioData): void {
  const split = data.validationSource.kind === "split" ? data.validationSource : null;
  for (
    const [d, rows] of [[data.train, split?.trainRows], [data.validation, split?.validationRows]] as const
  ) {
    if (!d) continue;
    checkRawInput(shape, { data: d.features, rows: d.rows, cols: d.featureNames.length }, {
      source: d.source,
      featureNames: d.featureNames,
      sourceRow: rows ? (r) => rows[r] : undefined,
    });
  }
}

/**
 * The class and row weights of `training.classWeight`, read from the encoded training targets as
 * Keras does; input errors name the field (weights need single-label class targets, one per class).
 */
function classWeightsOf(
  scenario: Scenario,
  data: ScenarioData,
  y: Matrix,
  outputUnits: number,
): { classes: Float64Array; rows: Float64Array } | null {
  const spec = scenario.training.classWeight;
  if (spec === undefined) return null;
  const where = { file: scenario.path, field: "training.classWeight" };
  if (data.task.task !== "binary" && data.task.task !== "multiclass") {
    throw new InputError(
      `class weights need single-label class targets (binary or multiclass); this task is ${data.task.task}`,
      where,
    );
  }
  const rowClasses = targetClasses(y);
  // As many classes as the outputs, the labels (one unit regressing indices 0..2) and at least two.
  const classes = rowClasses.reduce((m, c) => Math.max(m, c + 1), Math.max(outputUnits, 2));
  try {
    const w = classWeights(spec, rowClasses, classes);
    return { classes: w, rows: rowWeights(w, rowClasses) };
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message, where);
    throw e;
  }
}

/** `training.earlyStopping` when its monitor names a value the run logs ("val_" needs a validation split). */
function checkedEarlyStopping(
  scenario: Scenario,
  hasValidation: boolean,
): (EarlyStoppingSpec & { threshold: number }) | null {
  const spec = scenario.training.earlyStopping;
  if (spec === undefined) return null;
  const where = { file: scenario.path, field: "training.earlyStopping.monitor" };
  const { split, metric } = monitorTarget(spec.monitor);
  if (split === "validation" && !hasValidation) {
    throw new InputError(`"${spec.monitor}" monitors the validation split, and this run has none`, where);
  }
  const logged = ["loss", ...scenario.metrics.filter((m) => !m.module).map((m) => m.name)];
  if (
    !logged.includes(metric) || (metric !== "loss" && !(METRIC_NAMES as readonly string[]).includes(metric))
  ) {
    const names = logged.flatMap((n) => (hasValidation ? [n, `val_${n}`] : [n]));
    throw new InputError(
      `"${spec.monitor}" is not a logged value; monitor one of ${names.join(", ")}`,
      where,
    );
  }
  return { ...spec, threshold: scenario.metrics.find((m) => m.name === metric)?.threshold ?? 0.5 };
}

/**
 * The given starting parameters in place of the drawn ones, after checking that each has the shape the
 * model expects (a copy: the trainers mutate their parameters).
 */
function givenParameters(drawn: LayerWeights[], given: LayerWeights[] | undefined): LayerWeights[] {
  if (given === undefined) return drawn;
  if (given.length !== drawn.length) {
    throw new RangeError(`initial parameters for ${given.length} layers, the model has ${drawn.length}`);
  }
  return drawn.map((d, i) => {
    const g = given[i];
    if (g.inputs !== d.inputs || g.units !== d.units || g.weights.length !== d.weights.length) {
      throw new RangeError(
        `initial parameters of layer ${i + 1}: ${g.inputs}x${g.units}, the model has ${d.inputs}x${d.units}`,
      );
    }
    return { ...d, weights: Float64Array.from(g.weights), biases: Float64Array.from(g.biases) };
  });
}

/**
 * The scenario's metrics the GPU computes: the accuracies whose definition fits the shapes (a
 * categorical accuracy needs as many target columns as outputs, a sparse one a single column), and
 * the element-wise errors. The rest (precision, recall, f1, balanced accuracy, auc, r2, module
 * metrics) are computed in float64 from the predictions.
 */
export function engineMetrics(scenario: Scenario, targetWidth: number, outputUnits: number): EngineMetric[] {
  const out: EngineMetric[] = [];
  for (const m of scenario.metrics) {
    if (m.module) continue;
    let mode: "sparse" | "categorical" | "binary" | null = null;
    switch (m.name) {
      case "accuracy": {
        const kind = resolveAccuracy(targetWidth, outputUnits).kind;
        mode = kind === "sparse-categorical" ? "sparse" : kind;
        break;
      }
      case "binary-accuracy":
        mode = "binary";
        break;
      case "categorical-accuracy":
        mode = "categorical";
        break;
      case "sparse-categorical-accuracy":
        mode = "sparse";
        break;
      case "mae":
      case "mse":
      case "rmse":
        if (targetWidth === outputUnits) {
          out.push({
            name: m.name,
            kind: "elementwise",
            loss: m.name === "mae" ? "mae" : "mse",
            root: m.name === "rmse",
          });
        }
        continue;
      default:
        continue;
    }
    const fits = mode === "sparse" ? targetWidth === 1 : targetWidth === outputUnits;
    if (fits) out.push({ name: m.name, kind: "correct", mode, threshold: m.threshold });
  }
  return out;
}
