/**
 * The TensorBoard multiplexer: an event file, or a run directory of them, to one {@linkcode History}.
 *
 * Layouts it reads, as the writers make them:
 * - Keras's `TensorBoard` callback: `logdir/train/` and `logdir/validation/` each with event files
 *   holding `epoch_loss`, `epoch_accuracy`, ... at step = epoch (from 0), and optionally per-batch
 *   `batch_*` tags and `evaluation_*_vs_iterations` in `validation/`;
 * - PyTorch's `SummaryWriter`: tags such as `Loss/train`, `Accuracy/val` at whatever step the loop
 *   passed (one directory, several files when the writer was reopened);
 * - Lightning's `TensorBoardLogger`: tags `train_loss`, `val_loss`, ... at the global step, plus an
 *   `epoch` tag whose value maps each step to its epoch (and an `hp_metric` placeholder).
 *
 * Keys are `<run>/<tag>` (the run being the subdirectory, "" at the top), which `classifyKey` reads
 * ("validation/epoch_loss" is the validation loss). Files are read in name order (the writers put a
 * timestamp in the name); a later value of the same tag and step replaces an earlier one, as
 * TensorBoard shows it.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type FileSource, joinPath } from "../io.ts";
import { scalarEvents } from "./tf_event.ts";
import { readTfRecords } from "./tfrecord.ts";
import type { History, StepSeries } from "./types.ts";

/** A file name TensorBoard would load as an event file. */
export function isEventFileName(name: string): boolean {
  return /tfevents/.test(name);
}

/** Finds the event files under `dir` (two levels of run subdirectories at most), sorted. */
async function eventFiles(
  dir: string,
  source: FileSource,
  run = "",
  depth = 0,
): Promise<{ path: string; run: string }[]> {
  const entries = await source.list!(dir) ?? [];
  const out: { path: string; run: string }[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = joinPath(dir, e.name);
    if (e.directory && depth < 2) {
      out.push(...await eventFiles(path, source, run ? `${run}/${e.name}` : e.name, depth + 1));
    } else if (!e.directory && isEventFileName(e.name)) out.push({ path, run });
  }
  return out;
}

