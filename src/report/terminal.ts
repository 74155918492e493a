/**
 * The terminal report: what a person reads after `diagnose run|data|audit`, and the gallery table.
 * Pure functions from a report to text; the CLI decides colour and width (NO_COLOR, TTY, columns).
 *
 * @module
 */
import Table from "cli-table3";
import { basename } from "../io.ts";
import { type Palette, palette } from "./_colors.ts";
import {
  cellText,
  consistencyGroups,
  countWords,
  type EvidenceItem,
  evidenceItems,
  formatDuration,
  formatNumber,
  notVerifiedOf,
  shrinkColumns,
  wrapText,
} from "./format.ts";
import type {
  BudgetReport,
  ConsistencyEntry,
  Finding,
  GalleryDocument,
  GalleryEntry,
  HistoryEntry,
  Report,
  Severity,
  SplitMetrics,
} from "./types.ts";

/** Options of {@linkcode renderReport} and {@linkcode renderGallery}. */
export interface RenderOptions {
  /** ANSI colours (false for NO_COLOR or when the output is not a terminal). */
  color: boolean;
  /** Columns available; the output never exceeds max(width, 60). Default 80. */
  width?: number;
  /** The user's directory: a scenario path inside it is shown relative to it, as they would type it. */
  cwd?: string;
}

const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];
const MARK: Record<Severity, string> = { error: "✗", warning: "!", info: "i" };
const SECTION: Record<Severity, string> = { error: "Errors", warning: "Warnings", info: "Notes" };

/**
 * Renders a report for the terminal: adapter, verdict, symptoms, per-epoch curves, findings by
 * severity (evidence table, fix, verification), the consistency summary and timings.
 *
 * @example
 * ```ts ignore
 * console.log(renderReport(report, { color: Deno.stdout.isTerminal(), width: 80 }));
 * ```
 */
export function renderReport(report: Report, options: RenderOptions): string {
  const width = Math.max(options.width ?? 80, 60);
  const p = palette(options.color);
  const out: string[] = [];
  const subject = report.scenario ? ` · ${report.scenario.name}` : "";
  out.push(
    ...wrapText(`fitcheck ${report.tool.version} · ${report.mode}${safe(subject)}`, width).map(p.bold),
  );
  if (report.scenario) {
    out.push(...wrapText(safe(relativeTo(report.scenario.path, options.cwd)), width).map(p.dim));
  }
  out.push(...wrapText(adapterLine(report), width));
  if (report.budget) out.push(...wrapText(budgetLine(report.budget), width));
  // A model file's import (run --model): each setting and where it came from, the file or a flag.
  const model = report.model as
    | { settings?: { setting: string; value: unknown; from: string }[] }
    | undefined;
  for (const s of model?.settings ?? []) {
    const value = cellText(s.value);
    out.push(...wrapText(safe(`${s.setting}: ${value} (from ${s.from})`), width).map(p.dim));
  }
  out.push(verdictLine(report, p));
  const symptoms = symptomsLine(report);
  if (symptoms) out.push(...wrapText(symptoms, width).map((l, i) => (i === 0 ? l : "  " + l)));
  for (const line of setupLines(report)) {
    out.push(...wrapText(line, width).map((l, i) => (i === 0 ? l : "  " + l)));
  }
  const notes = notesOf(report);
  if (notes.length > 0) {
    out.push(p.dim("notes:"));
    for (const note of notes.slice(0, 8)) {
      out.push(...wrapText(safe(note), width - 4).map((l, i) => p.dim((i === 0 ? "  • " : "    ") + l)));
    }
    if (notes.length > 8) out.push(p.dim(`  … +${notes.length - 8} more (see --json)`));
  }
  const curves = renderCurves(report.history, width, p);
  if (curves.length > 0) out.push("", ...curves);
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push("", p.bold(`${SECTION[severity]} (${group.length})`));
    for (const finding of group) out.push(...renderFinding(finding, width, p));
  }
  out.push(...renderNotVerified(report, width, p));
  // A history-only audit says what the log alone cannot decide (src/audit/history_audit.ts).
  const undecidable = (report.audit as { undecidable?: string[] } | undefined)?.undecidable ?? [];
  if (undecidable.length > 0) {
    out.push("", p.bold("Not decidable from the log alone"));
    for (const u of undecidable) {
      out.push(...wrapText(safe(u), width - 4).map((l, i) => (i === 0 ? "  · " : "    ") + l));
    }
  }
  // Data mode computes no engine numbers, and a history-only audit has no predictions to recompute
  // from, so there is nothing to check against the reference.
  if ((report.mode !== "data" && undecidable.length === 0) || report.consistency.length > 0) {
    out.push(
      "",
      ...renderConsistency(report.consistency, width, p, report.mode === "audit" ? "logged" : "engine"),
    );
  }
  out.push(p.dim(timingsLine(report)));
  return out.join("\n") + "\n";
}

