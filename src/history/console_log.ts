/**
 * Training logs saved from a console: Keras `fit` progress output and the epoch lines PyTorch loops
 * print. Both become the per-epoch {@linkcode History} the other readers produce.
 *
 * Keras (`verbose=1`): `Epoch 3/10` on its own line, then a progress bar redrawn with `\r` (or, in a
 * notebook or a file, one line per redraw) whose segments are `name: value` after ` - `; the last
 * redraw of the epoch (`32/32 [====] - 0s 2ms/step - loss: ... - val_loss: ...`) holds the epoch's
 * numbers, the earlier ones (with `ETA:`) are running means over the batches so far. Keras 3 draws the
 * bar with `━`. `verbose=2` prints only the final line (`32/32 - 0s - loss: ...`).
 *
 * PyTorch loops: any line with an epoch number (`Epoch 3`, `epoch: 3`, `[3/10]`, `Epoch 3/10`) and
 * `name: value`, `name=value` or `name value` pairs (`Epoch 3, Loss: 0.6931, Accuracy: 0.5000`,
 * `epoch=3 train_loss=0.52 val_acc=0.81`), and lines after an epoch line that start with a split word
 * (`train Loss: 0.52 Acc: 0.81` / `val Loss: ...`, as the PyTorch transfer-learning tutorial prints).
 * Lines that also carry a batch/step counter (`Step [100/600]`) are per-step running values: kept as
 * step series, and used for the epoch only when it has no other line. Percentages (`85.3%`) are read as
 * fractions.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { History, StepSeries } from "./types.ts";

/** A number as Python prints it: `0.6931`, `1.2e-05`, `0.0000e+00`, `nan`, `inf`, with an optional `%`. */
const NUMBER = String
  .raw`[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf|infinity)%?`;

function toNumber(text: string): number {
  const percent = text.endsWith("%");
  const t = percent ? text.slice(0, -1) : text;
  const v = /^[-+]?nan$/i.test(t)
    ? NaN
    : /^[-+]?inf(inity)?$/i.test(t)
    ? (t.startsWith("-") ? -Infinity : Infinity)
    : Number(t);
  return percent ? v / 100 : v;
}

/** True when the text looks like Keras `fit` output (an `Epoch k/N` line followed by ` - name: value`). */
export function looksLikeKerasConsole(text: string): boolean {
  return /^\s*Epoch \d+\/\d+\s*$/m.test(text) && / - [A-Za-z_][\w]*: /.test(text);
}

/** Per-epoch table builder shared by both readers. */
class Table {
  readonly keys: string[] = [];
  readonly rows = new Map<number, Map<string, number>>();
  set(epoch: number, key: string, value: number): void {
    if (!this.keys.includes(key)) this.keys.push(key);
    if (!this.rows.has(epoch)) this.rows.set(epoch, new Map());
    this.rows.get(epoch)!.set(key, value);
  }
  toHistory(file: string, format: History["format"], extra: Partial<History>): History {
    const epochs = [...this.rows.keys()].sort((a, b) => a - b);
    const values: Record<string, (number | null)[]> = {};
    for (const k of this.keys) {
      values[k] = epochs.map((e) => {
        // Not printed that epoch: null; printed "nan" (the loss diverged): NaN, kept.
        const v = this.rows.get(e)!.get(k);
        return v === undefined ? null : v;
      });
    }
    return { file, format, keys: this.keys, values, epochs, ...extra };
  }
}

/** `name: value` pairs of one Keras progress segment list (`- loss: 0.6931 - accuracy: 0.5000`). */
function kerasPairs(line: string): [string, number][] {
  const out: [string, number][] = [];
  const re = new RegExp(String.raw`(?:^|\s)-\s+([A-Za-z_][\w]*):\s+(${NUMBER})(?=\s|$)`, "g");
  for (const m of line.matchAll(re)) out.push([m[1], toNumber(m[2])]);
  return out;
}

/** Reads Keras `fit` console output (`verbose=1` with `\r` redraws, or `verbose=2`). */
export function readKerasConsole(text: string, file: string): History {
  const table = new Table();
  let epoch: number | null = null, epochLine = 0, planned = 0;
  // The epoch's final redraw (no ETA), else its last running one (an interrupted epoch).
  let final: [string, number][] | null = null, running: [string, number][] | null = null;
  let total: string | null = null;
  const finish = () => {
    const pairs = final ?? running;
    if (epoch !== null && pairs) { for (const [k, v] of pairs) table.set(epoch, k, v); }
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    // One physical line may hold many `\r` redraws: the last one is what the terminal showed.
    const redraws = lines[i].split("\r").map((s) => s.trim()).filter((s) => s !== "");
    for (const segment of redraws) {
      const m = /^Epoch (\d+)\/(\d+)$/.exec(segment);
      if (m) {
        finish();
        epoch = Number(m[1]);
        planned = Number(m[2]);
        epochLine = i + 1;
        final = running = null;
        total = null;
        continue;
      }
      if (epoch === null) continue;
      const pairs = kerasPairs(segment);
      if (pairs.length === 0) continue;
      // The epoch's bar counts its batches ("281/281"); a line with another total after it is an
      // evaluate() or predict() bar, not part of the epoch.
      const counter = /^(\d+)\/(\d+)\b/.exec(segment);
      if (counter) {
        if (total === null) total = counter[2];
        else if (counter[2] !== total) continue;
      }
      if (/ETA:/.test(segment)) running = pairs;
      else final = pairs;
    }
  }
  finish();
  if (table.rows.size === 0) {
    throw new InputError(
      epoch === null
        ? `no epoch lines: expected Keras progress output ("Epoch 1/10" then "... - loss: 0.6931 - accuracy: 0.5000") in ${lines.length} lines`
        : `"Epoch ${epoch}/${planned}" (line ${epochLine}) is followed by no "- name: value" progress line`,
      { file },
    );
  }
  return table.toHistory(file, "keras-console", {});
}

