/**
 * Data detectors: what is wrong with the training and validation data themselves, found without
 * training. Pure functions of the loaded Datasets (and, in run mode, the scenario's loss, batching and
 * split); every O(n²) check runs on a seeded sample.
 *
 * Thresholds, and where they come from:
 * - class imbalance: rarest / commonest < 0.1, Deepchecks `ClassImbalance` default condition (the same
 *   9:1 as evalml's class-imbalance data check).
 * - train-validation overlap: > 5 % of validation rows found in training, Deepchecks
 *   `TrainTestSamplesMix` default `max_ratio`.
 * - split shift: Cramér's V ≥ 0.15 (Deepchecks `LabelDrift` default for categorical labels) or KS
 *   D ≥ 0.15 for continuous targets, each also significant at p < 0.001 so a small split cannot
 *   trigger it by chance.
 * - leakage: Deepchecks `FeatureLabelCorrelation` flags a predictive power score ≥ 0.8; we only speak of
 *   leakage when one column alone is near perfect out of sample (leave-one-out accuracy ≥ 0.99 with
 *   ≥ 0.9 of the skill left above the majority baseline, or R² ≥ 0.99), significant against a random
 *   column (binomial p < 0.001 / features), and call it an error when the column is (nearly) a function
 *   of the label: η² ≥ 0.99 (two well-separated healthy blobs would need a 20 σ gap to reach it).
 * - unscaled features / target: column RMS > 10 or column std ratio > 100. LeCun et al., "Efficient
 *   BackProp" (1998) §4.3 asks for zero-mean, unit-variance inputs; with Glorot init a pre-activation's
 *   std is about the input RMS, so RMS 10 saturates tanh/sigmoid and multiplies first-layer gradients
 *   by 10; a 100× std ratio means one learning rate cannot suit all columns.
 * - label noise: a label is "confidently contradicted" when ≥ 70 % of its 10 nearest neighbours share
 *   another label (the k-NN consistency check behind cleanlab-style and Deepchecks `ConflictingLabels`
 *   reasoning); a warning when ≥ 10 % of rows are, or ≥ 1 % sit in identical rows with different labels
 *   (Deepchecks allows none; 1 % leaves room for naturally discrete features).
 * - unshuffled data: label changes between consecutive rows < 25 % of what a random order gives
 *   (expected (n-1)(1-Σp²)), or |Spearman(row, target)| ≥ 0.9 for regression, with n ≥ 20.
 * - insufficient data: a class with < 10 training rows, fewer than 5 rows of the rarest class per
 *   feature (the events-per-variable rule of Peduzzi et al. 1996, in its relaxed form of Vittinghoff &
 *   McCulloch 2007), or rows ≤ features + 1 (any labelling is then linearly separable: the VC dimension
 *   of hyperplanes in R^d is d + 1).
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { Rng } from "../random.ts";
import type { Finding } from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";
import { makeFinding, sig } from "./finding.ts";
import {
  contradictedLabels,
  correlationRatio,
  looNearestAccuracy,
  looNearestAccuracyWithout,
  looNearestR2,
  pearson,
} from "./_neighbours.ts";
import {
  binomialUpperTail,
  columnStats,
  homogeneity,
  ksTwoSample,
  median,
  modeShare,
  rowKey,
  sampleRows,
} from "./_stats.ts";
import { GAP_SCORE, untestedClaim } from "./claims.ts";
import type { TaskInfo } from "./setup.ts";
import { classCounts, classIndices, summarizeTargets } from "./targets.ts";
import { countParameters, outputLayer, readsRawValues } from "../layers/mod.ts";

/** Everything the data detectors look at. */
export interface DataContext {
  train: Dataset;
  validation: Dataset | null;
  task: TaskInfo;
  /** Run mode: the scenario (loss, batching, split, model size). Absent in `diagnose data`. */
  scenario?: Scenario;
  /** Seed of the sampling; defaults to the scenario's seed, else 0. */
  seed?: number;
}

const PROBABILITY_LOSSES = [
  "binary-crossentropy",
  "categorical-crossentropy",
  "sparse-categorical-crossentropy",
];
/** Rows sampled for the O(n²) neighbour checks (and the leave-one-out scans). */
const NEIGHBOUR_SAMPLE = 1500;
const LEAKAGE_SAMPLE = 5000;

/**
 * Runs every data detector.
 *
 * @example
 * ```ts
 * const findings = diagnoseData({ train, validation, task: { task: "multiclass", inferred: false, reason: "given" } });
 * ```
 */
export function diagnoseData(ctx: DataContext): Finding[] {
  const rng = Rng.fromSeed(ctx.seed ?? ctx.scenario?.seed ?? 0).stream("diagnose-data");
  const out: Finding[] = [];
  const push = (f: Finding | null) => {
    if (f) out.push(f);
  };
  push(nonFiniteData(ctx));
  const labels = labelsNotClassIndices(ctx);
  push(labels);
  const labelsOk = labels === null || labels.severity !== "error";
  push(unscaledFeatures(ctx));
  push(unscaledTarget(ctx));
  if (labelsOk) {
    push(classImbalance(ctx));
    push(leakage(ctx, rng.stream("leakage")));
    push(splitShift(ctx));
    push(unshuffled(ctx));
    push(labelNoise(ctx, rng.stream("label-noise")));
    push(insufficientData(ctx));
  }
  push(overlap(ctx));
  return out;
}

function isClassification(ctx: DataContext): boolean {
  return ctx.task.task !== "regression";
}

/**
 * Whether a row is an image or a sequence (model.input.shape, or the file's rows, of rank > 1): its
 * values are positions of one signal, not independent features.
 */
function structuredRows(ctx: DataContext): boolean {
  return (ctx.scenario?.model.input?.shape.length ?? ctx.train.rowShape?.length ?? 1) > 1;
}

function singleLabel(ctx: DataContext): boolean {
  return ctx.task.task === "binary" || ctx.task.task === "multiclass";
}

