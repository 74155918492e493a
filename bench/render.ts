/**
 * The bench result as a terminal table (cli-table3) and as Markdown table rows for BENCHMARKS.md.
 * No colour: the verdict is spelled out ("met" / "MISSED"), so NO_COLOR has nothing to strip.
 *
 * @module
 */
import Table from "cli-table3";
import type { BenchCase, BenchResult } from "./schema.ts";

const HEAD = ["case", "fitcheck", "tfjs-webgpu", "tfjs-cpu", "target", "achieved"];

function fixed(x: number, digits = 1): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

/** One row per case: the figures, the target and the verdict. */
export function caseRow(c: BenchCase): string[] {
  const verdict = `${fixed(c.target.achieved, 2)}${c.name === "readbacks-per-epoch" ? "" : "×"} ${
    c.met ? "met" : "MISSED"
  }`;
  const target = `${c.target.comparison === ">=" ? "≥" : "≤"} ${c.target.threshold}${
    c.name === "readbacks-per-epoch" ? "" : "×"
  } (${c.target.quantity})`;
  switch (c.name) {
    case "matmul-1024": {
      const g = (x: number) => `${fixed(x)} GFLOP/s`;
      return [`matmul-${c.n}`, g(c.fitcheck), g(c.tfjsWebgpu), g(c.tfjsCpu), target, verdict];
    }
    case "mlp-train-step":
    case "cnn-train-step": {
      const ms = (x: number) => `${fixed(x)} ms/step`;
      return [c.name, ms(c.fitcheck), ms(c.tfjsWebgpu), ms(c.tfjsCpu), target, verdict];
    }
    case "diagnose-overhead":
      return [
        c.name,
        `${fixed(c.instrumented)} vs ${fixed(c.plain)} ms/step (instrumented vs plain)`,
        "–",
        "–",
        target,
        verdict,
      ];
    case "readbacks-per-epoch":
      return [c.name, `${fixed(c.fitcheck, 2)} per epoch`, "–", "–", target, verdict];
  }
}

/** The lines under the table: the run's conditions and any failed correctness check. */
export function footer(result: BenchResult): string[] {
  const lines = [
    `adapter: ${result.adapter.description} (fallback: ${result.adapter.isFallbackAdapter}); ` +
    `tfjs ${result.tfjs.version}, tfjs-webgpu on ${
      result.tfjs.webgpuDevice === "shared" ? "fitcheck's GPUDevice" : "its own device of the same adapter"
    }`,
    `Deno ${result.environment.deno}, ${result.environment.os}, ${result.environment.cpus} CPUs, ` +
    `${result.environment.date}; median of ${result.reps} interleaved repetitions after warm-up`,
  ];
  if (result.quick) lines.push("QUICK mode: reduced sizes and steps; these figures are not comparable.");
  for (const c of result.cases) {
    for (const k of c.checks) if (!k.ok) lines.push(`CHECK FAILED in ${c.name}: ${k.name}: ${k.detail}`);
  }
  if (result.checksOk) lines.push("every correctness check passed");
  return lines;
}

/** The terminal table and its footer. */
export function renderTable(result: BenchResult): string {
  const table = new Table({ head: HEAD, style: { head: [], border: [], compact: true } });
  for (const c of result.cases) table.push(caseRow(c));
  return `${table.toString()}\n${footer(result).join("\n")}\n`;
}

/** A Markdown table (header, separator, rows) and the footer as a paragraph, for BENCHMARKS.md. */
export function renderMarkdown(result: BenchResult): string {
  const row = (cells: string[]) => `| ${cells.map((s) => s.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    row(HEAD),
    row(HEAD.map(() => "---")),
    ...result.cases.map((c) => row(caseRow(c))),
    "",
    ...footer(result).map((l) => `${l}  `),
    "",
  ].join("\n");
}
