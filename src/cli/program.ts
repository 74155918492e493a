/**
 * The `diagnose` command line: parsing (commander), dispatch to the injected engines, output and
 * exit codes. Everything process-specific (Deno APIs, streams, environment) comes in through
 * {@linkcode CliIo}, so the whole CLI runs in-process in tests; src/cli/main.ts supplies the real one.
 *
 * Exit codes (CONTRACT §1, plus 70):
 * - 0: no finding of severity error (gallery: every expectation met)
 * - 1: at least one error finding (gallery: an unmet expectation)
 * - 2: bad usage or bad input: one line on stderr naming the file, line/row and field; also data
 *   too large for the adapter's buffer limits (GpuLimitError)
 * - 3: no WebGPU adapter, or the device was lost mid-run (DeviceLostError)
 * - 70: an internal error, i.e. a defect of fitcheck (EX_SOFTWARE from sysexits.h); the message
 *   says so and DEBUG=1 prints the stack.
 *
 * @module
 */
import { displayPath } from "./_path.ts";
import { Command, CommanderError } from "commander";
import { runGallery } from "../app/gallery.ts";
import type { Engines } from "../app/types.ts";
import { formatInputProblem, InputError, isInputError } from "../errors.ts";
import { type FileSource, joinPath } from "../io.ts";
import type { ChartLibraries } from "../report/html.ts";
import { renderHtml } from "../report/html.ts";
import { renderGallery, renderReport } from "../report/terminal.ts";
import { FINDING_CODES, type Report, TOOL_VERSION } from "../report/types.ts";
import {
  closestCodes,
  codeListText,
  explainText,
  findingDocPath,
  isFindingCode,
  pageSummary,
} from "./explain.ts";
import {
  addModelOptions,
  auditModel,
  initModel,
  type ModelCommandContext,
  type ModelOptions,
  runModel,
} from "./model_commands.ts";
import {
  budgetValue,
  columnList,
  oneOf,
  pathValue,
  positiveInteger,
  positiveSeconds,
  TASKS,
} from "./options.ts";
import { createProgress } from "./progress.ts";

/** Exit codes of `diagnose`. */
export const EXIT = { ok: 0, findings: 1, usage: 2, noAdapter: 3, internal: 70 } as const;

/** What the CLI needs from its process; src/cli/main.ts builds it from Deno. */
export interface CliIo {
  /** Absolute directory that relative paths resolve against (INIT_CWD under `deno task`, else the cwd). */
  cwd: string;
  env(name: string): string | undefined;
  writeOut(text: string): void;
  writeErr(text: string): void;
  stdoutIsTerminal: boolean;
  stderrIsTerminal: boolean;
  /** Terminal width for the report (ignored when stdout is not a terminal). */
  columns: number;
  /** Absolute path of the bundled gallery, examples/scenarios/. */
  galleryDir: string;
  source: FileSource;
  listDir(path: string): Promise<string[]>;
  /** Atomic write; `display` is the path as the user typed it. */
  writeFile(path: string, text: string, display: string): Promise<void>;
  /** Throws an InputError naming `display` unless `path` is a readable file (checked before a long run). */
  checkReadable(path: string, display: string): Promise<void>;
  /** Throws an InputError when `path` cannot be written (called before a long run). */
  checkWritable(path: string, display: string): Promise<void>;
  chartLibraries(): Promise<ChartLibraries>;
  /** The text of a file of the repository (`docs/findings/x.md`), for `explain`; rejects when absent. */
  readDoc(path: string): Promise<string>;
}

const HELP_PREFIX = "npx deno task diagnose";
/**
 * Gallery entries run at once (src/app/gallery.ts `lanes`) on `cores` CPU cores: three per core, at
 * most 8. The lanes past the first run in worker threads, each on a GPU device of its own
 * (src/cli/lane_worker.ts), and a lane spends much of its time waiting rather than computing: a
 * readback's ~11 ms round trip (Deno polls the map every 10 ms), pipeline creation, single-workgroup
 * dispatches that leave the other cores idle. Measured on a 2-core llvmpipe machine, the 135-entry
 * gallery (`time npx deno task diagnose`, one run each): 2 lanes 103.6 s, 3 94.4 s, 4 82.1 s, 6 71.7 s,
 * 8 74.7 s (2 lanes sharing one thread, before the workers: 127.1 s). Each lane holds its own buffers,
 * hence the cap.
 */