function nonFiniteData(ctx: DataContext): Finding | null {
  const columns: Record<string, unknown>[] = [];
  let first: { split: string; row: number; column: string } | null = null;
  let total = 0;
  for (const [split, ds] of [["train", ctx.train], ["validation", ctx.validation]] as const) {
    if (!ds) continue;
    for (
      const [kind, data, names] of [["feature", ds.features, ds.featureNames], [
        "target",
        ds.targets,
        ds.targetNames,
      ]] as const
    ) {
      for (let c = 0; c < names.length; c++) {
        const s = columnStats(data, ds.rows, names.length, c);
        const bad = s.nan + s.posInf + s.negInf;
        if (bad === 0) continue;
        total += bad;
        columns.push({
          split,
          column: names[c],
          kind,
          nan: s.nan,
          posInf: s.posInf,
          negInf: s.negInf,
          firstRow: s.firstNonFiniteRow + 1,
        });
        if (!first || (split === "train" && first.split !== "train")) {
          first = { split, row: s.firstNonFiniteRow + 1, column: names[c] };
        }
      }
    }
  }
  if (total === 0) return null;
  return makeFinding("non-finite-data", {
    title: `${total} NaN or infinite value${total === 1 ? "" : "s"} in the data`,
    message: `The data hold ${total} non-finite value${total === 1 ? "" : "s"} (first: ${first!.split} row ${
      first!.row
    }, column "${
      first!.column
    }"). One NaN in a batch makes that batch's loss and gradients NaN, and the weights NaN after the update.`,
    evidence: { columns, firstNonFinite: first },
    fix: "drop or impute the rows with NaN/Inf before training",
    remedy: { kind: "drop-non-finite-rows" },
  });
}

function labelsNotClassIndices(ctx: DataContext): Finding | null {
  const loss = ctx.scenario?.loss.name;
  const classLoss = loss !== undefined && PROBABILITY_LOSSES.includes(loss);
  if (!isClassification(ctx) && !classLoss) return null;
  const t = summarizeTargets(ctx.train);
  if (t.finite === 0) return null;
  const multilabel = ctx.task.task === "multilabel";
  const units = ctx.scenario ? outputLayer(ctx.scenario.model.layers).units : undefined;
  let problem: string | null = null;
  let severity: "error" | "warning" = "error";
  if (t.columns > 1) {
    if (multilabel ? (t.min < 0 || t.max > 1) : !(t.oneHot || t.rowsSumToOne)) {
      problem = multilabel
        ? `multi-label targets must be 0/1 (or probabilities), but they span [${sig(t.min)}, ${sig(t.max)}]`
        : "the target rows are neither one-hot nor probability rows summing to 1";
    }
  } else if (!t.integer) problem = "the class labels are not integers";
  else if (t.min < 0) problem = `the class labels include negative values (min ${t.min})`;
  else if (ctx.task.task === "binary" && t.max > 1) {
    problem = `binary labels must be 0 and 1, but they go up to ${t.max}`;
  } else if (units !== undefined && units > 1 && t.max >= units) {
    problem = `labels go up to ${t.max}, but the output has ${units} units (classes 0..${units - 1})`;
  } else if (t.min > 0) {
    problem = `no label 0: the labels start at ${t.min}, so class indices 0..${t.min - 1} are empty`;
    severity = "warning";
  }
  if (problem === null) return null;
  const counts = new Map<number, number>();
  for (const v of t.values.data) {
    if (Number.isFinite(v)) counts.set(v === 0 ? 0 : v, (counts.get(v) ?? 0) + 1);
  }
  const distinct = t.distinct.slice(0, 20).map((v) => ({ value: sig(v, 6), rows: counts.get(v) ?? 0 }));
  const interpretation = interpretLabels(t.distinct, t.distinctCount, t.mean, t.std, t.columns);
  const mapping = t.columns === 1 && t.distinctCount <= 50
    ? t.distinct.map((v, i) => ({ from: v, to: i }))
    : null;
  return makeFinding("labels-not-class-indices", {
    severity,
    title: "class targets are not class indices",
    message: `${problem}${
      interpretation ? ` (${interpretation})` : ""
    }. Class losses expect indices 0..C-1 or one-hot rows${
      t.columns === 1 && !t.integer
        ? "; one-hot encoding truncates non-integers, merging and shifting classes"
        : ""
    }.`,
    evidence: {
      distinctValues: distinct,
      distinctCount: t.distinctCount,
      mean: sig(t.mean),
      std: sig(t.std),
      min: sig(t.min),
      max: sig(t.max),
      ...(interpretation ? { looksLike: interpretation } : {}),
      ...(mapping ? { mapping } : {}),
    },
    fix: mapping
      ? `map the ${mapping.length} label values to 0..${
        mapping.length - 1
      } in sorted order (undo any scaling of the labels)`
      : "encode the classes as 0..C-1",
    remedy: mapping ? { kind: "fix-labels", mapping } : undefined,
  });
}

/** What transformation the label values look like, from their spacing and moments. */
function interpretLabels(
  distinct: number[],
  count: number,
  mean: number,
  std: number,
  cols: number,
): string | null {
  if (cols > 1 || count > 50 || count < 2) return null;
  const step = distinct[1] - distinct[0];
  const even = distinct.every((v, i) =>
    i === 0 || Math.abs(v - distinct[i - 1] - step) <= 1e-6 * Math.max(1, Math.abs(step))
  );
  // A standardized column has mean 0 and std 1 to within the rounding of its source.
  if (Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05) {
    return "standardized: mean 0, std 1, as StandardScaler on the labels gives";
  }
  if (even && distinct[0] === 0 && Math.abs(distinct[count - 1] - 1) < 1e-9 && count > 2) {
    return `min-max scaled: ${count} classes mapped to steps of ${sig(step)}`;
  }
  if (count === 2 && distinct[0] === -1 && distinct[1] === 1) return "±1 labels (SVM style)";
  if (even && step === 1 && distinct[0] === 1) return "1-based class numbers";
  if (even) return `${count} evenly spaced values: class = (value - ${sig(distinct[0])}) / ${sig(step)}`;
  return null;
}

/** A column "dominates" the inputs when its RMS is this many times the median column's RMS. */
const DOMINANCE_RMS_RATIO = 30;
/** The initial first-layer pre-activation std from which the data alone shows saturation. */
const SATURATING_PRE_ACTIVATION_STD = 30;
/** A column whose values sit on one value in at least this share of rows is near-constant. */
const NEAR_CONSTANT_SHARE = 0.95;