/** After a --verify run: the findings it did not retrain for, grouped by why (the additive `verify` field). */
function renderNotVerified(report: Report, width: number, p: Palette): string[] {
  const entries = notVerifiedOf(report);
  if (entries.length === 0) return [];
  const byReason = new Map<string, string[]>();
  for (const e of entries) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.code]);
  const out = ["", p.bold(`--verify: ${countWords({ finding: entries.length })} not retrained`)];
  for (const [reason, codes] of byReason) {
    out.push(
      ...wrapText(`${reason}: ${codes.join(", ")}`, width - 4).map((l, i) => (i === 0 ? "  " : "    ") + l),
    );
  }
  return out;
}

/**
 * What the run was about, from the report's additive fields: the task (and how it was inferred), the
 * data of `diagnose data`, and a training phase that was skipped (with why).
 */
function setupLines(report: Report): string[] {
  const lines: string[] = [];
  const task = report.task as { task?: unknown; inferred?: unknown; reason?: unknown } | undefined;
  if (task && typeof task.task === "string") {
    lines.push(
      `task: ${task.task}${
        task.inferred === true && typeof task.reason === "string" ? ` (inferred: ${safe(task.reason)})` : ""
      }`,
    );
  }
  const data = report.data as Record<string, unknown> | undefined;
  for (const split of ["train", "validation"] as const) {
    const d = data?.[split] as
      | { file?: unknown; rows?: unknown; features?: unknown; targets?: unknown }
      | null
      | undefined;
    if (!d || typeof d.file !== "string") continue;
    const features = Array.isArray(d.features) ? d.features.length : null;
    const targets = Array.isArray(d.targets) ? d.targets.join(", ") : null;
    lines.push(
      `${split}: ${safe(basename(d.file))} (${d.rows} rows${
        features !== null ? `, ${features} features` : ""
      }${targets ? `; target ${safe(targets)}` : ""})`,
    );
  }
  const training = report.training as { status?: unknown; reason?: unknown } | undefined;
  if (training?.status === "skipped") {
    lines.push(`training: skipped${typeof training.reason === "string" ? `: ${safe(training.reason)}` : ""}`);
  }
  return lines;
}

/** The report's additive `notes` (what loading and transforming the data did), less the task line's. */
function notesOf(report: Report): string[] {
  const notes = Array.isArray(report.notes) ? report.notes : [];
  return notes.filter((n): n is string => typeof n === "string" && !n.startsWith("task inferred:"));
}

/** The report's one-line account of a budget (terminal report). */
function budgetLine(b: BudgetReport): string {
  const t = b.trained;
  const rows = t.trainRows === t.ofTrainRows
    ? `all ${t.ofTrainRows} training rows`
    : `${t.trainRows} of ${t.ofTrainRows} training rows`;
  const epochs = t.epochs === t.ofEpochs ? `all ${t.ofEpochs} epochs` : `${t.epochs} of ${t.ofEpochs} epochs`;
  return `budget ${b.limitS} s: trained on ${rows} (${t.sampling.split(",")[0]}), ${epochs}; ` +
    `the full run was estimated at ${b.estimatedFullS} s (--budget none trains it all)`;
}

function adapterLine(report: Report): string {
  const a = report.adapter;
  if (!a) return "adapter: none (nothing ran on the GPU)";
  // A bare number (Mesa's PCI-style vendor id 65541) says nothing to a reader.
  const details = [a.vendor, a.architecture].filter((s) => s && !/^\d+$/.test(s)).join(" ");
  return `adapter: ${safe(a.description || "unnamed")}${details ? ` (${safe(details)})` : ""}` +
    (a.isFallbackAdapter ? ", software fallback" : "");
}

function verdictLine(report: Report, p: Palette): string {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  const primary = report.summary.primary ? ` · primary: ${report.summary.primary}` : "";
  const words = countWords(counts) || "no findings";
  if (report.summary.status === "errors") return p.error(`✗ ${words}`) + primary;
  if (report.summary.status === "warnings") return p.warning(`! ${words}`) + primary;
  return p.ok(`✓ no problems found`) + (counts.info > 0 ? ` (${countWords({ note: counts.info })})` : "");
}