export function galleryLanes(cores: number): number {
  return Math.min(8, Math.max(2, 3 * Math.floor(cores)));
}

const BUDGET_HELP = "diagnose within about SECONDS (default 10): a longer run trains on a stratified " +
  "sample of its training rows, and the report says what was trained; 'none' trains everything";
const NO_TUNE_HELP = "do not time the matmul kernels on this adapter; use the fixed rule (measured " +
  "choices are cached in $XDG_CACHE_HOME/fitcheck, else ~/.cache/fitcheck: delete it to measure again)";

/**
 * Runs the CLI on `argv` (the arguments after the command name) and returns the exit code. Never
 * throws: every error is reported on stderr and mapped to its code.
 */
export async function runCli(argv: string[], io: CliIo, engines: Engines): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = buildProgram(io, engines, setExit);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    return reportError(e, io, argv, program.commands.map((c) => c.name()));
  }
}

/**
 * The commander program of `diagnose`, every subcommand and option (exported so that the docs test
 * can check that docs/cli.md has an entry for each). `setExit` receives the exit code of an action.
 */
export function buildProgram(io: CliIo, engines: Engines, setExit: (code: number) => void): Command {
  const resolve = (p: string) => joinPath(io.cwd, p);
  const color = io.stdoutIsTerminal && !io.env("NO_COLOR");
  const width = io.stdoutIsTerminal ? io.columns : Number(io.env("COLUMNS")) || 80;
  // Bars only on a terminal. Off a terminal a single run stays silent on stderr (its one line there is
  // then an error, if any), while the gallery logs one line per scenario so CI shows it advancing.
  const progressFor = (kind: "run" | "gallery") =>
    createProgress({
      terminal: io.stderrIsTerminal,
      silent: kind === "run" && !io.stderrIsTerminal,
      log: (line) => io.writeErr(line + "\n"),
    });
  const printReport = (report: Report, json: boolean) => {
    io.writeOut(
      json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report, { color, width, cwd: io.cwd }),
    );
    setExit(report.findings.some((f) => f.severity === "error") ? EXIT.findings : EXIT.ok);
  };

  const program = configure(new Command("diagnose"), io)
    .description(
      "Trains every scenario of the gallery and checks that each gives the findings it expects; " +
        "or, with a subcommand, diagnoses one scenario or model file (run), writes a model file's scenario (init), " +
        "checks a dataset (data) or a run made elsewhere (audit), or explains a finding code (explain).",
    )
    .enablePositionalOptions()
    .option("--json", "print the fitcheck.gallery/v1 document instead of the table")
    .option(
      "--epochs <n>",
      "train every scenario for N epochs instead of its own setting",
      positiveInteger("--epochs"),
    )
    .option("--verify", "also retrain each scenario with each fix applied")
    .option(
      "--metric-timeout <s>",
      "time limit of each call of a scenario's metric module, in seconds (default 10)",
      positiveSeconds("--metric-timeout"),
    )
    .option(
      "--scenarios <dir>",
      "run the scenarios of DIR instead of examples/scenarios",
      pathValue("--scenarios"),
    )
    .option("--budget <seconds>", BUDGET_HELP, budgetValue("--budget"))
    .option("--no-tune", NO_TUNE_HELP)
    .addHelpText(
      "after",
      examples([
        ["", "the gallery: every examples/scenarios/*.json, a table of expected vs found findings"],
        ["--json > gallery.json", "the same as one JSON document"],
        ["run examples/scenarios/a0-ex1-mse-on-multiclass.json", "one scenario, read in the terminal"],
        ["run --help", "the options of a subcommand"],
      ]),
    )
    .action(async (opts: {
      json?: boolean;
      epochs?: number;
      verify?: boolean;
      metricTimeout?: number;
      scenarios?: string;
      budget?: number | "none";
      tune?: boolean;
    }) => {
      const json = opts.json ?? false;
      const dir = opts.scenarios ? resolve(opts.scenarios) : io.galleryDir;
      const names = (await io.listDir(dir)).filter((n) => n.endsWith(".json"));
      if (names.length === 0) {
        throw new InputError("no scenario files (*.json) in this directory", {
          file: displayPath(dir, io.cwd),
        });
      }
      const progress = progressFor("gallery");
      // The history-only audit cases: the audits/ directory beside the scenarios' (examples/audits).
      const auditsDir = await io.listDir(joinPath(dir, "../audits")).then(
        () => joinPath(dir, "../audits"),
        () => undefined,
      );
      const { document, reports } = await runGallery(dir, engines, {
        source: io.source,
        listDir: io.listDir,
        auditsDir,
        lanes: galleryLanes(navigator.hardwareConcurrency ?? 1),
        epochs: opts.epochs,
        verify: opts.verify,
        metricTimeoutMs: opts.metricTimeout,
        budget: opts.budget === "none" ? null : opts.budget,
        tune: opts.tune,
        progress: progress.sink,
        describe: (e) => describeInputError(e, io.cwd),
        onStart: ({ index, total, name }) => progress.scenario(index, total, name),
        onDone: ({ index, total, entry }) =>
          progress.scenarioDone(
            index,
            total,
            `${entry.name}: ${entry.ok ? "ok" : "FAIL"} (${(entry.ms / 1000).toFixed(1)} s)`,
          ),
      }).finally(() => progress.stop());
      io.writeOut(
        json ? JSON.stringify(document, null, 2) + "\n" : renderGallery(document, reports, { color, width }),
      );
      setExit(document.scenarios.every((s) => s.ok) ? EXIT.ok : EXIT.findings);
    });

  const models: ModelCommandContext = {
    cwd: io.cwd,
    engines: engines.models,
    checkReadable: io.checkReadable,
  };
  const run = configure(program.command("run"), io)
    .description(
      "Train one scenario (or your model file, with --model) on WebGPU, recompute every number in float64 and diagnose it.",
    )
    .argument("[file]", "scenario file (JSON; every key is in docs/scenario.md); or none, with --model")
    .option("--json", "print the report as one JSON document (fitcheck.report/v1)")
    .option("--html <out>", "also write a self-contained HTML report with charts to OUT", pathValue("--html"))
    .option("--verify", "retrain with each finding's fix applied and show before/after")
    .option(
      "--epochs <n>",
      "train for N epochs instead of the scenario's training.epochs",
      positiveInteger("--epochs"),
    )
    .option(
      "--metric-timeout <s>",
      "time limit of each call of a scenario's metric module, in seconds (default 10)",
      positiveSeconds("--metric-timeout"),
    )
    .option("--budget <seconds>", BUDGET_HELP, budgetValue("--budget"))
    .option("--no-tune", NO_TUNE_HELP)
    .addHelpText(
      "after",
      examples([
        ["run examples/scenarios/a0-ex1-mse-on-multiclass.json", "train, diagnose, print the report"],
        ["run my-setup.json --verify --html report.html", "also confirm each fix and write charts"],
        ["run my-setup.json --epochs 5 --json | jq .findings", "machine-readable, for scripts"],
        ["run --model m.keras --train train.csv --target label", "your Keras model on your data"],
        [
          "run --model net.onnx --train x.npy --target y.npy --loss sparse-categorical-crossentropy --from-logits --optimizer adam",
          "a PyTorch export (ONNX carries no loss or optimizer)",
        ],
      ]),
    )
    .action(
      async (
        file: string | undefined,
        opts: ModelOptions & {
          json?: boolean;
          html?: string;
          verify?: boolean;
          epochs?: number;
          metricTimeout?: number;
          budget?: number | "none";
          tune?: boolean;
        },
      ) => {
        const json = opts.json ?? false;
        if ((file === undefined) === (opts.model === undefined)) {
          throw new InputError(
            file === undefined
              ? "missing required argument 'file' (or --model MODEL)"
              : "give a scenario file or --model, not both",
            { file: "<argv>", field: "run" },
          );
        }
        const scenario = file === undefined ? "" : resolve(pathValue("<file>")(file));
        if (file !== undefined) await io.checkReadable(scenario, file);
        const htmlPath = opts.html === undefined ? undefined : resolve(opts.html);
        if (htmlPath !== undefined) await io.checkWritable(htmlPath, opts.html!);
        const progress = progressFor("run");
        const report =
          await (file === undefined
            ? runModel(models, opts, io.source, progress.sink)
            : engines.runScenario(scenario, {
              epochs: opts.epochs,
              verify: opts.verify ?? false,
              budget: opts.budget === "none" ? null : opts.budget,
              tune: opts.tune,
              source: io.source,
              progress: progress.sink,
              metricTimeoutMs: opts.metricTimeout,
            }))
            .finally(() => progress.stop());
        if (htmlPath !== undefined) {
          await io.writeFile(htmlPath, renderHtml(report, await io.chartLibraries()), opts.html!);
          io.writeErr(`fitcheck: wrote ${opts.html}\n`);
        }
        printReport(report, json);
      },
    );

  addModelOptions(run, { epochs: false, initialWeights: true });

  addModelOptions(
    configure(program.command("init"), io)
      .description("Write the scenario file that `run --model` would train, so you can keep and edit it.")
      .option("--out <file>", "write it to FILE (atomically) instead of stdout", pathValue("--out")),
    { epochs: true, initialWeights: false },
  )
    .addHelpText(
      "after",
      examples([
        ["init --model m.keras --train train.csv --target label --out setup.json", "then: run setup.json"],
      ]),
    )
    .action(async (opts: ModelOptions & { out?: string }) => {
      const outPath = opts.out === undefined ? undefined : resolve(opts.out);
      if (outPath !== undefined) await io.checkWritable(outPath, opts.out!);
      const text = await initModel(models, opts, io.source);
      if (outPath === undefined) io.writeOut(text);
      else {
        await io.writeFile(outPath, text, opts.out!);
        io.writeErr(`fitcheck: wrote ${opts.out}\n`);
      }
    });

  configure(program.command("data"), io)
    .description(
      "Check a dataset for the data findings (labels, NaN, scale, leakage, overlap, ...) without training.",
    )
    .requiredOption(
      "--train <file>",
      "training data: CSV with a header row, Parquet, .npy, or .npz (arrays by name)",
      pathValue("--train"),
    )
    .option("--validation <file>", "validation data, same columns", pathValue("--validation"))
    .requiredOption(
      "--target <cols>",
      "target column(s): one name, or several separated by commas (.npz: the target array)",
      columnList("--target"),
    )
    .option(
      "--features <cols>",
      "feature columns (default: all but the target); .npz: the features array, when it holds several",
      columnList("--features"),
    )
    .option(
      "--task <task>",
      `one of ${TASKS.join(", ")}; inferred from the target when absent`,
      oneOf("--task", TASKS),
    )
    .option("--json", "print the report as one JSON document (fitcheck.report/v1)")
    .addHelpText(
      "after",
      examples([
        ["data --train train.csv --target label", "one class column"],
        [
          "data --train train.csv --validation val.csv --target y --task regression",
          "with a validation file",
        ],
        ["data --train x.csv --target cat,dog,bird --json", "one-hot targets, as JSON"],
        ["data --train d.npz --target y", 'np.savez("d.npz", x=X, y=y): array y is the target'],
      ]),
    )
    .action(
      async (
        opts: {
          train: string;
          validation?: string;
          target: string[];
          features?: string[];
          task?: typeof TASKS[number];
          json?: boolean;
        },
      ) => {
        await checkInputs(io, [opts.train, opts.validation]);
        const report = await engines.checkData({
          train: resolve(opts.train),
          validation: opts.validation === undefined ? undefined : resolve(opts.validation),
          target: opts.target,
          features: opts.features,
          task: opts.task,
          source: io.source,
        });
        printReport(report, opts.json ?? false);
      },
    );

  configure(program.command("audit"), io)
    .description(
      "Metric forensics on a run made elsewhere (Keras, PyTorch, tfjs): recompute the logged loss and " +
        "metrics from saved labels and predictions with every definition that could have produced them.",
    )
    .option(
      "--labels <file>",
      "true labels: CSV (class indices, names, one-hot or values), Parquet, .npy or .npz (with --predictions)",
      pathValue("--labels"),
    )
    .option(
      "--predictions <file>",
      "model outputs, N rows by K columns: CSV, Parquet, .npy or .npz (with --labels)",
      pathValue("--predictions"),
    )
    .option(
      "--model <file>",
      "instead of --labels/--predictions: the model file predicts --data",
      pathValue("--model"),
    )
    .option("--data <file>", "with --model: the data (CSV, or .npy with --target y.npy)", pathValue("--data"))
    .option("--target <cols>", "with --model: the target column(s)", columnList("--target"))
    .option(
      "--history <file>",
      "training log: Keras CSVLogger CSV, history.history JSON, Keras console output, PyTorch epoch lines, " +
        "a TensorBoard event file or run directory, a Lightning metrics.csv; alone, a history-only audit",
      pathValue("--history"),
    )
    .option(
      "--classes <n>",
      "number of classes (history-only bounds; 2 for binary)",
      positiveInteger("--classes"),
    )
    .option(
      "--epoch <n>",
      "the history row the predictions belong to (default: the last)",
      positiveInteger("--epoch"),
    )
    .option(
      "--split <split>",
      "the split the predictions belong to: validation or train",
      oneOf("--split", ["validation", "train"] as const),
      "validation",
    )
    .option("--task <task>", `one of ${TASKS.join(", ")}; inferred when absent`, oneOf("--task", TASKS))
    .option("--loss <name>", "the loss the run used (e.g. categorical-crossentropy)")
    .option("--from-logits", "the predictions are logits, not probabilities")
    .option("--json", "print the report as one JSON document (fitcheck.report/v1)")
    .addHelpText(
      "after",
      examples([
        [
          "audit --labels y_val.csv --predictions p_val.csv --history history.csv",
          "check the logged val_ numbers",
        ],
        [
          "audit --labels y.npy --predictions logits.npy --from-logits --loss sparse-categorical-crossentropy",
          "logits",
        ],
        [
          "audit --labels y.csv --predictions p.csv --history h.json --epoch 12 --split train --json",
          "as JSON",
        ],
        ["audit --history fit.log --classes 3", "the log alone: Keras console output saved to a file"],
        ["audit --history logs/fit/ --loss categorical-crossentropy", "a TensorBoard run directory"],
      ]),
    )
    .action(async (opts: {
      labels?: string;
      predictions?: string;
      model?: string;
      data?: string;
      target?: string[];
      history?: string;
      classes?: number;
      epoch?: number;
      split: "validation" | "train";
      task?: typeof TASKS[number];
      loss?: string;
      fromLogits?: boolean;
      json?: boolean;
    }) => {
      if (opts.model !== undefined) {
        printReport(await auditModel(models, { ...opts, model: opts.model }, io.source), opts.json ?? false);
        return;
      }
      // The history may be a TensorBoard run directory: its reader checks it.
      await checkInputs(io, [opts.labels, opts.predictions]);
      const report = await engines.audit({
        labels: opts.labels === undefined ? undefined : resolve(opts.labels),
        predictions: opts.predictions === undefined ? undefined : resolve(opts.predictions),
        history: opts.history === undefined ? undefined : resolve(opts.history),
        classes: opts.classes,
        epoch: opts.epoch,
        split: opts.split,
        task: opts.task,
        loss: opts.loss,
        fromLogits: opts.fromLogits ?? false,
        source: io.source,
      });
      printReport(report, opts.json ?? false);
    });

  configure(program.command("explain"), io)
    .description(
      "Print the reference entry of a finding code: what it means, how fitcheck detects it, its " +
        "thresholds, an example and the fix (docs/findings/CODE.md). Without CODE, list every code.",
    )
    .argument("[code]", "a finding code, e.g. loss-task-mismatch")
    .addHelpText(
      "after",
      examples([
        ["explain loss-task-mismatch", "the entry of one code"],
        ["explain", "every code, by family, with its one-line summary"],
      ]),
    )
    .action(async (code: string | undefined) => {
      const options = { color, width };
      if (code === undefined) {
        const summaries = new Map<string, string>();
        for (const c of FINDING_CODES) summaries.set(c, pageSummary(await io.readDoc(findingDocPath(c))));
        io.writeOut(codeListText((c) => summaries.get(c)!, options));
        return;
      }
      if (!isFindingCode(code)) {
        throw new InputError(
          `unknown finding code "${code}" (closest: ${
            closestCodes(code).join(", ")
          }; '${HELP_PREFIX} explain' lists every code)`,
        );
      }
      io.writeOut(explainText(code, await io.readDoc(findingDocPath(code)), options));
    });

  return program;
}

