/**
 * The reference pages of docs/ (Markdown) drawn for a terminal, for `diagnose explain`: headings in
 * bold, paragraphs and list items wrapped to the width, tables as aligned columns, code blocks
 * indented, and no Markdown punctuation left over (no `#`, backticks, `**` or `[text](link)`).
 *
 * Only the Markdown the docs use is understood: ATX headings, paragraphs, `-`/`*`/`1.` lists,
 * fenced code blocks, pipe tables, and inline code, bold and links.
 *
 * @module
 */
import Table from "cli-table3";
import { dirname, joinPath } from "../io.ts";
import { palette } from "./_colors.ts";
import { shrinkColumns, wrapText } from "./format.ts";

/** Options of {@linkcode renderMarkdown}. */
export interface MarkdownOptions {
  /** ANSI colours (false for NO_COLOR or when the output is not a terminal). */
  color: boolean;
  /** Columns available (default 80, at least 40). */
  width?: number;
  /** The page's path in the repository (`docs/findings/x.md`), so relative links read as paths. */
  path?: string;
}

/**
 * Renders a Markdown page as terminal text.
 *
 * @example
 * ```ts
 * renderMarkdown("# Title\n\nSome `code`.", { color: false }); // "TITLE\n\nSome code.\n"
 * ```
 */
export function renderMarkdown(markdown: string, options: MarkdownOptions): string {
  const width = Math.max(options.width ?? 80, 40);
  const p = palette(options.color);
  const strip = (text: string) => stripInline(text, options.path);
  const wrap = (text: string, w: number) => wrapInline(text, w, options.color, options.path);
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  const blank = () => {
    if (out.length > 0 && out.at(-1) !== "") out.push("");
  };
  let i = 0;
  let inList = false;
  while (i < lines.length) {
    const line = lines[i];
    inList = inList && /^\s*([-*]|\d+\.)\s/.test(line);
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      blank();
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) {
        out.push("    " + p.dim(lines[i++]));
      }
      i++;
      blank();
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      blank();
      const text = strip(heading[2]);
      out.push(p.bold(heading[1].length === 1 ? text.toUpperCase() : text));
      i++;
      continue;
    }
    if (/^\s*\|/.test(line)) {
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) {
        const cells = splitRow(lines[i++]);
        if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells.map((c) => strip(c)));
      }
      blank();
      out.push(...renderTable(rows, width, options.color));
      blank();
      continue;
    }
    const item = line.match(/^(\s*)([-*]|\d+\.)\s+(.*)$/);
    if (item) {
      // A list starts after a blank line; its items follow one another.
      if (!inList) blank();
      // A list item runs on over the following indented lines.
      let text = item[3];
      const depth = Math.floor(item[1].length / 2);
      i++;
      while (i < lines.length && /^\s+\S/.test(lines[i]) && !/^\s*([-*]|\d+\.)\s/.test(lines[i])) {
        text += " " + lines[i++].trim();
      }
      const bullet = /\d/.test(item[2]) ? item[2] : "•";
      const lead = "  ".repeat(depth) + "  " + bullet + " ";
      const rest = " ".repeat(lead.length);
      out.push(...wrap(text, width - lead.length).map((l, k) => (k === 0 ? lead : rest) + l));
      inList = true;
      continue;
    }
    // A paragraph: the lines up to a blank line or another block.
    let text = line.trim();
    i++;
    while (
      i < lines.length && lines[i].trim() !== "" && !/^(\s*(```|~~~|\||[-*]\s|\d+\.\s)|#)/.test(lines[i])
    ) {
      text += " " + lines[i++].trim();
    }
    blank();
    out.push(...wrap(text, width));
    out.push("");
  }
  while (out.at(-1) === "") out.pop();
  return out.join("\n") + "\n";
}

/** A styled stretch of the plain text: inline code or bold. */
interface Span {
  start: number;
  end: number;
  kind: "code" | "bold";
}

/**
 * Inline Markdown read into plain text and the styled spans in it: `code` → code, **bold** → bold,
 * [text](url) → text (url), escapes unescaped.
 */
function parseInline(text: string, base?: string): { plain: string; spans: Span[] } {
  let plain = "";
  const spans: Span[] = [];
  const unescape = (t: string) => t.replace(/\\([\\`*_|[\]])/g, "$1");
  let last = 0;
  for (const m of text.matchAll(/`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)/g)) {
    plain += unescape(text.slice(last, m.index));
    last = m.index! + m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) {
      const shown = m[1] ?? unescape(m[2]).replace(/`/g, "");
      spans.push({
        start: plain.length,
        end: plain.length + shown.length,
        kind: m[1] !== undefined ? "code" : "bold",
      });
      plain += shown;
    } else {
      plain += linkText(m[3], m[4], base);
    }
  }
  plain += unescape(text.slice(last));
  return { plain, spans };
}

/** Inline Markdown removed: `code` → code, **bold** → bold, [text](url) → text (url). */
export function stripInline(text: string, base?: string): string {
  return parseInline(text, base).plain;
}

/**
 * Wraps inline Markdown to `width` and paints its code and bold spans, after wrapping (so escapes
 * never count towards the width). wrapText breaks only at spaces or inside over-long words, so each
 * wrapped line is found in the plain text in order, and the spans are mapped onto it by offset.
 */
function wrapInline(text: string, width: number, color: boolean, base?: string): string[] {
  const { plain, spans } = parseInline(text, base);
  const lines = wrapText(plain, width);
  if (!color || spans.length === 0) return lines;
  const p = palette(color);
  const paint = (kind: Span["kind"], t: string) => (kind === "code" ? p.info(t) : p.bold(t));
  let cursor = 0;
  return lines.map((line) => {
    const at = plain.indexOf(line, cursor);
    if (at < 0) return line;
    cursor = at + line.length;
    let out = "", pos = 0;
    for (const s of spans) {
      const from = Math.max(s.start - at, pos), to = Math.min(s.end - at, line.length);
      if (to <= from) continue;
      out += line.slice(pos, from) + paint(s.kind, line.slice(from, to));
      pos = to;
    }
    return out + line.slice(pos);
  });
}

function linkText(label: string, url: string, base: string | undefined): string {
  const plain = label.replace(/`/g, "");
  if (url.startsWith("#") || plain === url) return plain;
  // A sibling finding page linked by its code ("[overfitting](overfitting.md)") is its code.
  if (url.replace(/^\.\//, "") === `${plain}.md`) return plain;
  // A relative link reads as the repository path it points to, from the page's directory.
  const target = /^[a-z]+:/.test(url) || base === undefined ? url : joinPath(dirname(base), url);
  return plain === target ? plain : `${plain} (${target})`;
}

function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  // A `\|` inside a cell is a literal bar.
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

function renderTable(rows: string[][], width: number, color: boolean): string[] {
  if (rows.length === 0) return [];
  const p = palette(color);
  const columns = Math.max(...rows.map((r) => r.length));
  const natural = Array.from(
    { length: columns },
    (_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)) + 2,
  );
  // Columns keep their natural width while the table fits; otherwise the widest ones give way.
  const room = width - (columns + 1);
  const widths = shrinkColumns(natural, room);
  const table = new Table({
    head: rows[0].map((h) => p.bold(h)),
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows.slice(1)) table.push(Array.from({ length: columns }, (_, c) => row[c] ?? ""));
  return table.toString().split("\n").map((l) => "  " + l);
}
