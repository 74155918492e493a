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

/** Control characters (ANSI escapes included) and line separators shown as \\uXXXX, never interpreted. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
