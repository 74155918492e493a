/**
 * From a scenario's DataSpecs to the training and validation Datasets: read (CSV, NPY, inline rows)
 * or generate, transform, split, and encode the targets for the loss. Every choice made on the user's
 * behalf (class names mapped, task inferred, stratification ignored) is said in `notes`.
 *
 * @module
 */
import { didYouMean, FileAccessError, InputError, type InputLocation } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { Rng } from "../random.ts";
import { inferTask, type TaskInference } from "../scenario/task.ts";
import type { DataSpec, Scenario } from "../scenario/types.ts";
import { type CsvColumn, type CsvTable, numberHint, readCsv, separatorRemark } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { generate } from "./generators.ts";
import { type NpyArray, readNpy, shapeText } from "./npy.ts";
import { type Split, splitDataset } from "./split.ts";
import { type EncodedTargets, encodeTargets } from "./targets.ts";
import { applyTransforms, duplicateIntoValidation } from "./transforms.ts";
import { outputLayer } from "../layers/mod.ts";

/** A data set read from its source, before transforms. */
export interface LoadedData {
  dataset: Dataset;
  notes: string[];
}

/** Options of {@linkcode loadDataSpec}. */
export interface LoadDataOptions {
  /** Randomness of generators (consumed). */
  rng?: Rng;
  /** The scenario key of this spec ("data", "validation"), for errors; with `scenarioPath`. */
  key?: string;
  scenarioPath?: string;
}

/**
 * Reads or generates the rows a DataSpec describes (no transforms).
 *
 * @throws {InputError} unknown target / feature columns (listing the available ones), text in a
 * feature column (naming the first offending row and value), npy arrays whose rows disagree, ...
 */
export async function loadDataSpec(
  spec: DataSpec,
  source: FileSource,
  options: LoadDataOptions = {},
): Promise<LoadedData> {
  const key = options.key ?? "data";
  const at = (field: string): InputLocation => ({
    file: options.scenarioPath ?? "<inline>",
    field: `${key}.${field}`,
  });
  // A file a scenario names but that cannot be read: the scenario's key is what the user must fix.
  const named = async <T>(field: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof FileAccessError) || options.scenarioPath === undefined) throw e;
      throw new InputError(`${e.problem}: ${e.location.file}`, at(field));
    }
  };
  switch (spec.kind) {
    case "csv": {
      const table = await named("csv", () => readCsv(spec.path, source, { header: "required" }));
      return csvDataset(table, spec.target, spec.features, options.scenarioPath ? at : undefined);
    }
    case "npy": {
      const [x, y] = await Promise.all([
        named("npy.features", () => readNpy(spec.features, source)),
        named("npy.target", () => readNpy(spec.target, source)),
      ]);
      return npyDataset(x, y);
    }
    case "rows":
      return { dataset: fromRows(spec.rows, spec.target, at("rows")), notes: [] };
    case "generate": {
      const g = spec.generator;
      const dataset = generate(g, options.rng ?? Rng.fromSeed(0).stream("generate"));
      return {
        dataset,
        notes: [`generated ${g.samples} rows with ${g.kind} (${g.features} features, noise ${g.noise})`],
      };
    }
  }
}

