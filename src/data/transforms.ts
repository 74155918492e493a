/**
 * Data transforms, applied in the order the scenario lists them, each with its own Rng stream. Most
 * exist to plant a known defect (noise, leakage, scale, NaN, imbalance, order, overlap) so that the
 * detectors can be shown to find it. Parameters and defaults: src/data/specs.ts and docs/data.md.
 *
 * @module
 */
import { InputError, type InputLocation } from "../errors.ts";
import type { Rng } from "../random.ts";
import type { TransformSpec } from "../scenario/types.ts";
import { rowClasses, takeRows, targetShape } from "./classes.ts";
import type { Dataset } from "./dataset.ts";
import { param, type TransformOp, TRANSFORMS } from "./specs.ts";

/** Result of {@linkcode applyTransforms}. */
export interface TransformResult {
  dataset: Dataset;
  /** One line per transform, saying what it did ("label-noise: 120 of 600 labels changed"). */
  notes: string[];
  /** The `duplicate-into-validation` fraction, applied after the split; undefined when not asked for. */
  duplicateIntoValidation?: number;
}

/** Options of {@linkcode applyTransforms}. */
export interface TransformOptions {
  /** Where transform `index` was written, for errors ({file: scenario, field: "data.transforms[2]"}). */
  location?: (index: number) => InputLocation;
}

/**
 * Applies `transforms` in order to a copy of `d`. Transform i draws from `rng.stream("transform:<i>")`.
 *
 * @throws {InputError} an unknown op or parameter, or a transform that does not fit the data
 * (label-noise on continuous targets, a feature column that does not exist, ...).
 */
export function applyTransforms(
  d: Dataset,
  transforms: TransformSpec[],
  rng: Rng,
  options: TransformOptions = {},
): TransformResult {
  let data: Dataset = { ...d, features: d.features.slice(), targets: d.targets.slice() };
  const notes: string[] = [];
  let duplicate: number | undefined;
  transforms.forEach((t, i) => {
    const where = options.location?.(i) ?? { file: d.source, field: `transforms[${i}]` };
    const fail = (problem: string, key?: string): never => {
      throw new InputError(problem, { ...where, field: key ? `${where.field}.${key}` : where.field });
    };
    const table = TRANSFORMS[t.op as TransformOp];
    if (table === undefined) fail(`unknown transform "${t.op}"`, "op");
    for (const key of Object.keys(t)) {
      if (key !== "op" && !(key in table)) fail(`unknown parameter "${key}" for ${t.op}`, key);
    }
    const p = <T extends number | boolean | string>(key: string) => param<T>(t, table, key);
    const r = rng.stream(`transform:${i}`);
    const op = t.op as TransformOp;
    let note: string;
    switch (op) {
      case "standardize-features":
        standardize(data.features, data.featureNames.length);
        note = `standardized ${data.featureNames.length} feature columns to mean 0, std 1`;
        break;
      case "standardize-target":
        standardize(data.targets, data.targetNames.length);
        data = { ...data, classNames: undefined };
        note = `standardized ${data.targetNames.length} target column(s) to mean 0, std 1`;
        break;
      case "label-noise":
        note = labelNoise(data, p<number>("fraction")!, r, fail);
        break;
      case "leak-feature":
        [data, note] = leakFeature(data, p<number>("noise")!, r);
        break;
      case "scale-feature": {
        const j = featureIndex(data, p<number | string>("column")!, (m) => fail(m, "column"));
        const factor = p<number>("factor")!;
        const fw = data.featureNames.length;
        for (let i = 0; i < data.rows; i++) data.features[i * fw + j] *= factor;
        note = `feature "${data.featureNames[j]}" multiplied by ${factor}`;
        break;
      }
      case "scale-features": {
        const factor = p<number>("factor")!;
        for (let i = 0; i < data.features.length; i++) data.features[i] *= factor;
        note = `every feature multiplied by ${factor}`;
        break;
      }
      case "nan":
        note = plantNaN(data, p<number>("fraction")!, p<number | string>("column"), r, fail);
        break;
      case "imbalance":
        [data, note] = imbalance(data, t, r, fail);
        break;
      case "sort-by-target":
        [data, note] = sortByTarget(data, p<boolean>("descending")!);
        break;
      case "channels-last":
        [data, note] = channelsLast(data, p<number>("channels")!, fail);
        break;
      case "duplicate-into-validation":
        duplicate = p<number>("fraction")!;
        note =
          `duplicate-into-validation: ${duplicate} of the validation rows will be copies of training rows`;
        break;
    }
    notes.push(note!);
  });
  return { dataset: data, notes, duplicateIntoValidation: duplicate };
}

/**
 * Each row from channels first (C, then the rest: PyTorch's [C, H, W]) to channels last (the rest, then
 * C: Keras's [H, W, C]): value c·S + s moves to s·C + c, S = features / C. A .npy row shape follows.
 */
