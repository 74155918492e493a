/**
 * Reading a scenario file: JSON syntax, then the schema, then one InputError naming the file, the
 * line and column, the key path and the offending value.
 *
 * @module
 */
import type { z } from "zod";
import { closestName, InputError, squashName } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { formatPath, locateJsonPaths, type TextPosition } from "./_json_locate.ts";
import { parseJsonText } from "./json_text.ts";
import { describe, scenarioSchema, suggestChoice } from "./schema.ts";
import type { Scenario } from "./types.ts";

/**
 * Parses and validates a scenario's JSON text. Paths inside resolve against `path` with
 * `source.resolve`.
 *
 * @throws {InputError} syntax errors (line and column), unknown keys, wrong types, out-of-range
 * values, zero layers, ... naming the key path and the line where it is.
 *
 * @example
 * ```ts
 * const s = parseScenario('{"name": "x", "data": {"generate": {"kind": "moons"}}, "model": {"layers": [{"units": 1, "activation": "sigmoid"}]}, "loss": "binary-crossentropy"}', "/s/x.json", source);
 * s.optimizer; // { name: "rmsprop", learningRate: 0.001, rho: 0.9, epsilon: 1e-7 }
 * ```
 */
export function parseScenario(text: string, path: string, source: FileSource): Scenario {
  // Editors hide a byte-order mark; positions are counted without it, as the user sees the file.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const raw = parseJsonText(body, path);
  const result = scenarioSchema((relative) => source.resolve(path, relative)).safeParse(raw);
  if (!result.success) throw issueToInputError(result.error.issues, raw, body, path);
  const { $schema: _editorSchema, ...scenario } = result.data;
  return { ...scenario, path };
}

/** Reads `path` through `source` and parses it (see {@linkcode parseScenario}). */
export async function loadScenario(path: string, source: FileSource): Promise<Scenario> {
  return parseScenario(await source.readText(path), path, source);
}