function unscaledFeatures(ctx: DataContext): Finding | null {
  // Token indices (an embedding's input) are row numbers of a table, not magnitudes: scaling them
  // would break the lookup.
  if (ctx.scenario && readsRawValues(ctx.scenario.model.layers)) return null;
  const ds = ctx.train, d = ds.featureNames.length;
  const stats = ds.featureNames.map((name, c) => ({
    name,
    ...columnStats(ds.features, ds.rows, d, c),
    modeShare: modeShare(ds.features, ds.rows, d, c),
  }));
  const live = stats.filter((s) => s.finite > 1 && s.std > 0);
  if (live.length === 0) return null;
  // Scales are compared over columns that carry a spread: a near-constant column (a border pixel that
  // is 0 in 99% of images) or a binary indicator has a std that says nothing about its scaling, and
  // medians keep one odd column from setting the reference.
  const spread = live.filter((s) => s.modeShare < NEAR_CONSTANT_SHARE && s.distinct > 2);
  const ref = spread.length > 0 ? spread : live;
  const medianRms = median(ref.map((s) => s.rms));
  const maxRms = live.reduce((a, s) => (s.rms > a.rms ? s : a));
  const minRef = ref.reduce((a, s) => (s.rms < a.rms ? s : a));
  const maxStd = ref.reduce((a, s) => (s.std > a.std ? s : a));
  const minStd = ref.reduce((a, s) => (s.std < a.std ? s : a));
  const stdRatio = maxStd.std / minStd.std;
  // The pixels of an image (model.input.shape, or the file's rows, of rank > 1) share one scale by
  // construction, and a border pixel that is almost always 0 has a tiny spread without being a
  // badly scaled feature: for them only the magnitude counts.
  const structured = structuredRows(ctx);
  // What the first layer sees at initialisation: with weights drawn independently (Glorot, He), a
  // pre-activation's variance is Σ_c E[x_c²]·var(w), so column c's share of it is E[x_c²] / Σ E[x²].
  const energy = live.reduce((a, s) => a + s.rms * s.rms, 0);
  const share = (maxRms.rms * maxRms.rms) / energy;
  const dominant = !structured && maxRms.rms / medianRms >= DOMINANCE_RMS_RATIO;
  // With weights of variance 1/fan_in (LeCun; Glorot's for a square layer), a first-layer
  // pre-activation starts with std sqrt(Σ E[x²] / d): the quadratic mean of the column RMS. At 30 and
  // more every tanh/sigmoid unit starts deep in its flat tails and the logits start in the tens: a
  // consequence computed from the data alone, the same in every mode (0-255 pixels give about 150).
  const initialPreActivationStd = Math.sqrt(energy / d);
  const saturating = initialPreActivationStd >= SATURATING_PRE_ACTIVATION_STD;
  const tinyColumns = !structured && medianRms / minRef.rms >= DOMINANCE_RMS_RATIO;
  const large = maxRms.rms > 10;
  if (!dominant && !tinyColumns && !large) return null;
  const table = [...live].sort((a, b) => b.rms - a.rms).slice(0, 10).map((s) => ({
    column: s.name,
    mean: sig(s.mean),
    std: sig(s.std),
    min: sig(s.min),
    max: sig(s.max),
  }));
  const evidence: Record<string, unknown> = {
    largestRms: sig(maxRms.rms),
    medianRms: sig(medianRms),
    largestOverMedianRms: sig(maxRms.rms / medianRms),
    stdRatio: sig(stdRatio),
    largestColumnShareOfInitialPreActivationVariance: sig(share),
    initialPreActivationStd: sig(initialPreActivationStd),
    comparedColumns: ref.length,
    nearConstantOrBinaryColumns: live.length - spread.length,
    columns: table,
    totalColumns: d,
  };
  const common = {
    evidence,
    fix: "standardize the features (fit mean and std on the training split)",
    remedy: { kind: "standardize-features" } as const,
  };
  if (dominant) {
    return makeFinding("unscaled-features", {
      ...common,
      title: `column "${maxRms.name}" is ${sig(maxRms.rms / medianRms, 3)}× the typical feature scale`,
      message: `Column "${maxRms.name}" has a typical magnitude of ${
        sig(maxRms.rms, 3)
      } against a median of ${sig(medianRms, 3)} over ${ref.length} columns: at initialisation it sets ${
        sig(100 * share, 3)
      }% of the first layer's pre-activation variance, so the other columns are drowned out and its weights take steps of the wrong size for them.`,
      evidence: {
        ...evidence,
        tested: "share of the first layer's initial pre-activation variance per column",
      },
    });
  }
  if (saturating) {
    return makeFinding("unscaled-features", {
      ...common,
      title: `features of large magnitude (up to RMS ${sig(maxRms.rms, 3)})`,
      message: `The columns' typical magnitude is ${
        sig(initialPreActivationStd, 3)
      } (quadratic mean of their RMS; largest "${maxRms.name}" at ${
        sig(maxRms.rms, 3)
      }): with the usual 1/fan-in weight variance a first-layer pre-activation starts with a std of about ${
        sig(initialPreActivationStd, 3)
      }, so sigmoid/tanh units start saturated and the first logits are far too large.`,
      evidence: {
        ...evidence,
        tested: "the first layer's pre-activation std at initialisation implied by the data",
      },
    });
  }
  // Large but even magnitudes, or a few tiny columns: harmful only if training shows it (saturation,
  // slow learning), which only a run can test: standardizing and re-training briefly.
  return makeFinding("unscaled-features", {
    ...common,
    severity: "info",
    title: large
      ? `features of large magnitude (up to RMS ${sig(maxRms.rms, 3)})`
      : `some feature scales are ${sig(medianRms / minRef.rms, 3)}× below the median`,
    message: `${
      large
        ? `Column "${maxRms.name}" has a typical magnitude of ${
          sig(maxRms.rms, 3)
        }: first-layer pre-activations start about that large, which can saturate sigmoid/tanh units.`
        : `Column "${minRef.name}" has RMS ${sig(minRef.rms, 3)} against a median of ${
          sig(medianRms, 3)
        }: with plain SGD its weights would learn slowly.`
    } No column dominates the others, so this is a note unless standardizing the features and re-training shows a gain.`,
    evidence: {
      ...evidence,
      claim: untestedClaim(
        ctx,
        "standardize the features and re-train briefly; a clear gain supports the claim",
      ),
    },
  });
}