/** "symptoms: initial loss 1.099 · train loss 0.02 accuracy 0 · validation … · majority-class 0.34" */
function symptomsLine(report: Report): string | null {
  const s = report.symptoms;
  if (!s) return null;
  const parts: string[] = [];
  if (s.initialLoss !== null) parts.push(`initial loss ${formatNumber(s.initialLoss)}`);
  const split = (name: string, m: SplitMetrics | null) => {
    const entries = m ? Object.entries(m) : [];
    if (entries.length > 0) {
      parts.push(`${name} ${entries.map(([k, v]) => `${k} ${formatNumber(v)}`).join(" ")}`);
    }
  };
  split("train", s.train);
  split("validation", s.validation);
  const baseline = Object.entries(s.baseline).filter(([, v]) => v !== undefined);
  for (const [k, v] of baseline) parts.push(`baseline ${splitCamel(k)} ${formatNumber(v)}`);
  return parts.length > 0 ? `symptoms: ${parts.join(" · ")}` : null;
}

const BARS = "▁▂▃▄▅▆▇█";

/**
 * Sparklines of loss and accuracy per epoch, each series (train, validation) on its own scale, from
 * its own minimum to its own maximum: a shared scale draws a train loss falling from 0.98 to 0.24 flat
 * beside a summed validation loss of 112. The first and last values follow each line, so the levels
 * stay comparable. Non-finite epochs show as "×". Readable without colour, unlike a multi-series line
 * plot whose series differ only by colour.
 */
function renderCurves(history: HistoryEntry[], width: number, p: Palette): string[] {
  if (history.length < 2) return [];
  const metrics = curveMetrics(history);
  // "  accuracy  validation ": the metric column as wide as the longest name ("binary-accuracy").
  const nameWidth = Math.max(10, ...metrics.map((m) => m.length + 1));
  const label = 2 + nameWidth + 11;
  const tail = 24; // " 1.099 → 0.0213 (best 0.01)"
  const room = Math.max(10, width - label - tail);
  const picks = sampleIndices(history.length, room);
  let gaps = false;
  const out = [
    p.bold(
      `per epoch (${history.length} epochs${
        picks.length < history.length ? `, ${picks.length} shown` : ""
      }; each line on its own scale)`,
    ),
  ];
  for (const metric of metrics) {
    const series = {
      train: history.map((h) => h.train[metric] ?? null),
      validation: history.map((h) => h.validation?.[metric] ?? null),
    };
    let first = true;
    for (const [split, values] of Object.entries(series)) {
      if (values.every((v) => v === null)) continue;
      const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
      const lo = Math.min(...finite), hi = Math.max(...finite);
      if (values.some((v) => v === null || !Number.isFinite(v))) gaps = true;
      const line = picks.map((i) => spark(values[i], lo, hi)).join("");
      const name = (first ? metric : "").padEnd(nameWidth);
      const start = values[0];
      out.push(
        `  ${name}${split.padEnd(11)}${line}  ${formatNumber(start)} → ${formatNumber(values.at(-1))}`,
      );
      first = false;
    }
  }
  if (gaps) out.push(p.dim("  × no value that epoch (not computed, or NaN/Inf)"));
  return out;
}

function curveMetrics(history: HistoryEntry[]): string[] {
  const keys = new Set<string>();
  for (const h of history) for (const k of Object.keys(h.train)) keys.add(k);
  const wanted = ["loss", "accuracy"].filter((k) => keys.has(k));
  // Regression runs have no accuracy: show the first other metric so there are still two curves.
  if (!keys.has("accuracy")) {
    const other = [...keys].find((k) => k !== "loss");
    if (other) wanted.push(other);
  }
  return wanted;
}

function spark(v: number | null, lo: number, hi: number): string {
  // JSON has no NaN: a diverged run records null, so null and non-finite read the same here.
  if (v === null || !Number.isFinite(v)) return "×";
  if (!(hi > lo)) return BARS[3];
  return BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))];
}

/** At most `n` indices spread evenly over 0..length-1, always keeping the first and the last. */
function sampleIndices(length: number, n: number): number[] {
  if (length <= n) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.round((i * (length - 1)) / (n - 1)));
}