/** Every named input file must exist and be a file before an engine starts (clear message, fast). */
async function checkInputs(io: CliIo, paths: (string | undefined)[]): Promise<void> {
  for (const p of paths) if (p !== undefined) await io.checkReadable(joinPath(io.cwd, p), p);
}

/** Settings every command shares: version, output routing, errors thrown rather than exiting. */
function configure(command: Command, io: CliIo): Command {
  return command
    .version(TOOL_VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show this help")
    .exitOverride()
    .configureOutput({
      writeOut: io.writeOut,
      writeErr: io.writeErr,
      // Commander's own multi-line error output is replaced by reportError's single line.
      outputError: () => {},
    });
}

/** Exit codes and where the reference lives, after every command's help (lines within 80 columns). */
const HELP_FOOTER = `Exit codes: 0 no error finding, 1 error findings (gallery: unmet expectation),
2 bad usage or input, 3 no WebGPU adapter (or the device was lost), 70 internal
error. NO_COLOR=1 disables colour; DEBUG=1 adds the stack to an error.

Reference, in the repository's docs/:
  docs/README.md          the index
  docs/cli.md             every command and flag
  docs/scenario.md        scenario files: every key, default and value
  docs/report.md          the report (terminal, --json, --html)
  docs/audit.md           the inputs of audit
  docs/findings/CODE.md   one page per finding code (${HELP_PREFIX} explain CODE)
`;

function examples(rows: [string, string][]): string {
  const lines = rows.map(([args, what]) => `  ${HELP_PREFIX}${args ? " " + args : ""}\n      ${what}`);
  return `\nExamples:\n${lines.join("\n")}\n\n${HELP_FOOTER}`;
}

function subcommandOf(argv: string[], commands: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith("-"));
  return first !== undefined && commands.includes(first) ? first : "";
}

