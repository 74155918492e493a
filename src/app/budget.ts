/**
 * The diagnosis budget: a run whose full training would take longer than the budget (default
 * `DEFAULT_BUDGET_S` of ./types.ts) on this machine trains on a stratified sample of its training rows,
 * and on fewer epochs only when even the smallest sample the detectors can read would overrun. The estimate comes from
 * two short timed trainings (4 and 16 batches, one epoch each: their difference is the per-step
 * time without compilation and fixed costs). Small runs never get that far: a static bound on their
 * work ({@linkcode mayExceedBudget}) keeps the gallery and every small setup exactly as without a
 * budget, with no calibration and no `budget` in the report.
 *
 * What keeps the detectors' evidence: each class keeps its share of the rows, and a class of at most
 * {@linkcode RARE_CLASS_ROWS} rows is kept whole; the validation split is never sampled (the held-out
 * evaluation sees every row); the data detectors look at the full data (src/app/run.ts); the rows
 * keep their order. The report's `budget` section says exactly what was trained.
 *
 * @module
 */
import type { ScenarioData } from "../data/load.ts";
import { rowClasses, takeRows } from "../data/classes.ts";
import { parameterLayers } from "../layers/mod.ts";
import type { GpuContext } from "../gpu/context.ts";
import { Rng } from "../random.ts";
import type { BudgetReport } from "../report/types.ts";
import type { Scenario } from "../scenario/types.ts";
import { trainingJob } from "../train/job.ts";
import { trainOnGpu } from "../train/train.ts";

/** A class with at most this many training rows is kept whole by the sample. */
export const RARE_CLASS_ROWS = 200;
/**
 * The sample never goes below this many training rows (nor below 16 batches). A model of real images
 * (28×28 digits, ten classes) needs a few thousand rows per few classes to generalise past 0.9
 * validation accuracy, and the data-driven detectors (label noise, rare classes) need every class
 * represented by hundreds of rows; 10,000 rows of ten classes is ~1,000 a class.
 */
export const MIN_SAMPLE_ROWS = 10_000;
/**
 * Nor does the budget train fewer than this many steps (or the full run's, if fewer): the training
 * detectors read trends across epochs and the model must get far enough to show them (a run cut to a
 * hundred steps looks underfit whatever its setup), and a small CNN on 28×28 digits needs some
 * hundreds of Adam steps at batch 32-128 to pass 0.9 validation accuracy. 800 steps of the 200,000-row
 * 64-64-1 case are ~9 s on this project's 2-core llvmpipe machine: the floor alone keeps a diagnosis
 * well inside the 20 s there.
 */
export const MIN_TRAIN_STEPS = 800;
/** The sample is sized for this share of the budget: the estimate is rough, diagnosis takes time too. */
const BUDGET_SHARE = 0.75;
/**
 * A run below both bounds trains in full without calibrating. On this project's shared 2-core
 * llvmpipe machine a 256-row step of the 200,000-row 64-64-1 case (~6.5e6 multiply-adds with its
 * evaluation) took ~9 ms under load, i.e. ~0.7e9 multiply-adds a second: 2^33 of them is ~12 s, and
 * 20,000 steps of a tiny model ~10-20 s of per-dispatch overhead. A run below both trains in full
 * without calibrating, a few seconds past the default budget at worst (never minutes); every gallery
 * scenario is far below both (tested), so the gallery trains exactly as without a budget.
 */
const SMALL_WORK = 2 ** 33;
const SMALL_STEPS = 20_000;

/** What the budget decided: the data to train on (the full data when not engaged). */
export interface BudgetPlan {
  data: ScenarioData;
  /** Epochs to train (the scenario's, or `--epochs`, unless the budget cut them). */
  epochs?: number;
  report: BudgetReport | null;
}

/** Options of {@linkcode planBudget}. */
export interface BudgetOptions {
  /** Seconds; null: no budget (`--budget none`). */
  budgetS: number | null;
  gpu: () => Promise<GpuContext>;
  /** `--epochs`. */
  epochs?: number;
}

/** The multiply-adds of one epoch (forward + backward ≈ 3× the forward, plus one forward evaluation). */
function epochWork(scenario: Scenario, data: ScenarioData): { work: number; steps: number } {
  const job = trainingJob(scenario, data, { epochs: 1 });
  // Each parameter layer's multiply-adds per row: (inputs + 1) · units at each output position (one
  // for dense; every pixel of a convolution's output, whose filters are reused across positions).
  const params = parameterLayers(job.shape).reduce((s, l) => {
    const { inputs, units } = l.parameters!;
    return s + (inputs + 1) * units * (l.outSize / units);
  }, 0);
  const rows = data.train.rows, validation = data.validation?.rows ?? 0;
  return {
    work: params * (4 * rows + validation),
    steps: Math.ceil(rows / scenario.training.batchSize),
  };
}