function renderFinding(f: Finding, width: number, p: Palette): string[] {
  const paint = f.severity === "error" ? p.error : f.severity === "warning" ? p.warning : p.info;
  const head = wrapText(`${MARK[f.severity]} ${f.code}: ${safe(f.title)}`, width);
  const codeLength = MARK[f.severity].length + 1 + f.code.length + 1;
  const out = ["", paint(head[0].slice(0, codeLength)) + p.bold(head[0].slice(codeLength))];
  out.push(...head.slice(1).map((l) => "  " + p.bold(l)));
  out.push(...wrapText(safe(f.message), width - 2).map((l) => "  " + l));
  out.push(...renderEvidence(evidenceItems(f.evidence), width - 2, p).map((l) => "  " + l));
  out.push(
    ...wrapText(`fix: ${safe(f.fix)}`, width - 4).map((
      l,
      i,
    ) => (i === 0 ? "  " + p.ok(l) : "    " + p.ok(l))),
  );
  const v = f.verification;
  if (v) {
    const verdict = v.confirmed ? p.ok("confirmed") : p.warning("not confirmed");
    out.push(`  verified (${verdict}): ${safe(v.change)}`);
    const keys = [...new Set([...Object.keys(v.before), ...Object.keys(v.after)])];
    if (keys.length > 0) {
      const table = newTable(["", "before", "after"], width - 2);
      for (const k of keys) {
        table.push([k, cellText(v.before[k], 4), cellText(v.after[k], 4)]);
      }
      out.push(...indent(table.toString(), "  "));
    }
  }
  return out;
}

/**
 * Evidence as a reader wants it: consecutive values (and remedies, in words) in one key/value table,
 * each nested list or object as a small table of its own under its key, long ones cut with a count.
 */
function renderEvidence(items: EvidenceItem[], width: number, p: Palette): string[] {
  const out: string[] = [];
  // The values first, in one table; each nested list or object after it, under its key.
  const values = items.flatMap((
    item,
  ): [string, string][] => (item.kind === "table" ? [] : [[item.key, item.text]]));
  if (values.length > 0) out.push(...keyValueTable(values, width).split("\n"));
  for (const item of items) {
    if (item.kind !== "table") continue;
    out.push(p.dim(`${item.key}:`));
    const head = item.columns.some((c) => c) ? item.columns : null;
    out.push(...indent(fittedTable(head, item.rows, width - 2), "  "));
    if (item.more > 0) out.push(p.dim(`  … +${item.more} more (see --json)`));
  }
  return out;
}

function keyValueTable(entries: [string, string][], width: number): string {
  const keyWidth = Math.min(34, Math.max(...entries.map(([k]) => k.length)) + 2);
  const room = Math.max(16, width - keyWidth - 3);
  // As wide as the longest value needs (cells wrap beyond that), never wider than the room.
  const widest = Math.max(...entries.map(([, v]) => v.length));
  const valueWidth = Math.min(room, Math.max(8, widest + 2));
  const table = new Table({
    colWidths: [keyWidth, valueWidth],
    style: { head: [], border: [], compact: true },
  });
  for (const [k, v] of entries) table.push([cell(k, keyWidth), cell(v, valueWidth)]);
  return table.toString();
}

/**
 * A cell's text wrapped to its column (cli-table3 pads one space each side): at spaces where it can,
 * inside a word only where a word is wider than the column. Never cut short with "…".
 */
function cell(text: string, columnWidth: number): string {
  return wrapText(text, Math.max(1, columnWidth - 2)).join("\n");
}

/**
 * A table whose columns keep their natural width while it fits in `width`. A table too wide with at
 * most three rows is turned on its side (one line per column, one column per row), which reads
 * better than squeezed columns; a longer one gives way in its widest columns, its cells wrapping.
 */