function csvDataset(
  table: CsvTable,
  target: string[],
  features: string[] | undefined,
  scenarioKey?: (field: string) => InputLocation,
): LoadedData {
  const path = table.file;
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const names = table.columns.map((c) => c.name);
  const pick = (name: string, role: "target" | "features", index: number): CsvColumn => {
    const c = byName.get(name);
    if (!c) {
      const shown = names.slice(0, 12).map((n) => JSON.stringify(n)).join(", ") +
        (names.length > 12 ? `, ... (${names.length} columns)` : "");
      const where = scenarioKey
        ? scenarioKey(role === "target" && target.length === 1 ? "target" : `${role}[${index}]`)
        : { file: path, field: name };
      // From a scenario the location is its key, so the message names the CSV; else the CSV is the location.
      const inFile = scenarioKey ? ` in ${path}` : "";
      throw new InputError(
        `no ${role === "target" ? "target" : "feature"} column ${JSON.stringify(name)}${inFile}` +
          `${didYouMean(name, names)}: the columns are ${shown}${separatorRemark(table)}`,
        where,
      );
    }
    return c;
  };
  const targetColumns = target.map((t, i) => pick(t, "target", i));
  const featureColumns = features
    ? features.map((f, i) => {
      if (target.includes(f)) {
        throw new InputError(
          `column "${f}" is both a feature and the target`,
          scenarioKey ? scenarioKey(`features[${i}]`) : { file: path, field: f },
        );
      }
      return pick(f, "features", i);
    })
    : table.columns.filter((c) => !target.includes(c.name));
  const available = () => names.map((n) => JSON.stringify(n)).join(", ");
  if (featureColumns.length === 0) {
    throw new InputError(`no feature columns: every column is a target (${available()})`, { file: path });
  }
  for (const c of featureColumns) {
    if (!c.numeric) {
      const t = c.firstText!;
      const hint = numberHint(t.value) ||
        "; a missing value may be left empty or written NaN, NA or null; encode categories as numbers";
      throw new InputError(
        `expected a number in feature column "${c.name}", got ${JSON.stringify(t.value)}${hint}` +
          separatorRemark(table),
        { file: path, line: t.line, row: t.row, field: c.name },
      );
    }
  }
  const notes: string[] = [];
  let classNames: string[] | undefined;
  let targets: Float64Array;
  const textTarget = targetColumns.find((c) => !c.numeric);
  if (textTarget && targetColumns.length > 1) {
    const t = textTarget.firstText!;
    throw new InputError(
      `expected a number in target column "${textTarget.name}", got ${JSON.stringify(t.value)}: ` +
        `class names are only read from a single target column${numberHint(t.value)}`,
      { file: path, line: t.line, row: t.row, field: textTarget.name },
    );
  }
  if (textTarget) {
    const text = textTarget.text!;
    classNames = [...new Set(text.filter((s) => s !== ""))].sort();
    const index = new Map(classNames.map((name, i) => [name, i]));
    targets = Float64Array.from(text, (s) => (s === "" ? NaN : index.get(s)!));
    const shown = classNames.slice(0, 10).map((n, i) => `${n}→${i}`).join(", ");
    notes.push(
      `class names mapped in sorted order: ${shown}${
        classNames.length > 10 ? `, ... (${classNames.length})` : ""
      }`,
    );
  } else {
    targets = interleave(targetColumns.map((c) => c.values), table.rowCount);
  }
  const dataset: Dataset = {
    features: interleave(featureColumns.map((c) => c.values), table.rowCount),
    targets,
    rows: table.rowCount,
    featureNames: featureColumns.map((c) => c.name),
    targetNames: targetColumns.map((c) => c.name),
    source: path,
    ...(classNames ? { classNames } : {}),
  };
  return { dataset, notes };
}

/** Row-major `rows x columns.length` from column arrays. */
function interleave(columns: Float64Array[], rows: number): Float64Array {
  const w = columns.length;
  const out = new Float64Array(rows * w);
  columns.forEach((col, j) => {
    for (let i = 0; i < rows; i++) out[i * w + j] = col[i];
  });
  return out;
}