function unscaledTarget(ctx: DataContext): Finding | null {
  if (ctx.task.task !== "regression") return null;
  const loss = ctx.scenario?.loss.name;
  // Only a squared loss turns a large target into a large gradient; MAE and Huber (beyond delta)
  // have bounded gradients, and their slowness is the training detectors' business.
  if (loss !== undefined && loss !== "mse") return null;
  const ds = ctx.train, k = ds.targetNames.length;
  const stats = ds.targetNames.map((name, c) => ({ name, ...columnStats(ds.targets, ds.rows, k, c) }));
  const worst = stats.filter((s) => s.finite > 0).sort((a, b) => b.rms - a.rms)[0];
  if (!worst || !(worst.rms > 10)) return null;
  return makeFinding("unscaled-regression-target", {
    title: `regression target of magnitude ${sig(worst.rms, 3)}`,
    message: `Target "${worst.name}" has mean ${sig(worst.mean, 3)} and std ${sig(worst.std, 3)}: ${
      loss ? "under mse" : "under a squared loss (if trained with one)"
    } an untrained model starts at a loss of about ${sig(worst.rms ** 2, 3)} with gradients ${
      sig(2 * worst.rms, 3)
    }× those of a standardized target, so the learning rate that suits one phase of training is wrong for the other.`,
    evidence: {
      column: worst.name,
      mean: sig(worst.mean),
      std: sig(worst.std),
      min: sig(worst.min),
      max: sig(worst.max),
      lossOfZeroPrediction: sig(worst.rms ** 2),
      lossOfMeanPrediction: sig(worst.std ** 2),
      // A large target is harmless to a model that trains long enough or has a suitable learning rate;
      // what shows the harm is a run that does clearly better on the standardized target.
      claim: untestedClaim(
        ctx,
        "standardize the target and re-train briefly; a clear gain in R² (scale-free) supports the claim",
      ),
    },
    severity: "info",
    fix: "standardize the target (and un-standardize predictions)",
    remedy: { kind: "standardize-target" },
  });
}

/** Per-class counts for single-label data, or null when not applicable. */
function countsOf(ds: Dataset, classes = 0): number[] {
  return classCounts(classIndices(ds), classes);
}

/**
 * Rarest / commonest below which an imbalance is named even when training went well: Deepchecks'
 * `ClassImbalance` default (9:1, as evalml).
 */
const IMBALANCE_RATIO = 0.1;
/**
 * A milder imbalance (up to 4:1, the upper end of what Google's ML guide calls "moderate", a minority
 * of 1-20 %) is named only once training showed it bit: the model collapsed onto the majority class.
 * Then it is the cause that symptom points to.
 */
export const IMBALANCE_RATIO_WHEN_COLLAPSED = 0.25;

/** `class-imbalance` at a mild ratio, for a run whose predictions collapsed onto the majority class. */
export function imbalanceBehindCollapse(ctx: DataContext): Finding | null {
  return classImbalance(ctx, IMBALANCE_RATIO_WHEN_COLLAPSED);
}

function classImbalance(ctx: DataContext, limit = IMBALANCE_RATIO): Finding | null {
  if (!isClassification(ctx)) return null;
  if (ctx.task.task === "multilabel") return multilabelImbalance(ctx.train);
  const units = ctx.scenario ? outputLayer(ctx.scenario.model.layers).units : 0;
  const counts = countsOf(ctx.train, units > 1 ? units : 2);
  if (counts.length < 2) return null;
  const max = Math.max(...counts), min = Math.min(...counts);
  const ratio = max > 0 ? min / max : 1;
  if (ratio >= limit) return null;
  const rarest = counts.indexOf(min), commonest = counts.indexOf(max);
  const total = counts.reduce((a, b) => a + b, 0);
  // With class weights the setup already answers the imbalance; whether it worked is the training
  // detectors' to say (a class still neglected is accuracy-hides-class-failure).
  const weighted = ctx.scenario?.training.classWeight !== undefined;
  return makeFinding("class-imbalance", {
    ...(weighted ? { severity: "info" as const } : {}),
    title: `class ${rarest} is ${
      min === 0 ? "absent" : `${sig(max / min, 3)}× rarer than class ${commonest}`
    }`,
    message:
      `Class ${rarest} has ${min} training rows against ${max} for class ${commonest}: a model that always predicts class ${commonest} already scores ${
        sig(max / total)
      } accuracy, so accuracy alone cannot show whether the rare class is learned.${
        weighted ? " training.classWeight is set, which answers the imbalance: a note." : ""
      }`,
    evidence: {
      counts,
      rarest,
      commonest,
      ratio: sig(ratio),
      majorityClassAccuracy: sig(max / total),
      ...(weighted ? { classWeight: ctx.scenario!.training.classWeight } : {}),
    },
    fix:
      "report per-class recall / balanced accuracy; reweight (training.classWeight) or resample the rare class",
    remedy: weighted ? undefined : { kind: "class-weight", classWeight: "balanced" },
  });
}

function multilabelImbalance(ds: Dataset): Finding | null {
  const k = ds.targetNames.length, pos = new Array<number>(k).fill(0);
  for (let r = 0; r < ds.rows; r++) for (let c = 0; c < k; c++) if (ds.targets[r * k + c] >= 0.5) pos[c]++;
  const ratios = pos.map((p) => Math.min(p, ds.rows - p) / Math.max(1, Math.max(p, ds.rows - p)));
  const worst = ratios.indexOf(Math.min(...ratios));
  if (ratios[worst] >= 0.1) return null;
  return makeFinding("class-imbalance", {
    title: `label "${ds.targetNames[worst]}" is positive in ${pos[worst]} of ${ds.rows} rows`,
    message: `Label "${ds.targetNames[worst]}" is ${
      pos[worst] === 0 || pos[worst] === ds.rows ? "constant" : "heavily imbalanced"
    }: predicting its majority value alone is right on ${
      sig(1 - Math.min(pos[worst], ds.rows - pos[worst]) / ds.rows)
    } of rows.`,
    evidence: {
      positivesPerLabel: Object.fromEntries(ds.targetNames.map((n, i) => [n, pos[i]])),
      rows: ds.rows,
    },
    fix: "report per-label recall / F1; reweight the rare label",
  });
}