function fittedTable(head: string[] | null, rows: string[][], width: number): string {
  const all = head ? [head, ...rows] : rows;
  const columns = Math.max(...all.map((r) => r.length));
  const natural = Array.from(
    { length: columns },
    (_, c) => Math.max(3, ...all.map((r) => (r[c] ?? "").length)) + 2,
  );
  const room = width - (columns + 1);
  const total = natural.reduce((a, b) => a + b, 0);
  if (total > room && head && rows.length <= 3 && head.every((h) => h)) {
    const sideways = head.map((h, c) => [h, ...rows.map((r) => r[c] ?? "")]);
    return fittedTable(null, sideways, width);
  }
  const widths = shrinkColumns(natural, room);
  const table = new Table({
    ...(head ? { head: head.map((h, c) => cell(h, widths[c])) } : {}),
    colWidths: widths,
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) {
    table.push(Array.from({ length: columns }, (_, c) => cell(row[c] ?? "", widths[c])));
  }
  return table.toString();
}

function newTable(head: string[], _width: number): Table.Table {
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

/** `measured` names the checked number's column: "engine" (run), "logged" (audit). */
function renderConsistency(
  entries: ConsistencyEntry[],
  width: number,
  p: Palette,
  measured: string,
): string[] {
  if (entries.length === 0) {
    return [p.dim("consistency: no engine numbers were checked against the float64 reference")];
  }
  const worst = entries.reduce((a, b) => ((b.absError ?? Infinity) > (a.absError ?? Infinity) ? b : a));
  const head =
    `consistency: ${countWords({ check: entries.length })} against the float64 reference, largest error ` +
    `${formatNumber(worst.absError)} (${worst.quantity}, epoch ${worst.epoch}, tolerance ${
      formatNumber(worst.tolerance)
    })`;
  const out = wrapText(head, width).map((l, i) => (i === 0 ? l : "  " + l));
  const groups = consistencyGroups(entries);
  if (groups.outside.length === 0 && groups.wrongDefinition.length === 0) {
    out.push(p.ok("  all within tolerance"));
    return out;
  }
  const shown = 10;
  const block = (title: string, rows: ConsistencyEntry[], paint: (s: string) => string) => {
    out.push(...wrapText(title, width - 2).map((l, i) => paint((i === 0 ? "  " : "    ") + l)));
    const table = newTable(["quantity", "epoch", measured, "reference", "error", "tolerance"], width);
    for (const e of rows.slice(0, shown)) {
      table.push([
        e.quantity,
        e.epoch,
        ...[e.engine, e.reference, e.absError, e.tolerance].map(formatNumber),
      ]);
    }
    out.push(...indent(table.toString(), "  "));
    if (rows.length > shown) out.push(`  … and ${rows.length - shown} more (see --json)`);
  };
  if (groups.outside.length > 0) {
    block(`${groups.outside.length} outside tolerance:`, groups.outside, p.error);
  }
  if (groups.wrongDefinition.length > 0) {
    block(
      `${groups.wrongDefinition.length} reproduced within tolerance, but only by a definition that does not fit ` +
        "the task (the findings above say which):",
      groups.wrongDefinition,
      p.warning,
    );
  }
  return out;
}

function timingsLine(report: Report): string {
  const t = report.timings;
  const parts = [["train", t.trainMs], ["diagnose", t.diagnoseMs]].filter(([, ms]) => (ms as number) > 0);
  const detail = parts.map(([name, ms]) => `${name} ${formatDuration(ms as number)}`).join(", ");
  return `time: ${formatDuration(t.totalMs)}${detail ? ` (${detail})` : ""}`;
}

/**
 * The gallery table: one row per scenario with its final loss and accuracy, its findings marked
 * against the expectation (✓ expected and found, ✗ expected but missing, + found but not expected),
 * the verdict and the seconds it took. `reports[i]` belongs to `doc.scenarios[i]` (null if it failed).
 */
export function renderGallery(
  doc: GalleryDocument,
  reports: readonly (Report | null)[],
  options: RenderOptions,
): string {
  const width = Math.max(options.width ?? 80, 60);
  const p = palette(options.color);
  const rows = doc.scenarios.map((entry, i) => galleryRow(entry, reports[i] ?? null));
  // Fixed columns (loss 6, acc 5, verdict 5, seconds 5) and 2-space gaps; the rest goes to the
  // findings (as wide as the longest code line needs) and then the name.
  const rest = width - (6 + 5 + 6 + 5) - 5 * 2;
  // Error messages wrap; codes should not, so only they size the column.
  const longestCode = Math.max(
    12,
    ...rows.flatMap((r) => r.lines.filter((l) => l.kind !== "error").map((l) => l.text.length)),
  );
  const codesWidth = Math.min(longestCode, rest - 16);
  const nameWidth = rest - codesWidth;
  const table = new Table({
    head: ["scenario", "loss", "acc", "findings", "result", "s"].map((h) => p.bold(h)),
    colWidths: [nameWidth, 6, 5, codesWidth, 6, 5],
    colAligns: ["left", "right", "right", "left", "left", "right"],
    wordWrap: true,
    wrapOnWordBoundary: true,
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "─",
      "mid-mid": "──",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], compact: true, "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) {
    const codes = row.lines.map((
      l,
    ) => (l.kind === "met" ? p.ok(l.text) : l.kind === "extra" ? p.dim(l.text) : p.error(l.text)));
    const verdict = row.entry.ok ? p.ok("ok") : p.error(row.entry.error ? "error" : "FAIL");
    table.push([
      breakName(safe(row.entry.name), nameWidth),
      compactNumber(row.loss),
      compactNumber(row.accuracy),
      codes.join("\n"),
      verdict,
      (row.entry.ms / 1000).toFixed(1),
    ]);
  }
  const failed = doc.scenarios.filter((s) => !s.ok).length;
  const total = doc.scenarios.length;
  const summary = failed === 0
    ? p.ok(`✓ ${total} of ${total} scenarios gave the expected findings`)
    : p.error(`✗ ${failed} of ${total} scenarios did not give the expected findings`);
  const legend = wrapText("✓ expected, found · ✗ expected, not found · + found, not expected", width).map(
    p.dim,
  );
  // cli-table3 draws a rule between every row with `mid`; keep only the one under the header.
  const [head, rule, ...body] = table.toString().split("\n");
  const rowRule = /^[─ ]+$/;
  const lines = [head, rule, ...body.filter((l) => !rowRule.test(l))].map((l) => l.trimEnd());
  // The table cell truncates long messages; the full text of each failure follows the table.
  const errors = doc.scenarios.filter((e) => e.error).flatMap((e) =>
    wrapText(`${safe(e.name)}: ${safe(e.error!)}`, width - 2).map((l, i) => p.error(i === 0 ? l : "  " + l))
  );
  return [...lines, "", ...errors, ...legend, summary].join("\n") + "\n";
}

interface GalleryRow {
  entry: GalleryEntry;
  loss: number | null;
  accuracy: number | null;
  lines: { kind: "met" | "missing" | "extra" | "error"; text: string }[];
}

function galleryRow(entry: GalleryEntry, report: Report | null): GalleryRow {
  const found = new Set(entry.found);
  const expected = new Set(entry.expected);
  const lines: GalleryRow["lines"] = [
    ...entry.expected.map((
      c,
    ) => (found.has(c)
      ? { kind: "met" as const, text: `✓ ${c}` }
      : { kind: "missing" as const, text: `✗ ${c}` })
    ),
    ...entry.found.filter((c) => !expected.has(c)).map((c) => ({ kind: "extra" as const, text: `+ ${c}` })),
  ];
  // The message follows the table in full; a cell would cut its paths short.
  if (entry.error) lines.push({ kind: "error", text: "could not run (below)" });
  else if (lines.length === 0) lines.push({ kind: "met", text: "✓ (none)" });
  return { entry, ...finalMetrics(report), lines };
}

/** Scenario names are [a-z0-9-]: break long ones after a hyphen rather than mid-word. */
function breakName(name: string, width: number): string {
  const out: string[] = [];
  let line = "";
  for (const part of name.split(/(?<=-)/)) {
    if (line.length + part.length > width && line !== "") {
      out.push(line);
      line = "";
    }
    line += part;
  }
  out.push(line);
  return out.join("\n");
}

/** Three significant digits: enough to tell 0.0213 from 0.34 in a table cell of 6. */
function compactNumber(x: number | null): string {
  if (x === null) return "–";
  if (!Number.isFinite(x)) return formatNumber(x);
  if (x === 0 || Number.isInteger(x) && Math.abs(x) < 1e5) return String(x);
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(0) : String(Number(x.toPrecision(3)));
}

/** Last epoch's training loss and accuracy, else the symptoms' ones. */
function finalMetrics(report: Report | null): { loss: number | null; accuracy: number | null } {
  if (!report) return { loss: null, accuracy: null };
  const last = report.history.at(-1)?.train ?? report.symptoms?.train ?? {};
  return { loss: last.loss ?? null, accuracy: last.accuracy ?? null };
}

/**
 * User text (names, paths, messages built from data) made safe for a terminal: control characters,
 * ANSI escapes included, are shown as \\uXXXX instead of being interpreted.
 */
function safe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `path` relative to `cwd` when it lies inside it, else unchanged. */
function relativeTo(path: string, cwd: string | undefined): string {
  if (!cwd) return path;
  const prefix = cwd.endsWith("/") ? cwd : cwd + "/";
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((l) => prefix + l);
}

function splitCamel(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

// deno-lint-ignore no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