function npyDataset(x: NpyArray, y: NpyArray): LoadedData {
  const featuresPath = x.file;
  const targetPath = y.file;
  const dims = (a: NpyArray, what: string): [number, number] => {
    if (a.shape.length === 1) return [a.shape[0], 1];
    if (a.shape.length === 2) return [a.shape[0], a.shape[1]];
    throw new InputError(
      `${what} must be a 1-D or 2-D array (rows, or rows × columns), got shape ${shapeText(a.shape)}`,
      { file: a.file, field: "shape" },
    );
  };
  // Features may be [N, ...shape] (images [N, h, w, c], sequences [N, steps]): rows flattened
  // row-major, which is NumPy's C order, so the data needs no copy.
  const [n, d] = x.shape.length > 2
    ? [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)]
    : dims(x, "the features");
  const [m, k] = dims(y, "the target");
  if (n !== m) {
    throw new InputError(
      `row counts disagree: shape ${shapeText(y.shape)} has ${m} rows but the features in ${featuresPath} ` +
        `have ${n} (shape ${shapeText(x.shape)}); one target row per feature row`,
      { file: targetPath, field: "shape" },
    );
  }
  if (d === 0 || k === 0) {
    throw new InputError(`an array with zero columns`, { file: d === 0 ? featuresPath : targetPath });
  }
  const dataset: Dataset = {
    features: x.data,
    targets: y.data,
    rows: n,
    featureNames: Array.from({ length: d }, (_, j) => `x${j}`),
    targetNames: k === 1 ? ["y"] : Array.from({ length: k }, (_, j) => `y${j}`),
    source: featuresPath,
    ...(x.shape.length > 2 ? { rowShape: x.shape.slice(1) } : {}),
  };
  return {
    dataset,
    notes: [`read ${n} rows: ${d} feature(s) (${x.dtype}), ${k} target column(s) (${y.dtype})`],
  };
}

/** Inline rows: the target columns are indices; feature and target names are "c<index>". */
function fromRows(rows: number[][], target: number[], where: InputLocation): Dataset {
  const width = rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r.length !== width) {
      throw new InputError(`ragged row: expected ${width} values but got ${r.length}`, {
        ...where,
        field: `${where.field}[${i}]`,
      });
    }
  });
  const featureIdx = [...Array(width).keys()].filter((j) => !target.includes(j));
  const features = new Float64Array(rows.length * featureIdx.length);
  const targets = new Float64Array(rows.length * target.length);
  rows.forEach((r, i) => {
    featureIdx.forEach((j, c) => (features[i * featureIdx.length + c] = r[j]));
    target.forEach((j, c) => (targets[i * target.length + c] = r[j]));
  });
  return {
    features,
    targets,
    rows: rows.length,
    featureNames: featureIdx.map((j) => `c${j}`),
    targetNames: target.map((j) => `c${j}`),
    source: "<inline>",
  };
}

/** Everything the trainer and the detectors need from a scenario's data. */
export interface ScenarioData {
  train: Dataset;
  validation: Dataset | null;
  /** What was inferred, mapped, planted or ignored, one sentence each. */
  notes: string[];
  task: TaskInference;
  /** Targets encoded for the scenario's loss and output width (see src/data/targets.ts). */
  targets: { train: EncodedTargets; validation: EncodedTargets | null };
  /** How the validation set was made; for a split, row indices into the transformed training data. */
  validationSource:
    | { kind: "split"; trainRows: Uint32Array; validationRows: Uint32Array }
    | { kind: "data"; source: string }
    | { kind: "none" };
  /** Pairs [validation row, training row] planted by duplicate-into-validation. */
  duplicated: Array<[number, number]>;
}

/**
 * Loads, transforms and splits a scenario's data, infers the task and encodes the targets. All
 * randomness comes from `Rng.fromSeed(scenario.seed)` streams: "data", "validation-data", "split".
 *
 * @throws {InputError} any problem with the data files or the data / model shapes.
 */
