/**
 * PyTorch Lightning's `CSVLogger` `metrics.csv`: one header with `epoch`, `step` and every logged
 * name, then one row per `log_metrics` call with blank cells for the names not logged in it. Rows of
 * three kinds interleave: per-step training rows (every `log_every_n_steps`: `train_loss` with
 * `on_step=True`, or `train_loss_step`), per-epoch rows (`train_loss_epoch`, `val_loss`, `val_acc`),
 * and final `trainer.test` rows (`test_loss`). `epoch` counts from 0.
 *
 * A `*_step` column, or one logged more than once in some epoch, is a per-step series; its epoch value
 * is the mean of the epoch's logged steps (what `on_epoch=True` would have logged, up to the steps
 * between logs). Every other column gives one value per epoch.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { loggedValues, readHistoryCsv } from "./history_csv.ts";
import type { History, StepSeries } from "./types.ts";

/** True for a header Lightning's CSVLogger writes: both an `epoch` and a `step` column. */
export function isLightningHeader(header: string[]): boolean {
  return header.includes("epoch") && header.includes("step");
}

/** Reads a Lightning `metrics.csv`. */
export async function readLightningCsv(path: string, source: FileSource): Promise<History> {
  const table = await readHistoryCsv(path, source);
  const logged = await loggedValues(path, source, table);
  const epochCol = table.columns.find((c) => c.name === "epoch")!;
  const stepCol = table.columns.find((c) => c.name === "step")!;
  const epochs: number[] = [];
  for (let r = 0; r < table.rowCount; r++) {
    const e = epochCol.values[r];
    if (!Number.isInteger(e) || e < 0) {
      throw new InputError(
        `epoch must be a non-negative integer (Lightning counts from 0), got ${
          Number.isNaN(e) ? "a blank cell" : e
        }`,
        { file: path, line: table.lineOf(r + 1), row: r + 1, field: "epoch" },
      );
    }
    epochs.push(e + 1);
  }
  const rowsOfEpoch = [...new Set(epochs)].sort((a, b) => a - b);
  const keys: string[] = [];
  const values: Record<string, (number | null)[]> = {};
  const steps: Record<string, StepSeries> = {};
  const notes: string[] = [];
  for (const [j, c] of table.columns.entries()) {
    if (c === epochCol || c === stepCol) continue;
    if (!c.numeric) {
      // Older Lightning versions add a `created_at` timestamp; any text column is bookkeeping.
      notes.push(
        `${c.name} holds text (${JSON.stringify(c.firstText!.value)} on line ${c.firstText!.line}): left out`,
      );
      continue;
    }
    const byEpoch = new Map<number, number[]>();
    const series: StepSeries = { steps: [], values: [], epochs: [] };
    const cells = logged(j);
    for (let r = 0; r < table.rowCount; r++) {
      const v = cells[r];
      if (v === null) continue; // blank: not logged in this row
      series.steps.push(stepCol.values[r]);
      series.values.push(v);
      series.epochs!.push(epochs[r]);
      if (!byEpoch.has(epochs[r])) byEpoch.set(epochs[r], []);
      byEpoch.get(epochs[r])!.push(v);
    }
    if (series.values.length === 0) continue;
    const perStep = /_step$/.test(c.name) || [...byEpoch.values()].some((vs) => vs.length > 1);
    if (perStep) steps[c.name] = series;
    if (/_step$/.test(c.name)) continue;
    if (perStep) {
      notes.push(`${c.name} is logged per step: its epoch value is the mean of the epoch's logged steps`);
    }
    keys.push(c.name);
    values[c.name] = rowsOfEpoch.map((e) => {
      const vs = byEpoch.get(e);
      return vs ? (vs.length === 1 ? vs[0] : vs.reduce((a, b) => a + b, 0) / vs.length) : null;
    });
  }
  if (keys.length === 0) {
    throw new InputError(
      `no logged quantities besides epoch and step${
        Object.keys(steps).length > 0 ? " (only per-step *_step columns)" : ""
      }`,
      { file: path },
    );
  }
  return {
    file: path,
    format: "lightning-csv",
    keys,
    values,
    epochs: rowsOfEpoch,
    ...(Object.keys(steps).length > 0 ? { steps } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
