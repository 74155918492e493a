/**
 * `diagnose data`: the data findings on CSV, Parquet, .npy or .npz files, without training.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { readNpz } from "../data/npz.ts";
import { loadDataSpec } from "../data/load.ts";
import { noteUntested } from "../diagnose/claims.ts";
import { diagnoseData } from "../diagnose/data.ts";
import { orderFindings, summarize } from "../diagnose/order.ts";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { majorityClassAccuracy } from "../reference/metrics.ts";
import { type Report, TOOL_VERSION } from "../report/types.ts";
import { inferTask } from "../scenario/task.ts";
import type { Task } from "../scenario/types.ts";

export interface DataCheckOptions {
  train: string;
  validation?: string;
  target: string[];
  /** Feature columns (CSV, Parquet) or the features array (`.npz`); default: all but the target. */
  features?: string[];
  task?: Task;
  source: FileSource;
}

/** Loads the files and runs the data detectors; the report has mode "data" and no adapter. */
export async function checkDataFiles(options: DataCheckOptions): Promise<Report> {
  const started = performance.now();
  const train = await loadTable(options.train, options.target, options.source, options.features);
  const validation = options.validation
    ? await loadTable(options.validation, options.target, options.source, options.features)
    : null;
  const task = options.task
    ? { task: options.task, inferred: false, reason: "given with --task" }
    : dataOnlyTask(train);
  const findings = orderFindings(diagnoseData({ train, validation, task, seed: 0 }).map(noteUntested));
  const classification = task.task === "binary" || task.task === "multiclass";
  const y = { data: train.targets, rows: train.rows, cols: train.targetNames.length };
  return {
    schema: "fitcheck.report/v1",
    tool: { name: "fitcheck", version: TOOL_VERSION },
    mode: "data",
    adapter: null,
    scenario: null,
    summary: summarize(findings),
    symptoms: {
      initialLoss: null,
      train: {},
      validation: null,
      baseline: classification ? { majorityClassAccuracy: majorityClassAccuracy(y) } : {},
    },
    history: [],
    findings,
    consistency: [],
    timings: {
      totalMs: Math.round(performance.now() - started),
      trainMs: 0,
      diagnoseMs: Math.round(performance.now() - started),
    },
    task,
    data: {
      train: {
        file: options.train,
        rows: train.rows,
        features: train.featureNames,
        targets: train.targetNames,
      },
      validation: validation ? { file: options.validation, rows: validation.rows } : null,
    },
  };
}

/** The task the targets describe; with no loss to compare against, the reason says only what the targets are. */
function dataOnlyTask(train: Dataset) {
  const t = inferTask({
    task: undefined,
    loss: { name: "mse", fromLogits: false, reduction: "mean", delta: 1 },
  }, train);
  return { ...t, reason: t.reason.replace(/; the loss .*$/, "") };
}

/**
 * A CSV or Parquet file with named target columns, a `.npz` whose target (and features) are arrays
 * by name, or a 2-D .npy whose target columns are given by index.
 */
async function loadTable(
  path: string,
  target: string[],
  source: FileSource,
  features?: string[],
): Promise<Dataset> {
  if (/\.npz$/i.test(path)) return await loadNpzTable(path, target, source, features);
  if (/\.parquet$/i.test(path)) {
    const spec = {
      kind: "parquet" as const,
      path,
      target,
      ...(features ? { features } : {}),
      transforms: [],
    };
    return (await loadDataSpec(spec, source)).dataset;
  }
  if (path.toLowerCase().endsWith(".npy")) {
    const indices = target.map((t) => {
      const i = Number(t);
      if (!Number.isInteger(i) || i < 0) {
        throw new InputError(`for a .npy file, --target takes column indices (0-based), got "${t}"`, {
          file: path,
          field: "--target",
        });
      }
      return i;
    });
    const { readNpy } = await import("../data/npy.ts");
    const array = await readNpy(path, source);
    if (array.shape.length !== 2) {
      throw new InputError(`expected a 2-D array (rows × columns), got shape (${array.shape.join(", ")})`, {
        file: path,
      });
    }
    const [rows, cols] = array.shape;
    for (const i of indices) {
      if (i >= cols) {
        throw new InputError(`target column ${i} does not exist: the array has ${cols} columns`, {
          file: path,
          field: "--target",
        });
      }
    }
    const data = Array.from(
      { length: rows },
      (_, r) => Array.from(array.data.subarray(r * cols, (r + 1) * cols)),
    );
    const loaded = await loadDataSpec({ kind: "rows", rows: data, target: indices, transforms: [] }, source);
    return { ...loaded.dataset, source: path };
  }
  const loaded = await loadDataSpec(
    { kind: "csv", path, target, ...(features ? { features } : {}), transforms: [] },
    source,
  );
  return loaded.dataset;
}

/** `--train d.npz --target y [--features x]`: the target array, and the features array (the one other by default). */
async function loadNpzTable(
  path: string,
  target: string[],
  source: FileSource,
  features?: string[],
): Promise<Dataset> {
  const one = (names: string[], option: string) => {
    if (names.length !== 1) {
      throw new InputError(`for a .npz file, ${option} names one array, got ${names.length}`, {
        file: "<argv>",
        field: option,
      });
    }
    return names[0];
  };
  const targetName = one(target, "--target");
  const npz = await readNpz(path, source);
  const list = npz.names.map((n) => JSON.stringify(n)).join(", ");
  if (!npz.names.includes(targetName)) npz.array(targetName); // throws, listing the arrays
  let featuresName: string;
  if (features) {
    featuresName = one(features, "--features");
  } else {
    const others = npz.names.filter((n) => n !== targetName);
    if (others.length !== 1) {
      throw new InputError(
        others.length === 0
          ? `the archive holds only the target array "${targetName}": no features`
          : `the archive holds several arrays besides the target (${list}): name the features with --features`,
        { file: path },
      );
    }
    featuresName = others[0];
  }
  const spec = { kind: "npz" as const, path, features: featuresName, target: targetName, transforms: [] };
  return (await loadDataSpec(spec, source)).dataset;
}