function channelsLast(
  d: Dataset,
  channels: number,
  fail: (m: string, key?: string) => never,
): [Dataset, string] {
  const width = d.featureNames.length;
  if (width % channels !== 0) {
    fail(`${width} features per row are not ${channels} channels of equal size`, "channels");
  }
  if (d.rowShape && d.rowShape.length > 1 && d.rowShape[0] !== channels) {
    fail(`the rows have shape [${d.rowShape}], whose first axis is not ${channels} channels`, "channels");
  }
  const spatial = width / channels;
  const features = new Float64Array(d.features.length);
  for (let r = 0; r < d.rows; r++) {
    const o = r * width;
    for (let c = 0; c < channels; c++) {
      for (let s = 0; s < spatial; s++) features[o + s * channels + c] = d.features[o + c * spatial + s];
    }
  }
  const rowShape = d.rowShape && d.rowShape.length > 1 ? [...d.rowShape.slice(1), channels] : d.rowShape;
  return [
    { ...d, features, ...(rowShape ? { rowShape } : {}) },
    `channels-last: rows of ${channels} channel(s) x ${spatial} values reordered channels last`,
  ];
}

/** Column-wise (x - mean) / std over the finite values; a constant column is only centred. */
function standardize(values: Float64Array, width: number): void {
  const rows = values.length / width;
  for (let k = 0; k < width; k++) {
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i * width + k];
      if (!Number.isFinite(v)) continue;
      n++;
      const delta = v - mean; // Welford: stable for large offsets (unscaled features are the norm here)
      mean += delta / n;
      m2 += delta * (v - mean);
    }
    const std = n > 0 ? Math.sqrt(m2 / n) : 0;
    for (let i = 0; i < rows; i++) {
      values[i * width + k] = (values[i * width + k] - mean) / (std > 0 ? std : 1);
    }
  }
}

/** Changes `fraction` of the labels (rows with a label) to a different class, chosen uniformly. */
function labelNoise(d: Dataset, fraction: number, rng: Rng, fail: (m: string) => never): string {
  const shape = targetShape(d);
  const width = d.targetNames.length;
  const labelled = [...Array(d.rows).keys()].filter((i) => {
    for (let k = 0; k < width; k++) if (!Number.isFinite(d.targets[i * width + k])) return false;
    return true;
  });
  const count = Math.round(fraction * labelled.length);
  const chosen = rng.shuffle(labelled).slice(0, count);
  if (shape.kind === "index") {
    if (shape.values.length < 2) {
      fail(`label-noise needs at least 2 classes, the targets have ${shape.values.length}`);
    }
    for (const i of chosen) {
      const others = shape.values.filter((v) => v !== d.targets[i]);
      d.targets[i] = others[rng.int(others.length)];
    }
  } else if (shape.kind === "one-hot") {
    for (const i of chosen) {
      const row = d.targets.subarray(i * width, i * width + width);
      const from = row.indexOf(1);
      const to = (from + 1 + rng.int(width - 1)) % width;
      row[from] = 0;
      row[to] = 1;
    }
  } else if (shape.kind === "multilabel") {
    for (const i of chosen) {
      const k = rng.int(width);
      d.targets[i * width + k] = 1 - d.targets[i * width + k];
    }
  } else {
    fail(`label-noise needs class targets; these are continuous (${shape.distinct} distinct values)`);
  }
  const unit = shape.kind === "multilabel" ? "rows had one label flipped" : "labels changed to another class";
  return `label-noise: ${count} of ${labelled.length} ${unit}`;
}

/** Appends a feature "leak" = the label (class index, or first target column) + N(0, noise^2). */
function leakFeature(d: Dataset, noise: number, rng: Rng): [Dataset, string] {
  const classes = rowClasses(d);
  const tw = d.targetNames.length;
  const fw = d.featureNames.length;
  let name = "leak";
  for (let k = 2; d.featureNames.includes(name); k++) name = `leak${k}`;
  const features = new Float64Array(d.rows * (fw + 1));
  for (let i = 0; i < d.rows; i++) {
    features.set(d.features.subarray(i * fw, i * fw + fw), i * (fw + 1));
    const label = classes ? classes[i] : d.targets[i * tw];
    features[i * (fw + 1) + fw] = label + noise * rng.normal();
  }
  return [
    { ...d, features, featureNames: [...d.featureNames, name] },
    `leak-feature: added feature "${name}" = the label + N(0, ${noise}^2) noise`,
  ];
}

function featureIndex(d: Dataset, column: number | string, fail: (m: string) => never): number {
  const j = typeof column === "number" ? column : d.featureNames.indexOf(column);
  if (j < 0 || j >= d.featureNames.length) {
    fail(
      `no feature column ${JSON.stringify(column)}: the features are ${
        d.featureNames.map((n, k) => `${k}:${n}`).join(", ")
      }`,
    );
  }
  return j;
}