function leakage(ctx: DataContext, rng: Rng): Finding | null {
  const ds = ctx.train, d = ds.featureNames.length;
  if (d < 2 || ds.rows < 10) return null;
  const regression = ctx.task.task === "regression";
  const idx = sampleRows(ds.rows, LEAKAGE_SAMPLE, rng);
  const targetsCols = ds.targetNames.length;
  const labelColumns: { name: string; labels?: Int32Array; y?: Float64Array; classes: number }[] = [];
  if (regression) {
    for (let t = 0; t < targetsCols; t++) {
      labelColumns.push({
        name: ds.targetNames[t],
        y: Float64Array.from(idx, (r) => ds.targets[r * targetsCols + t]),
        classes: 0,
      });
    }
  } else if (ctx.task.task === "multilabel") {
    for (let t = 0; t < targetsCols; t++) {
      labelColumns.push({
        name: ds.targetNames[t],
        labels: Int32Array.from(idx, (r) => (ds.targets[r * targetsCols + t] >= 0.5 ? 1 : 0)),
        classes: 2,
      });
    }
  } else {
    const all = classIndices(ds);
    const labels = Int32Array.from(idx, (r) => all[r]);
    labelColumns.push({ name: ds.targetNames.join(","), labels, classes: Math.max(2, ...labels) + 1 });
  }
  const leaks: Record<string, unknown>[] = [];
  let error = false;
  const alpha = 0.001 / d;
  for (const target of labelColumns) {
    for (let c = 0; c < d; c++) {
      const keep: number[] = [];
      for (let i = 0; i < idx.length; i++) {
        const x = ds.features[idx[i] * d + c];
        const ok = Number.isFinite(x) &&
          (target.labels ? target.labels[i] >= 0 : Number.isFinite(target.y![i]));
        if (ok) keep.push(i);
      }
      if (keep.length < 10) continue;
      const x = Float64Array.from(keep, (i) => ds.features[idx[i] * d + c]);
      if (target.labels) {
        const lab = Int32Array.from(keep, (i) => target.labels![i]);
        const counts = classCounts(lab, target.classes);
        const n = lab.length, majority = Math.max(...counts) / n;
        const acc = looNearestAccuracy(x, lab, target.classes);
        const skill = majority < 1 ? (acc - majority) / (1 - majority) : 0;
        // Chance that a column carrying no information matches a held-out label this often: each
        // prediction is another row's label, right with probability Σ p_c².
        const q = counts.reduce((s, k) => s + (k / n) ** 2, 0);
        const p = binomialUpperTail(n, Math.round(acc * n), q);
        if (acc >= 0.99 && skill >= 0.9 && p < alpha) {
          const eta2 = correlationRatio(x, lab, target.classes);
          if (eta2 >= 0.99) error = true;
          const rest = withoutColumn(ds, idx, keep, c, lab);
          leaks.push({
            accuracyWithoutColumn: rest === null ? null : sig(rest),
            column: ds.featureNames[c],
            target: target.name,
            accuracyAlone: sig(acc),
            majorityBaseline: sig(majority),
            etaSquared: sig(eta2),
            pValue: sig(p, 2),
            rows: n,
          });
        }
      } else {
        const y = Float64Array.from(keep, (i) => target.y![i]);
        const r2 = looNearestR2(x, y);
        const r = pearson(x, y);
        if (r2 >= 0.99) {
          if (r * r >= 0.999) error = true;
          leaks.push({
            column: ds.featureNames[c],
            target: target.name,
            r2Alone: sig(r2),
            pearsonR: sig(r),
            rows: y.length,
          });
        }
      }
    }
  }
  if (leaks.length === 0) return null;
  const columns = [...new Set(leaks.map((l) => l.column as string))];
  const top = leaks[0];
  const score = "accuracyAlone" in top ? `accuracy ${top.accuracyAlone}` : `R² ${top.r2Alone}`;
  // Below the η² bar the column separates the classes but is not a function of the label: an easy
  // task looks the same (well-separated clusters), so it is a note, not a claim.
  // Below the η² bar the column separates the classes but is not a function of the label: an easy
  // task looks the same (well-separated clusters, or a task whose signal lives in one column, where
  // dropping it hurts just as dropping a leak would), so it is a note, not a claim. The
  // drop-the-column counterfactual is reported so a reader can judge.
  return makeFinding("feature-label-leakage", {
    severity: error ? "error" : "info",
    title: `column "${top.column}" alone predicts the target (${score})`,
    message: `Used alone, column${columns.length > 1 ? "s" : ""} ${
      columns.map((c) => `"${c}"`).join(", ")
    } predict${
      columns.length > 1 ? "" : "s"
    } the target almost perfectly on rows held out one at a time (${score}${
      error ? "; the column is essentially a function of the label" : ""
    }). A model will learn that shortcut instead of the task, and its score will not hold on data where the column is not available or not ${
      error ? "derived from the label" : "this clean"
    }.`,
    evidence: {
      leakingColumns: leaks,
      method: "leave-one-out 1-nearest-neighbour on the column alone",
      tested:
        `the column as a function of the label (η² ≥ 0.99 makes it an error); accuracyWithoutColumn: leave-one-out 1-nearest-neighbour on the other features (standardized), on up to ${WITHOUT_SAMPLE} rows`,
    },
    fix: `drop ${columns.map((c) => `"${c}"`).join(", ")} from the features (or check how ${
      columns.length > 1 ? "they were" : "it was"
    } computed)`,
    remedy: { kind: "drop-feature", columns },
  });
}

/** How far above the majority share a trained model must score for the features to carry the label. */
export const SIGNAL_MARGIN = 0.1;

/** Rows of the drop-the-column counterfactual (n²·d work). */
const WITHOUT_SAMPLE = 1000;

/** LOO 1-NN accuracy of the other features without column `skip`, on the first sampled rows; null without other columns. */
function withoutColumn(
  ds: Dataset,
  idx: Uint32Array,
  keep: number[],
  skip: number,
  labels: Int32Array,
): number | null {
  const d = ds.featureNames.length;
  if (d < 2) return null;
  const rows: number[] = [];
  for (let j = 0; j < keep.length && rows.length < WITHOUT_SAMPLE; j++) {
    const r = idx[keep[j]];
    let ok = true;
    for (let c = 0; c < d && ok; c++) ok = c === skip || Number.isFinite(ds.features[r * d + c]);
    if (ok) rows.push(j);
  }
  if (rows.length < 10) return null;
  const x = new Float64Array(rows.length * d);
  rows.forEach((j, i) => {
    const r = idx[keep[j]];
    for (let c = 0; c < d; c++) x[i * d + c] = c === skip ? 0 : ds.features[r * d + c];
  });
  return looNearestAccuracyWithout(x, rows.length, d, skip, Int32Array.from(rows, (j) => labels[j]));
}