/**
 * Whether the run is big enough that it might overrun the budget: above a static bound
 * on its work or its steps. False for every gallery scenario (tested), so those never calibrate.
 */
export function mayExceedBudget(scenario: Scenario, data: ScenarioData, epochs?: number): boolean {
  const e = epochs ?? scenario.training.epochs;
  const { work, steps } = epochWork(scenario, data);
  return work * e > SMALL_WORK || steps * e > SMALL_STEPS;
}

/**
 * Decides what to train within `budgetS`: the full data, or a stratified sample (and, if need be,
 * fewer epochs). Calibrates on the GPU only when {@linkcode mayExceedBudget}.
 */
export async function planBudget(
  scenario: Scenario,
  data: ScenarioData,
  options: BudgetOptions,
): Promise<BudgetPlan> {
  const epochs = options.epochs ?? scenario.training.epochs;
  const full: BudgetPlan = { data, report: null };
  if (options.budgetS === null || !mayExceedBudget(scenario, data, epochs)) return full;
  if (data.targets.train.undefinedReason || data.targets.validation?.undefinedReason) return full;
  const batch = scenario.training.batchSize;
  const rows = data.train.rows;
  const ctx = await options.gpu();
  const { fixedMs, stepMs } = await calibrate(ctx, scenario, data);
  const validationRows = data.validation?.rows ?? 0;
  // A forward evaluation of a batch costs about a third of a training step.
  const perEpoch = (trainRows: number) => (Math.ceil(trainRows / batch) + trainRows / batch / 3) * stepMs;
  const estimate = (trainRows: number, e: number) =>
    fixedMs + e * (perEpoch(trainRows) + (validationRows / batch / 3) * stepMs);
  const fullMs = estimate(rows, epochs);
  const budgetMs = options.budgetS * 1000;
  if (fullMs <= budgetMs) return full;
  // The floors: MIN_SAMPLE_ROWS rows, 16 batches, and MIN_TRAIN_STEPS steps over all the epochs.
  const minSteps = Math.min(epochs * Math.ceil(rows / batch), MIN_TRAIN_STEPS);
  const floor = Math.min(
    rows,
    Math.max(MIN_SAMPLE_ROWS, 16 * batch, Math.ceil(minSteps / epochs) * batch),
  );
  const target = BUDGET_SHARE * budgetMs;
  // Largest row count whose estimate fits `target` with all epochs: the estimate is linear in rows.
  const perRow = (estimate(rows, epochs) - estimate(0, epochs)) / rows;
  let sampleRows = Math.floor((target - estimate(0, epochs)) / perRow);
  let trainEpochs = epochs;
  if (sampleRows < floor) {
    sampleRows = floor;
    const perEpochMs = (estimate(floor, epochs) - fixedMs) / epochs;
    // Fewer epochs, but never fewer steps than the floor.
    const floorEpochs = Math.ceil(minSteps / Math.ceil(floor / batch));
    trainEpochs = Math.max(floorEpochs, 1, Math.min(epochs, Math.floor((target - fixedMs) / perEpochMs)));
    trainEpochs = Math.min(epochs, trainEpochs);
  }
  if (sampleRows >= rows && trainEpochs === epochs) return full;
  const sample = sampleTrainRows(scenario, data, Math.min(sampleRows, rows));
  return {
    data: sample.data,
    epochs: trainEpochs === epochs ? options.epochs : trainEpochs,
    report: {
      limitS: options.budgetS,
      estimatedFullS: round1(fullMs / 1000),
      estimatedS: round1(estimate(sample.data.train.rows, trainEpochs) / 1000),
      stepMs: Math.round(stepMs * 1000) / 1000,
      trained: {
        trainRows: sample.data.train.rows,
        ofTrainRows: rows,
        validationRows,
        ofValidationRows: validationRows,
        epochs: trainEpochs,
        ofEpochs: epochs,
        sampling: sample.sampling,
        ...(sample.classes ? { classes: sample.classes } : {}),
      },
    },
  };
}

/**
 * Times one epoch on the first 4 and the first 16 batches' worth of rows (no validation); the
 * difference over 12 batches is the per-step time (each step also evaluates its rows once).
 */