/** Sets `fraction` of one feature column's cells (or of all feature cells) to NaN. */
function plantNaN(
  d: Dataset,
  fraction: number,
  column: number | string | undefined,
  rng: Rng,
  fail: (m: string, key?: string) => never,
): string {
  const fw = d.featureNames.length;
  if (column !== undefined) {
    const j = featureIndex(d, column, (m) => fail(m, "column"));
    const count = Math.round(fraction * d.rows);
    const rows = rng.permutation(d.rows).subarray(0, count);
    for (const i of rows) d.features[i * fw + j] = NaN;
    return `nan: ${count} of ${d.rows} cells of feature "${d.featureNames[j]}" set to NaN`;
  }
  const count = Math.round(fraction * d.features.length);
  const cells = rng.permutation(d.features.length).subarray(0, count);
  for (const c of cells) d.features[c] = NaN;
  return `nan: ${count} of ${d.features.length} feature cells set to NaN`;
}

/**
 * `{class, keep}`: keeps `keep` of that class's rows. `{ratio}` (default 0.1): class c of C (in label
 * order) keeps n_c * ratio^(c / (C - 1)) rows, a geometric long tail from class 0 (all rows) to the
 * last class (`ratio` of its rows). At least one row of each class is kept; row order is preserved.
 */
function imbalance(
  d: Dataset,
  t: TransformSpec,
  rng: Rng,
  fail: (m: string, key?: string) => never,
): [Dataset, string] {
  const shape = targetShape(d);
  const classes = rowClasses(d, shape);
  if (classes === null) fail("imbalance needs single-label class targets (class indices or one-hot rows)");
  const values = [...new Set(Array.from(classes!).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  const keepOf = new Map<number, number>();
  if (t.class !== undefined) {
    if (!values.includes(t.class as number)) {
      fail(`no class ${t.class} in the targets (classes: ${values.join(", ")})`, "class");
    }
    keepOf.set(t.class as number, t.keep as number);
  } else {
    const ratio = (t.ratio as number | undefined) ?? 0.1;
    values.forEach((v, c) => keepOf.set(v, values.length > 1 ? ratio ** (c / (values.length - 1)) : 1));
  }
  const drop = new Set<number>();
  const summary: string[] = [];
  for (const [value, keep] of keepOf) {
    const rows = [...Array(d.rows).keys()].filter((i) => classes![i] === value);
    const kept = Math.max(1, Math.round(keep * rows.length));
    rng.shuffle(rows).slice(kept).forEach((i) => drop.add(i));
    if (kept < rows.length) summary.push(`class ${value}: ${kept} of ${rows.length}`);
  }
  const remaining = [...Array(d.rows).keys()].filter((i) => !drop.has(i));
  return [takeRows(d, remaining), `imbalance: kept ${summary.join(", ") || "every row"}`];
}

/** Stable sort of the rows by class (single-label targets) or by the first target column. */
function sortByTarget(d: Dataset, descending: boolean): [Dataset, string] {
  const classes = rowClasses(d);
  const tw = d.targetNames.length;
  const key = (i: number) => (classes ? classes[i] : d.targets[i * tw]);
  const order = [...Array(d.rows).keys()].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (Number.isNaN(ka) || Number.isNaN(kb)) return Number.isNaN(ka) ? (Number.isNaN(kb) ? 0 : 1) : -1;
    return descending ? kb - ka : ka - kb;
  });
  return [
    takeRows(d, order),
    `sort-by-target: rows ordered by ${classes ? "class" : `"${d.targetNames[0]}"`}${
      descending ? ", descending" : ""
    }`,
  ];
}

/**
 * Replaces `fraction` of the validation rows (chosen at random) with copies of distinct random
 * training rows, planting a train/validation overlap. Returns the new validation set and the pairs
 * [validation row, training row] that were copied.
 */
export function duplicateIntoValidation(
  train: Dataset,
  validation: Dataset,
  fraction: number,
  rng: Rng,
): { validation: Dataset; copied: Array<[number, number]> } {
  const count = Math.min(Math.round(fraction * validation.rows), train.rows);
  const targets = rng.permutation(validation.rows).subarray(0, count);
  const sources = rng.permutation(train.rows).subarray(0, count);
  const out: Dataset = {
    ...validation,
    features: validation.features.slice(),
    targets: validation.targets.slice(),
  };
  const fw = train.featureNames.length;
  const tw = train.targetNames.length;
  const copied: Array<[number, number]> = [];
  for (let k = 0; k < count; k++) {
    const v = targets[k];
    const s = sources[k];
    out.features.set(train.features.subarray(s * fw, s * fw + fw), v * fw);
    out.targets.set(train.targets.subarray(s * tw, s * tw + tw), v * tw);
    copied.push([v, s]);
  }
  return { validation: out, copied };
}