export async function loadScenarioData(scenario: Scenario, source: FileSource): Promise<ScenarioData> {
  const root = Rng.fromSeed(scenario.seed);
  const file = scenario.path;
  const notes: string[] = [];
  const load = async (spec: DataSpec, key: string) => {
    const rng = root.stream(key === "data" ? "data" : "validation-data");
    const loaded = await loadDataSpec(spec, source, { rng: rng.stream("generate"), key, scenarioPath: file });
    const t = applyTransforms(loaded.dataset, spec.transforms, rng.stream("transforms"), {
      location: (i) => ({ file, field: `${key}.transforms[${i}]` }),
    });
    notes.push(...loaded.notes, ...t.notes);
    return t;
  };
  const main = await load(scenario.data, "data");
  let train = main.dataset;
  let validation: Dataset | null = null;
  let validationSource: ScenarioData["validationSource"] = { kind: "none" };
  const spec = scenario.validation;
  if (spec?.kind === "split") {
    const split: Split = splitDataset(
      train,
      { ...spec, location: { file, field: "validation.fraction" } },
      root.stream("split"),
    );
    train = split.train;
    validation = split.validation;
    validationSource = { kind: "split", trainRows: split.trainRows, validationRows: split.validationRows };
    notes.push(
      `validation: ${split.validation.rows} of ${split.train.rows + split.validation.rows} rows, ` +
        (spec.shuffle ? "shuffled" : "the last rows, unshuffled") +
        (spec.stratify && !split.note ? ", stratified" : ""),
    );
    if (split.note) notes.push(split.note);
  } else if (spec?.kind === "data") {
    const v = await load(spec.data, "validation");
    if (v.duplicateIntoValidation !== undefined) {
      throw new InputError("duplicate-into-validation belongs in data.transforms (it copies training rows)", {
        file,
        field: "validation.transforms",
      });
    }
    validation = v.dataset;
    const extra = checkSameColumns(train, validation, file);
    if (extra.length > 0) {
      notes.push(`validation has class names the training data lacks: ${extra.join(", ")}`);
    }
    validationSource = { kind: "data", source: validation.source };
  }
  let duplicated: Array<[number, number]> = [];
  if (main.duplicateIntoValidation !== undefined) {
    if (validation === null) {
      throw new InputError("duplicate-into-validation needs a validation set, and validation is null", {
        file,
        field: "data.transforms",
      });
    }
    const d = duplicateIntoValidation(
      train,
      validation,
      main.duplicateIntoValidation,
      root.stream("duplicate"),
    );
    validation = d.validation;
    duplicated = d.copied;
  }
  const task = inferTask(scenario, train);
  if (task.inferred) notes.push(`task inferred: ${task.task} (${task.reason})`);
  const layers = scenario.model.layers;
  const units = outputLayer(layers).units;
  const location = { file, field: `model.layers[${layers.length - 1}].units` };
  const trainTargets = encodeTargets(train, scenario.loss, units, { location });
  const validationTargets = validation ? encodeTargets(validation, scenario.loss, units, { location }) : null;
  notes.push(...trainTargets.notes.map((n) => `training targets: ${n}`));
  if (validationTargets) notes.push(...validationTargets.notes.map((n) => `validation targets: ${n}`));
  return {
    train,
    validation,
    notes,
    task,
    targets: { train: trainTargets, validation: validationTargets },
    validationSource,
    duplicated,
  };
}

/** Checks the columns agree and maps validation class names onto the training indices; returns names only validation has. */
function checkSameColumns(train: Dataset, validation: Dataset, file: string): string[] {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (
    !same(train.featureNames, validation.featureNames) || !same(train.targetNames, validation.targetNames)
  ) {
    throw new InputError(
      `the validation data's columns (features ${validation.featureNames.join(", ")}; target ${
        validation.targetNames.join(", ")
      }) ` +
        `differ from the training data's (features ${train.featureNames.join(", ")}; target ${
          train.targetNames.join(", ")
        })`,
      { file: validation.source === "<inline>" ? file : validation.source, field: "validation" },
    );
  }
  if (train.classNames || validation.classNames) {
    if (!train.classNames || !validation.classNames) {
      const named = train.classNames ? "training" : "validation";
      throw new InputError(`the ${named} target holds class names but the other set's target holds numbers`, {
        file: validation.source,
        field: validation.targetNames[0],
      });
    }
    // Each file maps its own class names; the validation set must use the training set's indices.
    // Names only the validation set has get the next indices: a class missing from training is a
    // split problem to diagnose, not an input error.
    const names = [...train.classNames];
    const extra = validation.classNames.filter((n) => !names.includes(n));
    names.push(...extra);
    const remap = validation.classNames.map((n) => names.indexOf(n));
    for (let i = 0; i < validation.targets.length; i++) {
      const v = validation.targets[i];
      if (!Number.isNaN(v)) validation.targets[i] = remap[v];
    }
    train.classNames = names;
    validation.classNames = names;
    return extra;
  }
  return [];
}
