/**
 * Number and value formatting shared by the terminal and HTML renderers and the browser page
 * (examples/browser), so that every place that shows a report writes numbers the same way.
 *
 * @module
 */

/**
 * A number as a reader wants it in a report: 4 significant digits, exponent notation only for very
 * large or very small magnitudes, integers whole, and non-finite values named ("NaN", "+Inf").
 */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return "–";
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  if (x === 0) return "0";
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return String(x);
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace(/\.?0+e/, "e");
  return trimZeros(x.toPrecision(4));
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Options of {@linkcode summarize}. */
export interface SummarizeOptions {
  /** Longest result, in characters (default 60). */
  maxLength?: number;
  /** Array items shown before "… +N" (default 6). */
  maxItems?: number;
}

/**
 * One-line summary of an evidence value: numbers formatted, long arrays truncated with their length,
 * nested objects shown one level deep. Evidence comes from detectors and can hold anything JSON can.
 */
export function summarize(value: unknown, options: SummarizeOptions = {}): string {
  const maxLength = options.maxLength ?? 60;
  const text = summarizeAt(value, options.maxItems ?? 6, 0);
  return text.length > maxLength ? text.slice(0, maxLength - 1) + "…" : text;
}

function summarizeAt(value: unknown, maxItems: number, depth: number): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return escapeControls(value);
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) {
    if (depth >= 2) return `[${value.length} items]`;
    const shown = value.slice(0, maxItems).map((v) => summarizeAt(v, maxItems, depth + 1));
    const rest = value.length - shown.length;
    return `[${shown.join(", ")}${rest > 0 ? `, … +${rest}` : ""}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (depth >= 2) return `{${entries.length} keys}`;
    const shown = entries.slice(0, maxItems).map(([k, v]) => `${k}: ${summarizeAt(v, maxItems, depth + 1)}`);
    const rest = entries.length - shown.length;
    return `{${shown.join(", ")}${rest > 0 ? `, … +${rest}` : ""}}`;
  }
  return String(value);
}

/** Milliseconds as "850 ms", "12.3 s" or "4 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** Counts as "2 errors, 1 warning". */
export function countWords(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([word, n]) => `${n} ${word}${n === 1 ? "" : "s"}`)
    .join(", ");
}

/** Splits text into lines of at most `width` characters, at spaces; longer words (paths) are cut. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    const words = paragraph.split(/ +/).flatMap((w) =>
      w.length <= width ? [w] : w.match(new RegExp(`.{1,${width}}`, "gsu"))!
    );
    for (const word of words) {
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= width) line += " " + word;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/**
 * Table column widths that fit in `room` characters: the widest column gives way one character at a
 * time, none below 8 (then the table stays wider than `room`). `natural` is left as it is.
 */
export function shrinkColumns(natural: readonly number[], room: number): number[] {
  const widths = [...natural];
  while (widths.reduce((a, b) => a + b, 0) > room) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= 8) break;
    widths[widest]--;
  }
  return widths;
}

/** Control characters (ANSI escapes included) and line separators shown as \\uXXXX, never interpreted. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Options of {@linkcode evidenceItems}. */
export interface EvidenceOptions {
  /** Rows of a sub-table before "… +N more" (default 8). */
  maxRows?: number;
  /** Items of a list before "… +N more" (default 8). */
  maxItems?: number;
}

/**
 * One piece of a finding's evidence as a reader sees it, shared by the terminal and the HTML report:
 * a value on one line, a sub-table (a list of objects, or an object of objects or values), or a
 * sentence (a remedy, in the words of its fix). Long lists keep their first entries and count the rest;
 * the JSON report keeps everything.
 */
export type EvidenceItem =
  | { kind: "value"; key: string; text: string }
  | { kind: "sentence"; key: string; text: string }
  | { kind: "table"; key: string; columns: string[]; rows: string[][]; more: number };

/**
 * A finding's evidence as {@linkcode EvidenceItem}s, in the evidence's key order.
 *
 * @example
 * ```ts
 * evidenceItems({ ratio: 0.0101, counts: [990, 10], columns: [{ column: "area", mean: 880.6 }] });
 * // [{kind: "value", key: "ratio", text: "0.0101"}, {kind: "value", key: "counts", text: "990, 10"},
 * //  {kind: "table", key: "columns", columns: ["column", "mean"], rows: [["area", "880.6"]], more: 0}]
 * ```
 */
export function evidenceItems(
  evidence: Record<string, unknown>,
  options: EvidenceOptions = {},
): EvidenceItem[] {
  const maxRows = options.maxRows ?? 8, maxItems = options.maxItems ?? 8;
  const items: EvidenceItem[] = [];
  for (const [key, value] of Object.entries(evidence)) {
    if (key === "remedy" && isRemedyLike(value)) {
      items.push({ kind: "sentence", key, text: remedyWords(value) });
    } else if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
      const keys = [...new Set(value.flatMap((row) => Object.keys(row)))];
      // Rows that nothing names (per-layer statistics) are numbered from 1, as users count layers.
      const numbered = value.length > 1 && !keys.some((k) => NAMING_KEYS.includes(k));
      const rows = value.slice(0, maxRows).map((row, i) => [
        ...(numbered ? [String(i + 1)] : []),
        ...keys.map((c) => cellText(row[c], maxItems)),
      ]);
      const columns = numbered ? ["#", ...keys] : keys;
      items.push({ kind: "table", key, columns, rows, more: value.length - rows.length });
    } else if (isPlainObject(value) && isShortRecord(value)) {
      // {unit0: 0.0041, unit1: 0.0038}: short enough for one line.
      items.push({ kind: "value", key, text: cellText(value, maxItems) });
    } else if (isPlainObject(value) && Object.keys(value).length > 0) {
      const entries = Object.entries(value);
      const inner = entries.map(([, v]) => v);
      if (inner.every(isPlainObject)) {
        // {train: {mean, min, max}, validation: {...}}: one row per key.
        const columns = [...new Set(inner.flatMap((v) => Object.keys(v as object)))];
        const rows = entries.slice(0, maxRows).map(([k, v]) => [
          k,
          ...columns.map((c) => cellText((v as Record<string, unknown>)[c], maxItems)),
        ]);
        items.push({
          kind: "table",
          key,
          columns: ["", ...columns],
          rows,
          more: entries.length - rows.length,
        });
      } else {
        const rows = entries.slice(0, maxRows).map(([k, v]) => [k, cellText(v, maxItems)]);
        items.push({ kind: "table", key, columns: ["", ""], rows, more: entries.length - rows.length });
      }
    } else {
      items.push({ kind: "value", key, text: cellText(value, maxItems) });
    }
  }
  return items;
}

/**
 * A value for one cell: numbers formatted, lists as "a, b, c, … +N more (M in all)", an object as
 * "key value, key value", deeper structure counted. Never an object literal.
 */
export function cellText(value: unknown, maxItems = 8): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return escapeControls(value);
  if (typeof value === "boolean" || typeof value === "bigint") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    if (value.some((v) => v !== null && typeof v === "object")) {
      if (value.every(Array.isArray)) return `${value.length} rows of ${(value[0] as unknown[]).length}`;
      if (value.every((v) => isPlainObject(v) && nameOf(v) !== undefined)) {
        const shown = value.slice(0, maxItems).map((v) => nameOf(v as Record<string, unknown>)!);
        const rest = value.length - shown.length;
        return shown.join("; ") + (rest > 0 ? `; … +${rest} more` : "");
      }
      return `${value.length} entries (see --json)`;
    }
    const shown = value.slice(0, maxItems).map((v) => cellText(v));
    const rest = value.length - shown.length;
    return shown.join(", ") + (rest > 0 ? `, … +${rest} more (${value.length} in all)` : "");
  }
  if (isPlainObject(value)) {
    if (isRemedyLike(value)) return remedyWords(value);
    const entries = Object.entries(value);
    if (entries.length === 0) return "none";
    const shown = entries.slice(0, maxItems).map(([k, v]) =>
      `${k} ${v !== null && typeof v === "object" ? nestedCount(v) : cellText(v)}`
    );
    const rest = entries.length - shown.length;
    return shown.join(", ") + (rest > 0 ? `, … +${rest} more` : "");
  }
  return String(value);
}

/** Fields that name the row or object they are in. */
const NAMING_KEYS = [
  "id",
  "name",
  "code",
  "column",
  "quantity",
  "label",
  "layer",
  "split",
  "class",
  "row",
  "metric",
];

/** An object inside a cell by the field that names it: "binary-accuracy@0.5 = 0.7917", "petal_width". */
function nameOf(v: Record<string, unknown>): string | undefined {
  const key = NAMING_KEYS.find((k) => typeof v[k] === "string");
  if (key === undefined) return undefined;
  return typeof v.value === "number" ? `${v[key]} = ${formatNumber(v.value)}` : String(v[key]);
}

function nestedCount(v: object): string {
  return Array.isArray(v) ? (v.length === 0 ? "none" : cellText(v, 4)) : `(${Object.keys(v).length} fields)`;
}

/** A flat object of a few scalars whose one-line form stays short. */
function isShortRecord(v: Record<string, unknown>): boolean {
  const values = Object.values(v);
  return values.length <= 6 && values.every((x) => x === null || typeof x !== "object") &&
    cellText(v).length <= 60;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** A remedy as stored in a finding's evidence (src/diagnose/finding.ts `Remedy`): an object with `kind`. */
interface RemedyLike {
  kind: string;
  [field: string]: unknown;
}

function isRemedyLike(v: unknown): v is RemedyLike {
  return isPlainObject(v) && typeof v.kind === "string";
}

/**
 * A remedy in the words of its fix: "set loss.fromLogits to false and retrain". Unknown kinds (added
 * later) read as their kind and fields, never as an object literal.
 */
export function remedyWords(r: RemedyLike): string {
  const head = (s: string) => `${s} and retrain`;
  const also = [
    typeof r.activation === "string" && r.kind !== "set-output-activation"
      ? `output activation ${r.activation}`
      : "",
    typeof r.loss === "string" && r.kind !== "set-loss" ? `loss ${r.loss}` : "",
    typeof r.fromLogits === "boolean" && r.kind !== "set-from-logits" ? `fromLogits ${r.fromLogits}` : "",
  ].filter((s) => s);
  const withAlso = (s: string) => head(also.length ? `${s} (with ${also.join(", ")})` : s);
  switch (r.kind) {
    case "set-loss":
      return withAlso(`use loss ${r.loss}`);
    case "set-output-activation":
      return withAlso(`make the output activation ${r.activation}`);
    case "set-from-logits":
      return head(`set loss.fromLogits to ${r.fromLogits}`);
    case "set-reduction":
      return head(`set loss.reduction to ${r.reduction}`);
    case "set-metric":
      // A module metric named like a built-in ("accuracy"): the fix is the built-in definition.
      if (r.from === r.to) return head(`compute ${r.to} with the built-in definition instead of the module`);
      return head(
        `compute metric ${r.to} instead of ${r.from}${
          r.threshold !== undefined ? ` (threshold ${r.threshold})` : ""
        }`,
      );
    case "drop-feature":
      return head(
        `drop the feature${(r.columns as unknown[]).length === 1 ? "" : "s"} ${cellText(r.columns)}`,
      );
    case "drop-non-finite-rows":
      return head("drop the rows holding NaN or Inf");
    case "shuffle":
      return head("shuffle the rows (training and split)");
    case "stratify":
      return head("split validation shuffled and stratified");
    case "standardize-features":
      return head("standardize the features");
    case "standardize-target":
      return head("standardize the target");
    case "fix-labels": {
      const mapping = (r.mapping as { from: number; to: number }[]) ?? [];
      const shown = mapping.slice(0, 6).map((m) => `${formatNumber(m.from)}→${m.to}`).join(", ");
      return head(`map the labels ${shown}${mapping.length > 6 ? `, … +${mapping.length - 6} more` : ""}`);
    }
    case "drop-duplicates":
      return head("drop the validation rows that copy training rows");
    case "scale-learning-rate":
      return head(`multiply the learning rate by ${formatNumber(r.factor as number)}`);
    case "random-init":
      return head("initialize with glorot-uniform");
    case "set-batchnorm-momentum": {
      const layers = (r.layers as number[]).map((n) => `layer ${n}`).join(", ");
      return head(`set the batch-norm momentum to ${formatNumber(r.momentum as number)} (${layers})`);
    }
    default: {
      const fields = Object.entries(r).filter(([k]) => k !== "kind");
      return head(
        `${r.kind}${fields.length ? ` (${fields.map(([k, v]) => `${k} ${cellText(v)}`).join(", ")})` : ""}`,
      );
    }
  }
}

/**
 * The consistency entries by what they say, shared by the terminal and HTML reports: `ok`; `wrongDefinition`,
 * an audit's logged number that only a definition unfit for the task reproduces (within tolerance, so not
 * "outside tolerance": the findings explain it); `outside`, beyond tolerance or not reproduced at all.
 */
export function consistencyGroups<E extends { ok: boolean }>(
  entries: readonly E[],
): { ok: E[]; wrongDefinition: E[]; outside: E[] } {
  const status = (e: E) => (e as { status?: unknown }).status;
  return {
    ok: entries.filter((e) => e.ok),
    wrongDefinition: entries.filter((e) => !e.ok && status(e) === "wrong-definition"),
    outside: entries.filter((e) => !e.ok && status(e) !== "wrong-definition"),
  };
}

/** `report.verify.notVerified`, when present and well formed. */
export function notVerifiedOf(report: Readonly<Record<string, unknown>>): { code: string; reason: string }[] {
  const v = report.verify as { notVerified?: unknown } | undefined;
  const list = Array.isArray(v?.notVerified) ? v.notVerified : [];
  return list.filter((e): e is { code: string; reason: string } =>
    typeof e === "object" && e !== null && typeof e.code === "string" && typeof e.reason === "string"
  );
}
