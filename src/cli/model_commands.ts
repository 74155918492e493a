/**
 * The model-file side of the CLI (CONTRACT §7.1): the options `run --model` and `init` share, their
 * actions, and `audit --model`. program.ts adds these to its commands; the logic is src/app/model_file.ts.
 *
 * @module
 */
import type { Command } from "commander";
import type { ModelEngines } from "../app/types.ts";
import { InputError } from "../errors.ts";
import { dirname, joinPath } from "../io.ts";
import type { Report } from "../report/types.ts";
import type { Task } from "../scenario/types.ts";
import { columnList, oneOf, pathValue, positiveInteger, positiveNumber, TASKS } from "./options.ts";

/** What the model actions need from program.ts. */
export interface ModelCommandContext {
  cwd: string;
  engines: ModelEngines | undefined;
  checkReadable(path: string, display: string): Promise<void>;
}

/** The options `run --model` and `init` take (the data, and flags that override the file). */
export interface ModelOptions {
  model?: string;
  train?: string;
  validation?: string;
  target?: string[];
  task?: Task;
  loss?: string;
  fromLogits?: boolean;
  optimizer?: string;
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  metrics?: string[];
  features?: string;
  initialWeights?: boolean;
}

/** Adds the model-file options to `command` (`epochs` excepted: `run` has it already). */
export function addModelOptions(
  command: Command,
  options: { epochs: boolean; initialWeights: boolean },
): Command {
  command
    .option(
      "--model <file>",
      "a model file: Keras .keras / .h5, tfjs model.json, ONNX .onnx",
      pathValue("--model"),
    )
    .option(
      "--train <file>",
      "training data for the model: CSV, .npy (with --target y.npy), .npz, Parquet",
      pathValue("--train"),
    )
    .option("--validation <file>", "validation data, same columns", pathValue("--validation"))
    .option(
      "--target <cols>",
      "target column(s), or the targets' .npy file / .npz array",
      columnList("--target"),
    )
    .option("--features <name>", "the features array of an .npz file with several")
    .option("--task <task>", `one of ${TASKS.join(", ")}; inferred when absent`, oneOf("--task", TASKS))
    .option("--loss <name>", "the loss (overrides the file's; required for ONNX)")
    .option("--from-logits", "the loss takes logits (PyTorch's CrossEntropyLoss)")
    .option("--optimizer <name>", "sgd, adam or rmsprop (overrides the file's; required for ONNX)")
    .option(
      "--learning-rate <x>",
      "the learning rate (overrides the file's)",
      positiveNumber("--learning-rate"),
    )
    .option("--batch-size <n>", "batch size (default 32)", positiveInteger("--batch-size"))
    .option("--metrics <names>", "metrics, comma-separated (overrides the file's)", columnList("--metrics"));
  if (options.epochs) command.option("--epochs <n>", "epochs (default 10)", positiveInteger("--epochs"));
  if (options.initialWeights) {
    command.option(
      "--initial-weights",
      "start from the file's saved weights instead of a fresh initialisation",
    );
  }
  return command;
}

/** The model flags as src/app/model_file.ts takes them (paths absolute, required ones checked). */
export async function modelFlags(ctx: ModelCommandContext, opts: ModelOptions) {
  for (
    const [flag, v] of [["--model", opts.model], ["--train", opts.train], ["--target", opts.target]] as const
  ) {
    if (v === undefined) throw new InputError(`is required with --model`, { file: "<argv>", field: flag });
  }
  const resolve = (p: string) => joinPath(ctx.cwd, p);
  for (const p of [opts.model, opts.train, opts.validation]) {
    if (p !== undefined) await ctx.checkReadable(resolve(p), p);
  }
  const target = opts.target!.map((t) => (t.toLowerCase().endsWith(".npy") ? resolve(t) : t));
  return {
    model: resolve(opts.model!),
    train: resolve(opts.train!),
    validation: opts.validation === undefined ? undefined : resolve(opts.validation),
    target,
    task: opts.task,
    loss: opts.loss,
    fromLogits: opts.fromLogits,
    optimizer: opts.optimizer,
    learningRate: opts.learningRate,
    batchSize: opts.batchSize,
    epochs: opts.epochs,
    metrics: opts.metrics,
    features: opts.features,
  };
}

/** `run --model ...`: the report of the model file trained on the data. */
export async function runModel(
  ctx: ModelCommandContext,
  opts: ModelOptions & { verify?: boolean },
  source: Parameters<ModelEngines["run"]>[0]["source"],
  progress?: Parameters<ModelEngines["run"]>[0]["progress"],
): Promise<Report> {
  const flags = await modelFlags(ctx, opts);
  return await engines(ctx).run({
    ...flags,
    initialWeights: opts.initialWeights,
    verify: opts.verify,
    source,
    progress,
  });
}

/** `init --model ... [--out FILE]`: the scenario text, paths relative to where it is written. */
export async function initModel(
  ctx: ModelCommandContext,
  opts: ModelOptions & { out?: string },
  source: Parameters<ModelEngines["init"]>[0]["source"],
): Promise<string> {
  const flags = await modelFlags(ctx, opts);
  const out = opts.out === undefined ? undefined : joinPath(ctx.cwd, opts.out);
  const base = out === undefined ? ctx.cwd : dirname(out);
  return await engines(ctx).init({
    ...flags,
    source,
    out: out ?? joinPath(ctx.cwd, "scenario.json"),
    relative: (p) => relativePath(base, p),
  });
}

/** `audit --model M --data D --target T`: the audit of the file's own predictions. */
export async function auditModel(
  ctx: ModelCommandContext,
  // The engine's options as the command line gives them: --data and --target not yet checked.
  opts: Omit<AuditOptions, "data" | "target" | "source"> & { data?: string; target?: string[] },
  source: AuditOptions["source"],
): Promise<Report> {
  for (const [flag, v] of [["--data", opts.data], ["--target", opts.target]] as const) {
    if (v === undefined) throw new InputError("is required with --model", { file: "<argv>", field: flag });
  }
  const resolve = (p: string) => joinPath(ctx.cwd, p);
  for (const p of [opts.model, opts.data, opts.history]) {
    if (p !== undefined) await ctx.checkReadable(resolve(p), p);
  }
  return await engines(ctx).audit({
    ...opts,
    model: resolve(opts.model),
    data: resolve(opts.data!),
    target: opts.target!.map((t) => (t.toLowerCase().endsWith(".npy") ? resolve(t) : t)),
    history: opts.history === undefined ? undefined : resolve(opts.history),
    source,
  });
}

/** What the model-file audit engine takes (paths absolute). */
type AuditOptions = Parameters<ModelEngines["audit"]>[0];

function engines(ctx: ModelCommandContext): ModelEngines {
  if (!ctx.engines) throw new Error("these engines do not import model files");
  return ctx.engines;
}

/** `path` relative to the directory `base` (both absolute), with "../" where needed. */
export function relativePath(base: string, path: string): string {
  const a = base.split("/").filter((s) => s !== ""), b = path.split("/").filter((s) => s !== "");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const rel = [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
  return rel === "" ? "." : rel;
}