function overlap(ctx: DataContext): Finding | null {
  const tr = ctx.train, va = ctx.validation;
  if (!va || va.rows === 0 || tr.rows === 0) return null;
  const d = tr.featureNames.length, k = tr.targetNames.length;
  if (va.featureNames.length !== d) return null;
  const train = new Map<string, number>();
  let trainDups = 0;
  for (let r = 0; r < tr.rows; r++) {
    const key = rowKey(tr.features, r * d, d);
    if (train.has(key)) trainDups++;
    else train.set(key, r);
  }
  let hits = 0, sameTarget = 0;
  const examples: { validationRow: number; trainRow: number }[] = [];
  for (let r = 0; r < va.rows; r++) {
    const t = train.get(rowKey(va.features, r * d, d));
    if (t === undefined) continue;
    hits++;
    if (rowKey(va.targets, r * k, k) === rowKey(tr.targets, t * k, k)) sameTarget++;
    if (examples.length < 5) examples.push({ validationRow: r + 1, trainRow: t + 1 });
  }
  const fraction = hits / va.rows, trainDupFraction = trainDups / tr.rows;
  if (fraction <= 0.05) return null;
  // Discrete feature spaces repeat rows by nature: then validation rows repeat training rows about as
  // often as training rows repeat each other, and the overlap says nothing about the split.
  const natural = trainDupFraction >= fraction / 2;
  return makeFinding("train-validation-overlap", {
    severity: natural ? "info" : "error",
    title: `${hits} validation rows (${sig(100 * fraction, 3)}%) also appear in training`,
    message: natural
      ? `${sig(100 * fraction, 3)}% of validation rows repeat a training row, but ${
        sig(100 * trainDupFraction, 3)
      }% of training rows repeat each other too: the features take few distinct values, so the validation score is partly memorization by nature.`
      : `${hits} of ${va.rows} validation rows are exact copies of training rows (${sameTarget} with the same target): the validation score measures memorization on those rows, not generalization.`,
    evidence: {
      overlappingRows: hits,
      fraction: sig(fraction),
      sameTarget,
      trainDuplicateFraction: sig(trainDupFraction),
      examples,
    },
    fix: "remove the validation rows that duplicate training rows (deduplicate before splitting)",
    remedy: natural ? undefined : { kind: "drop-duplicates" },
  });
}

function splitShift(ctx: DataContext): Finding | null {
  const tr = ctx.train, va = ctx.validation;
  if (!va || va.rows < 2 || tr.rows < 2) return null;
  const split = ctx.scenario?.validation?.kind === "split";
  if (ctx.task.task === "regression") {
    const a = tr.targets.filter(Number.isFinite), b = va.targets.filter(Number.isFinite);
    if (tr.targetNames.length !== 1 || a.length < 2 || b.length < 2) return null;
    const ks = ksTwoSample(a, b);
    if (ks.d < 0.15 || ks.pValue >= 0.001) return null;
    const sa = columnStats(a, a.length, 1, 0), sb = columnStats(b, b.length, 1, 0);
    return makeFinding("split-distribution-shift", {
      severity: ks.d >= 0.5 && ks.pValue < 1e-6 ? "error" : "warning",
      title: `validation targets are distributed differently (KS D = ${sig(ks.d, 3)})`,
      message: `Training targets span [${sig(sa.min)}, ${sig(sa.max)}] (mean ${
        sig(sa.mean)
      }), validation targets [${sig(sb.min)}, ${sig(sb.max)}] (mean ${
        sig(sb.mean)
      }): the validation score measures extrapolation, not the fit.`,
      evidence: {
        ksStatistic: sig(ks.d),
        pValue: sig(ks.pValue, 2),
        train: { mean: sig(sa.mean), min: sig(sa.min), max: sig(sa.max) },
        validation: { mean: sig(sb.mean), min: sig(sb.min), max: sig(sb.max) },
      },
      fix: "shuffle before splitting",
      remedy: split ? { kind: "shuffle" } : undefined,
    });
  }
  if (!singleLabel(ctx)) return null;
  const units = ctx.scenario ? outputLayer(ctx.scenario.model.layers).units : 0;
  let a = countsOf(tr, units), b = countsOf(va, units);
  const k = Math.max(a.length, b.length);
  a = [...a, ...new Array(k - a.length).fill(0)];
  b = [...b, ...new Array(k - b.length).fill(0)];
  const na = a.reduce((s, v) => s + v, 0), nb = b.reduce((s, v) => s + v, 0);
  if (na === 0 || nb === 0) return null;
  // A class absent from validation although ≥ 10 of its rows were expected there: P(0) ≤ e^-10.
  const missing = a.map((v, c) => ({ c, expected: nb * v / na })).filter(({ c, expected }) =>
    b[c] === 0 && expected >= 10
  ).map(({ c }) => c);
  const unseen = b.map((v, c) => ({ c, v })).filter(({ c, v }) => a[c] === 0 && v > 0).map(({ c }) => c);
  const unseenShare = unseen.reduce((s, c) => s + b[c], 0) / nb;
  const test = homogeneity(a, b);
  const skewed = test.cramersV >= 0.15 && test.pValue < 0.001;
  if (missing.length === 0 && unseen.length === 0 && !skewed) return null;
  const severity = missing.length > 0 || unseenShare >= 0.05 ? "error" : "warning";
  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(
      `class${missing.length > 1 ? "es" : ""} ${missing.join(", ")} never appear${
        missing.length > 1 ? "" : "s"
      } in validation`,
    );
  }
  if (unseen.length > 0) {
    parts.push(
      `validation holds class${unseen.length > 1 ? "es" : ""} ${unseen.join(", ")} that training never shows`,
    );
  }
  if (skewed && parts.length === 0) {
    parts.push(`the class proportions differ (total variation ${sig(test.totalVariation, 3)})`);
  }
  return makeFinding("split-distribution-shift", {
    severity,
    title: `validation label distribution differs from training: ${parts[0]}`,
    message: `${parts.join("; ")}. Training counts ${JSON.stringify(a)}, validation counts ${
      JSON.stringify(b)
    } (χ² = ${sig(test.chiSquare, 3)}, p = ${
      sig(test.pValue, 2)
    }): validation metrics do not estimate performance on the training distribution.`,
    evidence: {
      trainCounts: a,
      validationCounts: b,
      missingInValidation: missing,
      unseenInTraining: unseen,
      chiSquare: sig(test.chiSquare),
      pValue: sig(test.pValue, 2),
      cramersV: sig(test.cramersV),
      totalVariation: sig(test.totalVariation),
    },
    fix: "split with shuffling and stratification",
    remedy: split ? { kind: "stratify" } : undefined,
  });
}