/** The first issue as an InputError; the count of the others is appended so none goes unmentioned. */
function issueToInputError(issues: z.core.$ZodIssue[], raw: unknown, text: string, file: string): InputError {
  // An unknown key first: a misspelt key ("modle") is also reported as the missing one ("model"),
  // and the misspelling is what the user has to fix.
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  let keyPath = [...issue.path];
  // A shorthand string ("loss": "mse") was expanded to {name}: speak about the string the user wrote.
  if (keyPath.at(-1) === "name" && typeof valueAt(raw, keyPath.slice(0, -1)) === "string") {
    keyPath = keyPath.slice(0, -1);
  }
  let problem: string;
  const value = valueAt(raw, keyPath);
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0];
      const parent = keyPath;
      keyPath = [...keyPath, key];
      const others = issue.keys.length > 1
        ? ` (also ${issue.keys.slice(1).map((k) => `"${k}"`).join(", ")})`
        : "";
      problem = `unknown key "${key}"${keyHint(key, parent)}${others}`;
      break;
    }
    case "invalid_type":
      problem = value === undefined
        ? `missing required key: expected ${article(issue.expected)}`
        : `expected ${article(issue.expected)}, got ${describe(value)}`;
      break;
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const op = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : (issue.inclusive ? "<=" : "<");
      if (issue.origin === "array") {
        const got = (value as unknown[]).length;
        problem = issue.message.startsWith("zero layers")
          ? issue.message
          : got === 0 && bound === 1
          ? "expected a non-empty array, got []"
          : `expected ${op} ${bound} items, got ${got}`;
      } else if (issue.origin === "string") {
        problem = `expected a non-empty string`;
      } else {
        problem = `${describe(value)} is out of range: must be ${op} ${bound}`;
      }
      break;
    }
    case "invalid_value":
      problem = issue.values.length === 1
        ? `${describe(value)} is not allowed: ${
          issue.message.startsWith("Invalid") ? `expected ${describe(issue.values[0])}` : issue.message
        }`
        : `${describe(value)} is not one of ${issue.values.map((v) => String(v)).join(", ")}${
          suggestChoice(value, issue.values.map(String))
        }`;
      break;
    default:
      problem = issue.message;
  }
  if (issues.length > 1) problem += ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})`;
  const field = formatPath(keyPath);
  return new InputError(problem, { file, ...locate(text, keyPath), ...(field ? { field } : {}) });
}

/** The position of the nearest key of `keyPath` (itself, else its closest ancestor) in the text. */
function locate(text: string, keyPath: PropertyKey[]): Partial<TextPosition> {
  const positions = locateJsonPaths(text);
  for (let n = keyPath.length; n >= 0; n--) {
    const at = positions.get(formatPath(keyPath.slice(0, n)));
    if (at) return at;
  }
  return {};
}

function valueAt(raw: unknown, keyPath: PropertyKey[]): unknown {
  let v = raw;
  for (const k of keyPath) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function article(expected: string): string {
  const words: Record<string, string> = { int: "an integer", object: "an object", array: "an array" };
  return words[expected] ?? `a ${expected}`;
}

/**
 * Where each key of the scenario format lives, for an unknown key that is a known one in the wrong
 * object ("epochs" at the top level) or misspelt ("learning_rate"). Keys that live in several places
 * ("name", "target", "features", "classes") are only suggested by spelling.
 */
const KEY_HOMES: Record<string, string> = {
  description: "",
  seed: "",
  task: "",
  data: "",
  validation: "",
  model: "",
  loss: "",
  optimizer: "",
  training: "",
  metrics: "",
  expect: "",
  layers: "model",
  init: "model",
  units: "model.layers[i]",
  activation: "model.layers[i]",
  dropout: "model.layers[i]",
  fromLogits: "loss",
  reduction: "loss",
  delta: "loss",
  learningRate: "optimizer",
  momentum: "optimizer",
  beta1: "optimizer",
  beta2: "optimizer",
  epsilon: "optimizer",
  rho: "optimizer",
  epochs: "training",
  batchSize: "training",
  shuffle: "training",
  sameBatchEveryStep: "training",
  classWeight: "training",
  earlyStopping: "training",
  threshold: "metrics[i]",
  module: "metrics[i]",
  findings: "expect",
  fraction: "validation",
  stratify: "validation",
  csv: "data",
  npy: "data",
  rows: "data",
  generate: "data",
  transforms: "data",
};

/** Keys spelt another way elsewhere: the hint says what to write. */
const KEY_ALIASES: Record<string, string> = {
  validationsplit: '"validation": {"fraction": ...}',
  valsplit: '"validation": {"fraction": ...}',
  lr: '"learningRate" (in "optimizer")',
  nepochs: '"epochs" (in "training")',
  numepochs: '"epochs" (in "training")',
  batch: '"batchSize" (in "training")',
};

const OTHER_KEYS = [
  "name",
  "target",
  "features",
  "kind",
  "samples",
  "classes",
  "noise",
  "op",
  "constant",
  "normal",
  "std",
];

/** ` (did you mean ...?)` / ` (it belongs in "training")` for an unknown key under `parent`. */
function keyHint(key: string, parent: PropertyKey[]): string {
  const squashed = squashName(key);
  const alias = KEY_ALIASES[squashed];
  if (alias) return ` (did you mean ${alias}?)`;
  const known = Object.keys(KEY_HOMES);
  const here = formatPath(parent).replace(/\[\d+\]/g, "[i]");
  // A key of this very object first ("modle" -> "model", not "module" of a metric).
  const match = known.find((k) => k.toLowerCase() === squashed) ??
    closestName(key, known.filter((k) => KEY_HOMES[k] === here)) ??
    closestName(key, [...known, ...OTHER_KEYS]);
  if (match === undefined) return "";
  const home = KEY_HOMES[match];
  if (home !== undefined && home !== here) {
    const where = home === "" ? "at the top level" : `in "${home}"`;
    return match === key ? ` (it belongs ${where})` : ` (did you mean "${match}", ${where}?)`;
  }
  return match === key ? "" : ` (did you mean "${match}"?)`;
}
