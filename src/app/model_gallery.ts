/**
 * Gallery entries that are model files (`"kind": "model"`): a model file, its data and the flags a user
 * would type, run through `run --model`, so the gallery shows each format's import (the seeds' Keras
 * examples as `.keras` files, a tfjs save, PyTorch exports) next to the scenario files. The engines'
 * `runScenario` dispatches on the kind (src/app/engines.ts), so the gallery, `run FILE.json` and the
 * playground take such an entry wherever they take a scenario file.
 *
 * ```jsonc
 * {"kind": "model", "name": "...", "description": "...", "model": "models/m.keras",
 *  "train": "data/train.csv", "target": ["c0", "c1"], "flags": {"epochs": 15, "loss": "mse"},
 *  "expect": {"findings": ["loss-task-mismatch"]}}
 * ```
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { Report } from "../report/types.ts";
import type { ModelFlags } from "../import/scenario.ts";
import type { ModelEngines, ProgressSink } from "./types.ts";

/** A model gallery entry, paths absolute. */
export interface ModelGalleryEntry {
  name: string;
  model: string;
  flags: ModelFlags;
}

const FLAG_KEYS = [
  "validation",
  "task",
  "loss",
  "fromLogits",
  "optimizer",
  "learningRate",
  "batchSize",
  "epochs",
  "metrics",
] as const;

/** The entry at `path` when it is a model entry (`"kind": "model"`), else null (a scenario file). */
export function modelGalleryEntry(text: string, path: string, source: FileSource): ModelGalleryEntry | null {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    return null; // the scenario loader reports the syntax error
  }
  if (json === null || typeof json !== "object" || json.kind !== "model") return null;
  const at = (field: string, problem: string) => new InputError(problem, { file: path, field });
  for (const key of ["model", "train"] as const) {
    if (typeof json[key] !== "string") throw at(key, "expected a path (a string)");
  }
  const target = typeof json.target === "string" ? [json.target] : json.target;
  if (!Array.isArray(target) || !target.every((t) => typeof t === "string")) {
    throw at("target", "expected a column name or a list of them");
  }
  const flags = (json.flags ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(flags)) {
    if (!(FLAG_KEYS as readonly string[]).includes(k)) {
      throw at(`flags.${k}`, `unknown flag; expected one of ${FLAG_KEYS.join(", ")}`);
    }
  }
  const resolve = (p: unknown) => source.resolve(path, String(p));
  return {
    name: String(json.name ?? ""),
    model: resolve(json.model),
    flags: {
      ...(flags as Partial<ModelFlags>),
      train: resolve(json.train),
      validation: flags.validation === undefined ? undefined : resolve(flags.validation),
      // A .npy target is a file (the targets of a .npy features file), relative to the entry.
      target: (target as string[]).map((t) => (t.toLowerCase().endsWith(".npy") ? resolve(t) : t)),
    },
  };
}

/** Runs a model entry as `run --model` would; the report carries the entry's name. */
export async function runModelGalleryEntry(
  entry: ModelGalleryEntry,
  models: ModelEngines,
  options: { source: FileSource; epochs?: number; verify?: boolean; progress?: ProgressSink },
): Promise<Report> {
  const report = await models.run({
    ...entry.flags,
    epochs: options.epochs ?? entry.flags.epochs,
    model: entry.model,
    verify: options.verify,
    source: options.source,
    progress: options.progress,
  });
  return { ...report, scenario: { name: entry.name, path: entry.model } };
}