/** Reads an event file or a run directory (`isDirectory`) into the per-epoch history. */
export async function readTensorboard(
  path: string,
  source: FileSource,
  isDirectory: boolean,
): Promise<History> {
  const files = isDirectory ? await eventFiles(path, source) : [{ path, run: "" }];
  if (files.length === 0) {
    throw new InputError(
      "no TensorBoard event files (events.out.tfevents.*) in this directory or its run subdirectories",
      { file: path },
    );
  }
  /** key -> step -> value, in file order. */
  const series = new Map<string, Map<number, number>>();
  const epochOfStep = new Map<string, Map<number, number>>();
  const notes: string[] = [];
  for (const f of files) {
    const events = scalarEvents(readTfRecords(await source.readBytes(f.path), f.path), f.path);
    for (const ev of events) {
      if (ev.tag === "epoch") {
        // Lightning's step -> epoch map (value 0-based); not a quantity of its own.
        if (!epochOfStep.has(f.run)) epochOfStep.set(f.run, new Map());
        epochOfStep.get(f.run)!.set(ev.step, ev.value);
        continue;
      }
      if (ev.tag === "hp_metric") continue; // Lightning's hyperparameter placeholder (-1)
      const key = f.run ? `${f.run}/${ev.tag}` : ev.tag;
      if (!series.has(key)) series.set(key, new Map());
      series.get(key)!.set(ev.step, ev.value);
    }
  }
  if (series.size === 0) {
    throw new InputError(
      `no scalar summaries in ${files.length} event file${
        files.length === 1 ? "" : "s"
      } (only graphs, histograms, images or text)`,
      { file: path },
    );
  }
  const runOf = (key: string) =>
    key.includes("/") && files.some((f) => f.run && key.startsWith(f.run + "/"))
      ? files.find((f) => f.run && key.startsWith(f.run + "/"))!.run
      : "";
  const anyEpochMap = [...epochOfStep.values()][0];

  const mapped = new Map<string, Map<number, number[]>>();
  const unmapped = new Map<string, [number, number][]>();
  const steps: Record<string, StepSeries> = {};
  const stepSeries = (ordered: [number, number][]): StepSeries => ({
    steps: ordered.map(([s]) => s),
    values: ordered.map(([, v]) => v),
  });
  for (const [key, byStep] of series) {
    const tag = key.slice(key.lastIndexOf("/") + 1);
    const ordered = [...byStep].sort((a, b) => a[0] - b[0]);
    // Per-batch series as Keras names them stay per step.
    if (/^batch_|_vs_iterations$/.test(tag)) {
      steps[key] = stepSeries(ordered);
      continue;
    }
    const map = epochOfStep.get(runOf(key)) ?? anyEpochMap;
    const epochOf = (step: number): number | null => {
      if (/^epoch_/.test(tag)) return step + 1; // Keras: step = epoch index from 0
      const e = map?.get(step);
      return e === undefined ? null : Math.round(e) + 1;
    };
    const byEpoch = new Map<number, number[]>();
    for (const [s, v] of ordered) {
      const e = epochOf(s);
      if (e === null) break;
      if (!byEpoch.has(e)) byEpoch.set(e, []);
      byEpoch.get(e)!.push(v);
    }
    if ([...byEpoch.values()].reduce((n, vs) => n + vs.length, 0) < ordered.length) {
      unmapped.set(key, ordered);
      continue;
    }
    if ([...byEpoch.values()].some((vs) => vs.length > 1)) {
      steps[key] = stepSeries(ordered);
      notes.push(`${key} is logged several times per epoch: its epoch value is the mean of the logged steps`);
    }
    mapped.set(key, byEpoch);
  }
  let stepAxis = false;
  const kerasTf1 = mapped.size === 0 &&
    [...unmapped.keys()].some((k) => /^(val_)?(loss|acc|accuracy)$/.test(k)) &&
    [...unmapped.values()].every((o) => o.every(([step], i) => step === i));
  if (kerasTf1) {
    // The TF1-era Keras TensorBoard callback: `loss`, `val_loss`, `acc` in one directory at step =
    // epoch from 0, one value per step: the rows are epochs, counted from 1 as Keras prints them.
    for (const [key, ordered] of unmapped) mapped.set(key, new Map(ordered.map(([s, v]) => [s + 1, [v]])));
    notes.push("Keras names at steps 0..N-1 with no epoch_* tags: read as epochs (step + 1)");
  } else if (mapped.size === 0) {
    // No epoch marks at all (PyTorch SummaryWriter): the rows are the logged steps.
    stepAxis = true;
    for (const [key, ordered] of unmapped) mapped.set(key, new Map(ordered.map(([s, v]) => [s, [v]])));
    notes.push(
      "no epoch marks in the event files (no epoch_* tags, no epoch tag): rows are the logged steps",
    );
  } else {
    for (const [key, ordered] of unmapped) {
      steps[key] = stepSeries(ordered);
      notes.push(`${key} has steps with no epoch mark: kept as a per-step series`);
    }
  }
  const perEpoch = mapped;
  const rows = [...new Set([...perEpoch.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const keys = [...perEpoch.keys()];
  const values: Record<string, (number | null)[]> = {};
  for (const key of keys) {
    const m = perEpoch.get(key)!;
    values[key] = rows.map((r) => {
      const vs = m.get(r);
      return vs ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
    });
  }
  if (keys.length === 0) {
    throw new InputError("only per-batch scalars (batch_*): no per-epoch values to audit", { file: path });
  }
  return {
    file: path,
    format: "tensorboard",
    keys,
    values,
    epochs: rows,
    axis: stepAxis ? "step" : "epoch",
    ...(Object.keys(steps).length > 0 ? { steps } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