/** Prints the one-line message for `e` and returns its exit code; `commands` are the subcommands' names. */
function reportError(e: unknown, io: CliIo, argv: string[], commands: readonly string[]): number {
  const subcommand = subcommandOf(argv, commands);
  const debug = io.env("DEBUG") === "1";
  const stack = () => {
    if (debug && e instanceof Error && e.stack) io.writeErr(e.stack + "\n");
  };
  if (e instanceof CommanderError) {
    // --help and --version "fail" with exit code 0 after printing.
    if (e.exitCode === 0) return EXIT.ok;
    // Commander puts its "(Did you mean --epochs?)" on a second line: keep it, on the one line.
    let problem = e.message.replace(/^error: /, "").split("\n").map((l) => l.trim()).filter((l) => l)
      .join(" ");
    if (e.code === "commander.excessArguments" && subcommand === "") {
      const word = argv.find((a) => !a.startsWith("-"));
      problem = `unknown command '${word}' (commands: ${commands.join(", ")})`;
    }
    const help = `${HELP_PREFIX}${subcommand ? " " + subcommand : ""} --help`;
    io.writeErr(`fitcheck: ${problem} (see '${help}')\n`);
    stack();
    return EXIT.usage;
  }
  if (isInputError(e)) {
    io.writeErr(`fitcheck: ${describeInputError(e, io.cwd)}\n`);
    stack();
    return EXIT.usage;
  }
  // GPU errors are detected by name so the CLI's error path does not import the GPU module.
  if (e instanceof Error && e.name === "NoAdapterError") {
    const hint = /apt-get|driver/i.test(e.message)
      ? ""
      : " (install a Vulkan driver: apt-get install -y mesa-vulkan-drivers)";
    io.writeErr(`fitcheck: ${oneLine(e.message)}${hint}\n`);
    stack();
    return EXIT.noAdapter;
  }
  // A device lost mid-run (driver reset, out of memory) is the adapter failing, not bad input: exit
  // 3 like no adapter at all; its message says what to try.
  if (e instanceof Error && e.name === "DeviceLostError") {
    io.writeErr(`fitcheck: ${oneLine(e.message)}\n`);
    stack();
    return EXIT.noAdapter;
  }
  // Data or a model too large for this adapter's buffer limits: the user's input, refused with the
  // buffer and the limit named, so a usage error rather than a defect.
  if (e instanceof Error && e.name === "GpuLimitError") {
    io.writeErr(`fitcheck: ${oneLine(e.message)}\n`);
    stack();
    return EXIT.usage;
  }
  io.writeErr(`fitcheck: internal error: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
  if (debug) stack();
  else io.writeErr("run with DEBUG=1 for the stack\n");
  return EXIT.internal;
}

/** The InputError's message with its file shown relative to the user's directory when inside it. */
export function describeInputError(e: InputError, cwd: string): string {
  const file = e.location.file;
  // Paths the core resolved (another file named in the problem) read as the user would type them.
  const problem = relativeInside(e.problem, cwd);
  if (file === undefined) return oneLine(relativeInside(e.message, cwd));
  // A bad option value: "--epochs: expected a positive integer, got "0"".
  if (file === "<argv>" && e.location.field) return oneLine(`${e.location.field}: ${problem}`);
  return oneLine(formatInputProblem(problem, { ...e.location, file: displayPath(file, cwd) }));
}

/** `text` with every absolute path inside `cwd` written relative to it. */
function relativeInside(text: string, cwd: string): string {
  const prefix = cwd.endsWith("/") ? cwd : cwd + "/";
  return prefix === "/" ? text : text.split(prefix).join("");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