function unshuffled(ctx: DataContext): Finding | null {
  const ds = ctx.train, n = ds.rows;
  if (n < 20) return null;
  const batch = ctx.scenario?.training.batchSize ?? 32;
  const evidence: Record<string, unknown> = {};
  let ordered = false;
  if (singleLabel(ctx)) {
    const labels = classIndices(ds);
    const counts = classCounts(labels);
    const q = counts.reduce((s, k) => s + (k / n) ** 2, 0);
    let changes = 0;
    for (let r = 1; r < n; r++) if (labels[r] !== labels[r - 1]) changes++;
    const expected = (n - 1) * (1 - q);
    if (expected < 5) return null;
    ordered = changes < 0.25 * expected;
    let pure = 0, batches = 0;
    for (let s = 0; s < n; s += batch) {
      batches++;
      let same = true;
      for (let r = s + 1; r < Math.min(n, s + batch); r++) if (labels[r] !== labels[s]) same = false;
      if (same) pure++;
    }
    const runs: { class: number; rows: string }[] = [];
    for (let r = 0, start = 0; r <= n && runs.length < 8; r++) {
      if (r === n || labels[r] !== labels[start]) {
        runs.push({ class: labels[start], rows: `${start + 1}-${r}` });
        start = r;
      }
    }
    Object.assign(evidence, {
      labelChanges: changes,
      expectedIfShuffled: sig(expected),
      singleClassBatches: pure,
      batches,
      batchSize: batch,
      firstRuns: runs,
    });
  } else if (ctx.task.task === "regression" && ds.targetNames.length === 1) {
    const rho = spearmanWithIndex(ds.targets);
    ordered = Math.abs(rho) >= 0.9;
    Object.assign(evidence, { spearmanRowVsTarget: sig(rho) });
  }
  if (!ordered) return null;
  const sc = ctx.scenario;
  const trainNoShuffle = sc !== undefined && !sc.training.shuffle;
  const splitNoShuffle = sc?.validation?.kind === "split" && !sc.validation.shuffle;
  if (sc && !trainNoShuffle && !splitNoShuffle) return null;
  const when = !sc
    ? "If trained without shuffling, every batch"
    : trainNoShuffle
    ? "Training does not shuffle (training.shuffle: false), so every batch"
    : "Training shuffles, but the validation split takes the last rows unshuffled, so the split";
  // Without a scenario nobody knows whether training shuffles (Keras's fit does; its validation_split
  // does not): the order is a fact, its harm a claim `diagnose data` cannot test.
  if (!sc) {
    evidence.claim = untestedClaim(
      ctx,
      "whether training or the validation split keeps this order (training.shuffle, validation.shuffle)",
    );
  }
  return makeFinding("unshuffled-data", {
    severity: !sc ? "info" : trainNoShuffle ? "error" : "warning",
    title: "rows are ordered by target",
    message: `The training rows come sorted by target. ${when} ${
      splitNoShuffle && !trainNoShuffle
        ? "puts the last classes or largest targets in validation"
        : "holds one class (or a narrow target range), and each step pulls the model toward it: the loss swings and the model ends up favouring whatever came last"
    }.`,
    evidence: {
      ...evidence,
      trainingShuffle: sc?.training.shuffle ?? null,
      splitShuffle: splitNoShuffle ? false : null,
    },
    fix: "shuffle the rows (before splitting, and every epoch)",
    remedy: { kind: "shuffle" },
  });
}

function spearmanWithIndex(y: Float64Array): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a] - y[b]);
  const rank = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && y[order[j + 1]] === y[order[i]]) j++;
    for (let m = i; m <= j; m++) rank[order[m]] = (i + j) / 2;
    i = j + 1;
  }
  return pearson(Float64Array.from({ length: n }, (_, i) => i), rank);
}

