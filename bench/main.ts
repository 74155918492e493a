/**
 * `npx deno task bench [--json] [--markdown] [--reps N] [--quick] [--from FILE.json]`: fitcheck against
 * @tensorflow/tfjs-backend-webgpu and tfjs-backend-cpu, in one process on one adapter (bench/harness.ts).
 *
 * stdout: the table, or exactly one JSON document (`--json`, CONTRACT §4), or Markdown table rows
 * (`--markdown`, for BENCHMARKS.md); progress goes to stderr. Exit codes: 0 when the run completed
 * (also when a target is missed: a benchmark reports), 1 when a correctness check failed (the figures
 * then measure a wrong result), 2 bad usage, 3 no WebGPU adapter, 70 an internal error.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ensureRuntimeDir } from "../src/cli/runtime_dir.ts";
import { InputError } from "../src/errors.ts";
import { NoAdapterError } from "../src/gpu/errors.ts";
import { TOOL_VERSION } from "../src/report/types.ts";
import { runBench } from "./harness.ts";
import { renderMarkdown, renderTable } from "./render.ts";
import { type BenchResult, BenchResultSchema } from "./schema.ts";

/** Exit codes of the bench command. */
export const BENCH_EXIT = { ok: 0, checkFailed: 1, usage: 2, noAdapter: 3, internal: 70 } as const;

/** Parsed options. */
export interface BenchCliOptions {
  json: boolean;
  markdown: boolean;
  quick: boolean;
  reps?: number;
  /** Render this saved `--json` result instead of running. */
  from?: string;
}

function repetitions(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 5) {
    throw new InvalidArgumentError(
      `expected an integer >= 5 (medians of at least 5, issue 9), got "${value}"`,
    );
  }
  return n;
}

/**
 * Parses `argv` (the arguments after the command). Returns the options, or an exit code when commander
 * already answered (--help, --version) or the usage was wrong (message written to `writeErr`).
 */
export function parseBenchArgs(
  argv: readonly string[],
  io: { writeOut(s: string): void; writeErr(s: string): void },
): BenchCliOptions | number {
  const program = new Command("npx deno task bench")
    .description(
      "fitcheck against tfjs-backend-webgpu and tfjs-backend-cpu: same process, same adapter, " +
        "interleaved repetitions, medians",
    )
    .version(TOOL_VERSION, "-V, --version", "print the version")
    .option("--json", "print one JSON document (schema fitcheck.bench/v1) on stdout", false)
    .option("--markdown", "print the Markdown table rows for BENCHMARKS.md on stdout", false)
    .option("--reps <n>", "timed repetitions per case (>= 5; default 5)", repetitions)
    .option("--quick", "small sizes and few repetitions: tests the harness, figures not comparable", false)
    .option(
      "--from <file>",
      "render a result saved with --json (as a table, or with --markdown) without running",
    )
    .exitOverride()
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .allowExcessArguments(false);
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? BENCH_EXIT.ok : BENCH_EXIT.usage;
    }
    throw error;
  }
  const o = program.opts<BenchCliOptions>();
  if (o.json && o.markdown) {
    io.writeErr("error: --json and --markdown both print on stdout: choose one\n");
    return BENCH_EXIT.usage;
  }
  if (o.from !== undefined && (o.json || o.quick || o.reps !== undefined)) {
    io.writeErr("error: --from renders a saved result: it takes only --markdown\n");
    return BENCH_EXIT.usage;
  }
  return o;
}

/** Runs the command; returns the exit code. `gpu` replaces `navigator.gpu` (tests). */
export async function benchMain(
  argv: readonly string[],
  io: { writeOut(s: string): void; writeErr(s: string): void },
  options: { gpu?: GPU } = {},
): Promise<number> {
  const { gpu } = options;
  const parsed = parseBenchArgs(argv, io);
  if (typeof parsed === "number") return parsed;
  try {
    const result = parsed.from !== undefined ? await loadResult(parsed.from) : await runBench({
      gpu,
      quick: parsed.quick,
      reps: parsed.reps,
      progress: (line) => io.writeErr(`${line}\n`),
    });
    io.writeOut(
      parsed.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : parsed.markdown
        ? renderMarkdown(result)
        : renderTable(result),
    );
    return result.checksOk ? BENCH_EXIT.ok : BENCH_EXIT.checkFailed;
  } catch (error) {
    if (error instanceof InputError) {
      io.writeErr(`error: ${error.message}\n`);
      return BENCH_EXIT.usage;
    }
    if (error instanceof NoAdapterError) {
      io.writeErr(`error: ${error.message}\n`);
      return BENCH_EXIT.noAdapter;
    }
    io.writeErr(`internal error (a defect of the benchmark or of fitcheck): ${String(error)}\n`);
    if (Deno.env.get("DEBUG")) io.writeErr(`${(error as Error).stack}\n`);
    return BENCH_EXIT.internal;
  }
}

/**
 * A result saved by `--json`, validated against the schema. A relative path resolves against the
 * directory the command was typed in (`INIT_CWD` under `deno task`).
 */
export async function loadResult(file: string): Promise<BenchResult> {
  const base = Deno.env.get("INIT_CWD") || Deno.cwd();
  const path = file.startsWith("/") ? file : `${base}/${file}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(`cannot read the file: ${(error as Error).message}`, { file, field: "--from" });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file });
  }
  const parsed = BenchResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`not a fitcheck.bench/v1 result: ${issue.message}`, {
      file,
      field: issue.path.join(".") || undefined,
    });
  }
  return parsed.data;
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const write = (file: typeof Deno.stdout) => (text: string) => {
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  };
  // stdout carries the one document: anything a library logs during the run goes to stderr instead.
  console.log = console.info = console.error;
  // Keeps libwayland's XDG_RUNTIME_DIR complaint (wgpu's GL probe) off stderr, as the CLI does.
  const cleanup = await ensureRuntimeDir();
  const code = await benchMain(Deno.args, { writeOut: write(Deno.stdout), writeErr: write(Deno.stderr) });
  await cleanup();
  Deno.exit(code);
}