const EPOCH_MARK = new RegExp(
  String
    .raw`(?:\bepoch\b|\bep\b)\s*[:=#]?\s*\[?\s*(\d+)(?:\s*(?:/|of)\s*(\d+))?\s*\]?|^\s*\[\s*(\d+)\s*[/,]\s*(\d+)\s*\]`,
  "i",
);
const STEP_MARK = /\b(step|iter(?:ation)?|batch|it)\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*(?:\/|of)\s*(\d+))?\s*\]?/i;
const SPLIT_LINE = /^\s*(train(?:ing)?|val(?:id(?:ation)?)?|test)\b[\s:-]*/i;

/** `name: value`, `name=value` pairs (names may hold spaces: `Train Loss: 0.5`), else `name value`. */
function linePairs(text: string): [string, number][] {
  const out: [string, number][] = [];
  const re = new RegExp(
    String.raw`([A-Za-z][\w./-]*(?: [A-Za-z][\w./-]*){0,2})\s*[:=]\s*(${NUMBER})(?![\w.])`,
    "g",
  );
  for (const m of text.matchAll(re)) out.push([m[1].trim(), toNumber(m[2])]);
  if (out.length > 0) return out;
  const bare = new RegExp(String.raw`\b([A-Za-z][\w./-]*)\s+(${NUMBER})(?![\w.])`, "g");
  for (const m of text.matchAll(bare)) out.push([m[1], toNumber(m[2])]);
  return out;
}

const UNIT_NAMES = /^(time|took|elapsed|duration|lr|eta|s|sec|secs|seconds|ms|it\/s)$/i;

/** Reads the epoch lines a PyTorch (or any hand-written) training loop printed. */
export function readEpochLines(text: string, file: string): History {
  const table = new Table();
  const stepLines = new Map<number, { step: number; pairs: [string, number][] }[]>();
  let current: number | null = null;
  const lines = text.split(/\r\n|\r|\n/);
  const take = (epoch: number, body: string, prefix: string) => {
    const step = STEP_MARK.exec(body);
    if (step) body = body.slice(0, step.index) + " " + body.slice(step.index + step[0].length);
    const pairs = linePairs(body)
      .filter(([name]) => !UNIT_NAMES.test(name) && !/^(epoch|step|batch|iter|iteration)$/i.test(name))
      .map(([name, v]): [string, number] => [prefix + name, v]);
    if (pairs.length === 0) return;
    if (step) {
      if (!stepLines.has(epoch)) stepLines.set(epoch, []);
      stepLines.get(epoch)!.push({ step: Number(step[2]), pairs });
      return;
    }
    for (const [k, v] of pairs) table.set(epoch, k, v);
  };
  const marks = new RegExp(EPOCH_MARK.source, "gi");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    // A line may hold several epochs (a log pasted with its newlines lost): split at each epoch mark.
    const found = [...line.matchAll(marks)];
    const head = found.length > 0 ? line.slice(0, found[0].index) : line;
    if (current !== null && head.trim() !== "") {
      // Text before any mark continues the current epoch: a wrapped line, or a split line
      // ("val Loss: 0.61 Acc: 0.70") under an "Epoch 3/10" heading.
      const sm = SPLIT_LINE.exec(head);
      const prefix = sm ? (/^val/i.test(sm[1]) ? "val_" : /^test/i.test(sm[1]) ? "test_" : "train_") : "";
      take(current, sm ? head.slice(sm[0].length) : head, prefix);
    }
    found.forEach((m, i) => {
      current = Number(m[1] ?? m[3]);
      const end = i + 1 < found.length ? found[i + 1].index : line.length;
      take(current, line.slice(m.index! + m[0].length, end), "");
    });
  }
  const steps: Record<string, StepSeries> = {};
  const notes: string[] = [];
  for (const [epoch, entries] of stepLines) {
    for (const { step, pairs } of entries) {
      for (const [k, v] of pairs) {
        steps[k] ??= { steps: [], values: [], epochs: [] };
        steps[k].steps.push(step);
        steps[k].values.push(Number.isNaN(v) ? null : v);
        steps[k].epochs!.push(epoch);
      }
    }
    if (!table.rows.has(epoch)) {
      // No epoch summary line: the last step line's running values stand for the epoch.
      for (const [k, v] of entries[entries.length - 1].pairs) table.set(epoch, k, v);
      if (notes.length === 0) notes.push("epochs without a summary line take their last step line's values");
    }
  }
  if (table.rows.size === 0) {
    throw new InputError(
      `no epoch lines: expected Keras progress output ("Epoch 1/10" then "- loss: 0.6931 - accuracy: 0.5000") or lines with an epoch number and name: value pairs ("Epoch 1, Loss: 0.6931, Accuracy: 0.5000"), in ${
        lines.filter((l) => l.trim() !== "").length
      } lines`,
      { file },
    );
  }
  // Zero-based loops ("Epoch 0") are renumbered from 1, as the report counts.
  const first = Math.min(...table.rows.keys());
  const shift = first === 0 ? 1 : 0;
  const h = table.toHistory(file, "epoch-lines", {
    ...(Object.keys(steps).length > 0 ? { steps } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  });
  if (shift) {
    h.epochs = h.epochs.map((e) => e + shift);
    for (const s of Object.values(steps)) s.epochs = s.epochs!.map((e) => (e === null ? null : e + shift));
  }
  return h;
}