function labelNoise(ctx: DataContext, rng: Rng): Finding | null {
  if (!singleLabel(ctx)) return null;
  const ds = ctx.train, d = ds.featureNames.length;
  if (d === 0) return null;
  const all = classIndices(ds);
  // Identical feature rows with different labels (all rows: a hash pass is cheap). One record a
  // group: its first label, whether another label appeared, and its rows.
  const groups = new Map<string, { label: number; mixed: boolean; rows: number }>();
  for (let r = 0; r < ds.rows; r++) {
    if (all[r] < 0) continue;
    const key = rowKey(ds.features, r * d, d);
    const g = groups.get(key);
    if (g) {
      g.rows++;
      if (all[r] !== g.label) g.mixed = true;
    } else groups.set(key, { label: all[r], mixed: false, rows: 1 });
  }
  let conflicting = 0;
  for (const g of groups.values()) if (g.mixed) conflicting += g.rows;
  // k-NN contradiction on a standardized sample.
  // Brute-force k-NN costs n²·d: keep it under ~2e8 multiply-adds (well under a second) for wide data.
  const budget = Math.max(100, Math.min(NEIGHBOUR_SAMPLE, Math.floor(Math.sqrt(2e8 / d))));
  const rows = [...sampleRows(ds.rows, budget, rng)].filter((r) => {
    if (all[r] < 0) return false;
    for (let c = 0; c < d; c++) if (!Number.isFinite(ds.features[r * d + c])) return false;
    return true;
  });
  const n = rows.length;
  let verdict = null;
  if (n >= 30) {
    const x = new Float64Array(n * d);
    for (let c = 0; c < d; c++) {
      let m = 0, s = 0;
      for (const r of rows) m += ds.features[r * d + c];
      m /= n;
      for (const r of rows) s += (ds.features[r * d + c] - m) ** 2;
      const sd = Math.sqrt(s / n) || 1;
      rows.forEach((r, i) => (x[i * d + c] = (ds.features[r * d + c] - m) / sd));
    }
    const labels = Int32Array.from(rows, (r) => all[r]);
    verdict = contradictedLabels(x, n, d, labels, Math.max(...labels) + 1, { k: 10, confidence: 0.7 });
  }
  const contradictedShare = verdict ? verdict.contradicted.length / n : 0;
  const conflictShare = conflicting / Math.max(1, ds.rows);
  if (contradictedShare < 0.1 && conflictShare < 0.01) return null;
  // A contradicted label is evidence of noise only where the neighbours otherwise carry the label:
  // on features with no signal (k-NN no better than always guessing the majority class) every
  // minority row is "contradicted" and noisy labels cannot be told from uninformative features.
  const sampledLabels = verdict ? Int32Array.from(rows, (r) => all[r]) : null;
  const majorityShare = sampledLabels
    ? Math.max(...classCounts(sampledLabels, Math.max(...sampledLabels) + 1)) / sampledLabels.length
    : 1;
  const signal = verdict !== null && verdict.agreement >= majorityShare + 0.05;
  const byNeighbours = contradictedShare >= 0.1 && signal;
  if (!byNeighbours && conflictShare < 0.01 && contradictedShare < 0.1) return null;
  const examples = verdict
    ? verdict.contradicted.slice(0, 8).map((i, j) => ({
      row: rows[i] + 1,
      label: all[rows[i]],
      neighboursSay: verdict!.neighbourLabel[j],
      share: sig(verdict!.share[j], 2),
    }))
    : [];
  return makeFinding("label-noise", {
    // Identical rows with different labels are noise whatever the features carry; neighbour
    // contradictions only where the neighbours predict the label at all.
    severity: byNeighbours || conflictShare >= 0.01 ? "warning" : "info",
    title: contradictedShare >= 0.1
      ? `${sig(100 * contradictedShare, 3)}% of sampled training labels are contradicted by their neighbours${
        conflictShare >= 0.01
          ? `; ${sig(100 * conflictShare, 3)}% of rows repeat features with another label`
          : ""
      }`
      : `${sig(100 * conflictShare, 3)}% of training rows repeat features with another label`,
    message: [
      contradictedShare >= 0.1
        ? `${sig(100 * contradictedShare, 3)}% of sampled rows carry a label that at least 70% of their ${
          verdict!.k
        } nearest neighbours (standardized features) contradict.`
        : "",
      conflictShare >= 0.01
        ? `${conflicting} rows sit in groups of identical features with different labels.`
        : "",
      signal || conflictShare >= 0.01
        ? "A model either cannot fit those rows or memorizes them, which caps accuracy and widens the train-validation gap."
        : `The features barely predict the label (their neighbours agree with ${
          sig(100 * (verdict?.agreement ?? 0), 3)
        }% of labels, the majority class alone with ${
          sig(100 * majorityShare, 3)
        }%), so these contradictions do not single out wrong labels: the features may carry no signal.`,
    ].filter((s) => s).join(" "),
    evidence: {
      contradictedFraction: sig(contradictedShare),
      sampledRows: n,
      k: verdict?.k ?? null,
      confidence: 0.7,
      conflictingIdenticalRows: conflicting,
      conflictingIdenticalFraction: sig(conflictShare),
      neighbourAgreement: verdict ? sig(verdict.agreement) : null,
      majorityShare: sig(majorityShare),
      tested:
        "k-NN agreement against the majority-class share: contradictions count as noise only where the neighbours carry the label (agreement at least 0.05 above the majority share)",
      ...(byNeighbours || conflictShare >= 0.01 ? {} : {
        claim: untestedClaim(
          ctx,
          `whether the features carry the label: a trained model scoring at least ${SIGNAL_MARGIN} above the majority share (${
            sig(majorityShare, 3)
          }) shows they do, and then the contradicted labels are noise`,
        ),
      }),
      examples,
    },
    fix: "review and relabel the contradicted rows (the examples list the first ones)",
  });
}

function insufficientData(ctx: DataContext): Finding | null {
  const ds = ctx.train, d = ds.featureNames.length, n = ds.rows;
  // Certain by counting alone: any labelling of n ≤ d + 1 points is linearly separable, and fewer than
  // 20 rows cannot be split into a training and a validation set that mean anything.
  const certain: string[] = [];
  // Rules of thumb that may or may not bite (wine has 2.9 rows of its rarest class per feature and is
  // learned at 0.95+): claims, tested in a run by the train/validation gap they predict.
  const risks: string[] = [];
  const evidence: Record<string, unknown> = { rows: n, features: d };
  // Pixels of an image or steps of a sequence (model.input.shape of rank > 1) are not independent
  // features, and convolutions share weights across them: rows per feature says nothing there.
  const structured = structuredRows(ctx);
  if (n <= d + 1) {
    certain.push(
      `${n} rows for ${d} features: any labelling of ${n} points in ${d} dimensions is linearly separable`,
    );
  }
  if (n < 20) certain.push(`${n} training rows`);
  if (singleLabel(ctx)) {
    const counts = countsOf(ds).filter((c) => c > 0);
    const min = Math.min(...counts);
    evidence.rowsPerClass = counts;
    if (min < 10) risks.push(`the rarest class has ${min} training rows`);
    else if (min / Math.max(1, d) < 5 && !structured) {
      risks.push(`${min} rows of the rarest class for ${d} features (${sig(min / d, 2)} per feature)`);
    }
  } else if (ctx.task.task === "regression" && n / Math.max(1, d) < 10 && n > d + 1 && !structured) {
    risks.push(`${sig(n / d, 2)} rows per feature`);
  }
  if (ctx.scenario) {
    const params = countParameters(ctx.scenario.model.input?.shape ?? [d], ctx.scenario.model.layers);
    evidence.parameters = params;
    evidence.rowsPerParameter = sig(n / params, 3);
  }
  if (ctx.validation) evidence.validationRows = ctx.validation.rows;
  const problems = [...certain, ...risks];
  if (problems.length === 0) return null;
  const message = `${
    problems.join("; ")
  }. The model can fit these rows without learning anything that generalizes, and validation metrics on so few rows are noisy.`;
  const fix = "collect more rows (or reduce the features / model size)";
  if (certain.length > 0) {
    return makeFinding("insufficient-data", { title: "too few training rows", message, evidence, fix });
  }
  return makeFinding("insufficient-data", {
    severity: "info",
    title: "few training rows for the number of features",
    message: `${message} This is a rule of thumb: it matters only if the model fails to generalize.`,
    evidence: {
      ...evidence,
      claim: untestedClaim(
        ctx,
        `a generalization gap: the score falls by ${GAP_SCORE} or more (and beyond one standard error) from train to validation, or without a score the validation loss is twice the training loss`,
      ),
    },
    fix,
  });
}
