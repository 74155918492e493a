/**
 * The terminal report: what a person reads after `diagnose run|data|audit`, and the gallery table.
 * Pure functions from a report to text; the CLI decides colour and width (NO_COLOR, TTY, columns).
 *
 * @module
 */
import Table from "cli-table3";
import { type Palette, palette } from "./_colors.ts";
import { countWords, formatDuration, formatNumber, summarize, wrapText } from "./format.ts";
import type {
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
  if (report.scenario) out.push(...wrapText(safe(report.scenario.path), width).map(p.dim));
  out.push(...wrapText(adapterLine(report), width));
  // A model file's import (run --model): each setting and where it came from, the file or a flag.
  const model = report.model as
    | { settings?: { setting: string; value: unknown; from: string }[] }
    | undefined;
  for (const s of model?.settings ?? []) {
    const value = typeof s.value === "string" ? s.value : JSON.stringify(s.value);
    out.push(...wrapText(safe(`${s.setting}: ${value} (from ${s.from})`), width).map(p.dim));
  }
  out.push(verdictLine(report, p));
  const symptoms = symptomsLine(report);
  if (symptoms) out.push(...wrapText(symptoms, width).map((l, i) => (i === 0 ? l : "  " + l)));
  const curves = renderCurves(report.history, width, p);
  if (curves.length > 0) out.push("", ...curves);
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push("", p.bold(`${SECTION[severity]} (${group.length})`));
    for (const finding of group) out.push(...renderFinding(finding, width, p));
  }
  // Data mode computes no engine numbers, so there is nothing to check against the reference.
  if (report.mode !== "data" || report.consistency.length > 0) {
    out.push("", ...renderConsistency(report.consistency, width, p));
  }
  out.push(p.dim(timingsLine(report)));
  return out.join("\n") + "\n";
}

function adapterLine(report: Report): string {
  const a = report.adapter;
  if (!a) return "adapter: none (nothing ran on the GPU)";
  const details = [a.vendor, a.architecture].filter((s) => s).join(" ");
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
 * Sparklines of loss and accuracy per epoch, train and validation on one shared scale per metric so
 * the two can be compared at a glance. Non-finite epochs show as "×". Readable without colour,
 * unlike a multi-series line plot whose series differ only by colour.
 */
function renderCurves(history: HistoryEntry[], width: number, p: Palette): string[] {
  if (history.length < 2) return [];
  const metrics = curveMetrics(history);
  const label = 22; // "  accuracy  validation "
  const tail = 24; // " 1.099 → 0.0213 (best 0.01)"
  const room = Math.max(10, width - label - tail);
  const picks = sampleIndices(history.length, room);
  let gaps = false;
  const out = [
    p.bold(
      `per epoch (${history.length} epochs${picks.length < history.length ? `, ${picks.length} shown` : ""})`,
    ),
  ];
  for (const metric of metrics) {
    const series = {
      train: history.map((h) => h.train[metric] ?? null),
      validation: history.map((h) => h.validation?.[metric] ?? null),
    };
    const finite = [...series.train, ...series.validation].filter((v): v is number =>
      v !== null && Number.isFinite(v)
    );
    const lo = Math.min(...finite), hi = Math.max(...finite);
    let first = true;
    for (const [split, values] of Object.entries(series)) {
      if (values.every((v) => v === null)) continue;
      if (values.some((v) => v === null || !Number.isFinite(v))) gaps = true;
      const line = picks.map((i) => spark(values[i], lo, hi)).join("");
      const name = (first ? metric : "").padEnd(10);
      const start = values[0];
      out.push(
        `  ${name}${split.padEnd(11)}${line}  ${formatNumber(start)} → ${formatNumber(values.at(-1))}`,
      );
      first = false;
    }
  }
  if (gaps) out.push(p.dim("  × no finite value that epoch"));
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
  const evidence = Object.entries(f.evidence);
  if (evidence.length > 0) out.push(...indent(keyValueTable(evidence, width - 2), "  "));
  out.push(
    ...wrapText(`fix: ${safe(f.fix)}`, width - 2).map((
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
        table.push([k, summarize(v.before[k], { maxLength: 24 }), summarize(v.after[k], { maxLength: 24 })]);
      }
      out.push(...indent(table.toString(), "  "));
    }
  }
  return out;
}

function keyValueTable(entries: [string, unknown][], width: number): string {
  const keyWidth = Math.min(28, Math.max(...entries.map(([k]) => k.length)) + 2);
  const room = Math.max(16, width - keyWidth - 3);
  // As wide as the longest summary needs (cells wrap up to three lines beyond that), never wider than the room.
  const widest = Math.max(...entries.map(([, v]) => summarize(v, { maxLength: (room - 2) * 3 }).length));
  const valueWidth = Math.min(room, Math.max(8, widest + 2));
  const table = new Table({
    colWidths: [keyWidth, valueWidth],
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [], compact: true },
  });
  // Cells wrap, so allow up to three lines of summary before truncating.
  for (const [k, v] of entries) table.push([k, summarize(v, { maxLength: (room - 2) * 3 })]);
  return table.toString();
}

function newTable(head: string[], _width: number): Table.Table {
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

function renderConsistency(entries: ConsistencyEntry[], width: number, p: Palette): string[] {
  if (entries.length === 0) {
    return [p.dim("consistency: no engine numbers were checked against the float64 reference")];
  }
  const failing = entries.filter((e) => !e.ok);
  const worst = entries.reduce((a, b) => ((b.absError ?? Infinity) > (a.absError ?? Infinity) ? b : a));
  const head =
    `consistency: ${countWords({ check: entries.length })} against the float64 reference, largest error ` +
    `${formatNumber(worst.absError)} (${worst.quantity}, epoch ${worst.epoch}, tolerance ${
      formatNumber(worst.tolerance)
    })`;
  const out = wrapText(head, width).map((l, i) => (i === 0 ? l : "  " + l));
  if (failing.length === 0) {
    out.push(p.ok("  all within tolerance"));
    return out;
  }
  out.push(p.error(`  ${failing.length} outside tolerance:`));
  const table = newTable(["quantity", "epoch", "engine", "reference", "error", "tolerance"], width);
  const shown = 10;
  for (const e of failing.slice(0, shown)) {
    table.push([e.quantity, e.epoch, ...[e.engine, e.reference, e.absError, e.tolerance].map(formatNumber)]);
  }
  out.push(...indent(table.toString(), "  "));
  if (failing.length > shown) out.push(`  … and ${failing.length - shown} more (see --json)`);
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
  if (entry.error) lines.push({ kind: "error", text: safe(entry.error) });
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

function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((l) => prefix + l);
}

function splitCamel(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

// deno-lint-ignore no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