async function calibrate(
  ctx: GpuContext,
  scenario: Scenario,
  data: ScenarioData,
): Promise<{ fixedMs: number; stepMs: number }> {
  const batch = scenario.training.batchSize;
  const time = async (batches: number) => {
    const rows = Math.min(data.train.rows, batches * batch);
    const index = Uint32Array.from({ length: rows }, (_, i) => i);
    const sub = { ...subsetTrain(data, index), validation: null };
    const job = trainingJob(scenario, { ...sub, targets: { ...sub.targets, validation: null } }, {
      epochs: 1,
    });
    const started = performance.now();
    await ctx.scoped(() => trainOnGpu(ctx, { ...job, loss: scenario.loss, optimizer: scenario.optimizer }));
    return performance.now() - started;
  };
  // Without the tuner: it would time each new product class (the 16-batch run's evaluation shapes)
  // inside the measured runs. The rule's variants are at most a little slower: a cautious estimate.
  const tuner = ctx.matmulTuner;
  ctx.matmulTuner = null;
  let short: number, long: number;
  try {
    await time(4); // compiles the pipelines: not measured
    short = await time(4);
    long = await time(16);
  } finally {
    ctx.matmulTuner = tuner;
  }
  const stepMs = Math.max(1e-3, (long - short) / 12) / (1 + 1 / 3);
  return { fixedMs: Math.max(0, short - 4 * stepMs * (1 + 1 / 3)), stepMs };
}

/**
 * A sample of `count` training rows, in their original order: stratified by class for single-label
 * classification (each class its share, a class of at most {@linkcode RARE_CLASS_ROWS} rows whole),
 * else uniform. Seeded by the scenario's seed (stream "budget").
 */
export function sampleTrainRows(
  scenario: Scenario,
  data: ScenarioData,
  count: number,
): { data: ScenarioData; sampling: string; classes?: { label: string; rows: number; of: number }[] } {
  const rng = Rng.fromSeed(scenario.seed).stream("budget");
  const rows = data.train.rows;
  const task = data.task.task;
  const classes = task === "binary" || task === "multiclass" ? rowClasses(data.train) : null;
  const picked: number[] = [];
  let sampling: string;
  let perClass: { label: string; rows: number; of: number }[] | undefined;
  if (classes) {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < rows; i++) {
      const c = classes[i];
      const key = Number.isNaN(c) ? -1 : c;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(i);
    }
    const fraction = count / rows;
    perClass = [];
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      const members = groups.get(key)!;
      const take = members.length <= RARE_CLASS_ROWS
        ? members.length
        : Math.max(RARE_CLASS_ROWS, Math.round(fraction * members.length));
      picked.push(...pick(members, take, rng));
      const label = key === -1 ? "(missing)" : data.train.classNames?.[key] ?? String(key);
      perClass.push({ label, rows: take, of: members.length });
    }
    sampling = `stratified by class (each class its share; classes of at most ${RARE_CLASS_ROWS} rows whole)`;
  } else {
    picked.push(...pick(Array.from({ length: rows }, (_, i) => i), count, rng));
    sampling = "uniform over the training rows";
  }
  picked.sort((a, b) => a - b);
  return {
    data: subsetTrain(data, Uint32Array.from(picked)),
    sampling: `${sampling}, original order kept; validation untouched`,
    ...(perClass ? { classes: perClass } : {}),
  };
}

/** `take` of `members`, chosen at random (partial Fisher-Yates). */
function pick(members: number[], take: number, rng: Rng): number[] {
  const a = [...members];
  for (let i = 0; i < take; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, take);
}

/** `data` with only the training rows `index` (features, targets, encoded targets, split bookkeeping). */
function subsetTrain(data: ScenarioData, index: Uint32Array): ScenarioData {
  const t = data.targets.train;
  const values = new Float64Array(index.length * t.width);
  for (let i = 0; i < index.length; i++) {
    values.set(t.values.subarray(index[i] * t.width, (index[i] + 1) * t.width), i * t.width);
  }
  const newIndex = new Map<number, number>();
  index.forEach((r, i) => newIndex.set(r, i));
  const source = data.validationSource;
  return {
    ...data,
    train: takeRows(data.train, index),
    targets: { ...data.targets, train: { ...t, values, rows: index.length } },
    validationSource: source.kind === "split"
      ? { ...source, trainRows: Uint32Array.from(index, (r) => source.trainRows[r]) }
      : source,
    duplicated: data.duplicated
      .filter(([, r]) => newIndex.has(r))
      .map(([v, r]) => [v, newIndex.get(r)!] as [number, number]),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
