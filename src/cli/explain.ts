/**
 * `diagnose explain [CODE]`: the reference entry of a finding code (docs/findings/CODE.md) drawn for
 * the terminal, the list of every code when none is given, and the closest codes for an unknown one.
 *
 * @module
 */
import { CATALOGUE, type FindingFamily } from "../diagnose/finding.ts";
import { editDistance } from "../errors.ts";
import { renderMarkdown } from "../report/markdown.ts";
import { FINDING_CODES, type FindingCode } from "../report/types.ts";

/** The reference page of `code`, relative to the repository root. */
export function findingDocPath(code: FindingCode): string {
  return `docs/findings/${code}.md`;
}

/** Whether `value` is a finding code. */
export function isFindingCode(value: string): value is FindingCode {
  return (FINDING_CODES as readonly string[]).includes(value);
}

/** Words users type for a code that shares none of its letters' order ("nan" for non-finite-*). */
const ALIASES: Record<string, readonly FindingCode[]> = {
  nan: ["non-finite-loss", "non-finite-data"],
  inf: ["non-finite-loss", "non-finite-data"],
  lr: ["learning-rate-too-high", "learning-rate-too-low"],
  leak: ["feature-label-leakage", "train-validation-overlap"],
};

/**
 * The codes `query` most likely meant, best first: an alias, then codes containing it (or contained in
 * it), then by edit distance to the whole code or to one of its words (so "nan" finds non-finite-*).
 *
 * @example
 * ```ts
 * closestCodes("overfit"); // ["overfitting", ...]
 * ```
 */
export function closestCodes(query: string, count = 3): FindingCode[] {
  const q = query.toLowerCase().replace(/[\s_]+/g, "-");
  const aliased = ALIASES[q] ?? [];
  const score = (code: FindingCode) => {
    if (aliased.includes(code)) return -1;
    if (code.includes(q) || q.includes(code)) return 0;
    const words = code.split("-").map((w) => editDistance(q, w) + 1);
    return 1 + Math.min(editDistance(q, code), ...words);
  };
  return [...FINDING_CODES].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, count);
}

/** Options of {@linkcode explainText} and {@linkcode codeListText}. */
export interface ExplainOptions {
  color: boolean;
  width: number;
}

/** The page of `code` (its Markdown text), drawn for the terminal. */
export function explainText(code: FindingCode, markdown: string, options: ExplainOptions): string {
  return renderMarkdown(markdown, { ...options, path: findingDocPath(code) });
}

const FAMILY_TITLE: Record<FindingFamily, string> = {
  setup: "Setup",
  data: "Data",
  training: "Training",
  metric: "Metric consistency",
};

/**
 * Every code by family with its severity and the one-line summary of its page (`summaryOf(code)`).
 */
export function codeListText(summaryOf: (code: FindingCode) => string, options: ExplainOptions): string {
  const lines = ["# Finding codes", "", "`npx deno task diagnose explain CODE` shows one in full.", ""];
  for (const family of Object.keys(FAMILY_TITLE) as FindingFamily[]) {
    lines.push(`## ${FAMILY_TITLE[family]}`, "");
    for (const code of FINDING_CODES.filter((c) => CATALOGUE[c].family === family)) {
      lines.push(`- \`${code}\` (${CATALOGUE[code].severity}): ${summaryOf(code)}`);
    }
    lines.push("");
  }
  return renderMarkdown(lines.join("\n"), options);
}

/** The one-line summary of a finding page: its first paragraph after the title, without the severity. */
export function pageSummary(markdown: string): string {
  const paragraph = markdown.split(/\n\s*\n/).map((p) => p.trim()).find((p) =>
    p !== "" && !p.startsWith("#")
  );
  return (paragraph ?? "").replace(/\s*\n\s*/g, " ").replace(/^\*\*\w+\*\*\s*·\s*\w+\s*·\s*/, "");
}
