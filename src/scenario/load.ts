/**
 * Reading a scenario file: JSON syntax, then the schema, then one InputError naming the file, the
 * line and column, the key path and the offending value.
 *
 * @module
 */
import type { z } from "zod";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { formatPath, locateJsonPaths, syntaxErrorPosition, type TextPosition } from "./_json_locate.ts";
import { describe, scenarioSchema } from "./schema.ts";
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
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = syntaxErrorPosition(text, message);
    const short = message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "");
    throw new InputError(`JSON syntax error: ${short}`, {
      file: path,
      ...at,
    });
  }
  const result = scenarioSchema((relative) => source.resolve(path, relative)).safeParse(raw);
  if (!result.success) throw issueToInputError(result.error.issues, raw, text, path);
  return { ...result.data, path };
}

/** Reads `path` through `source` and parses it (see {@linkcode parseScenario}). */
export async function loadScenario(path: string, source: FileSource): Promise<Scenario> {
  return parseScenario(await source.readText(path), path, source);
}

/** The first issue as an InputError; the count of the others is appended so none goes unmentioned. */
function issueToInputError(issues: z.core.$ZodIssue[], raw: unknown, text: string, file: string): InputError {
  const issue = issues[0];
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
      keyPath = [...keyPath, key];
      const others = issue.keys.length > 1
        ? ` (also ${issue.keys.slice(1).map((k) => `"${k}"`).join(", ")})`
        : "";
      problem = `unknown key "${key}"${suggest(key)}${others}`;
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
        problem = issue.message.startsWith("zero layers")
          ? issue.message
          : `expected ${op} ${bound} items, got ${(value as unknown[]).length}`;
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
        : `${describe(value)} is not one of ${issue.values.map((v) => String(v)).join(", ")}`;
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

/** Every key the scenario format knows, for "did you mean" on an unknown key. */
const KNOWN_KEYS = [
  "name",
  "description",
  "seed",
  "task",
  "data",
  "validation",
  "model",
  "loss",
  "optimizer",
  "training",
  "metrics",
  "expect",
  "layers",
  "init",
  "units",
  "activation",
  "dropout",
  "fromLogits",
  "reduction",
  "delta",
  "learningRate",
  "momentum",
  "beta1",
  "beta2",
  "epsilon",
  "rho",
  "epochs",
  "batchSize",
  "shuffle",
  "sameBatchEveryStep",
  "threshold",
  "module",
  "findings",
  "fraction",
  "stratify",
  "csv",
  "npy",
  "rows",
  "generate",
  "target",
  "features",
  "transforms",
  "kind",
  "samples",
  "classes",
  "noise",
  "op",
  "constant",
  "normal",
  "std",
];

/** ` (did you mean "learningRate"?)` for learning_rate, LearningRate, learningrate, lerningRate. */
function suggest(key: string): string {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const best = KNOWN_KEYS.find((k) => squash(k) === squash(key)) ??
    KNOWN_KEYS.find((k) =>
      editDistance(k.toLowerCase(), key.toLowerCase()) <= Math.min(2, Math.floor(k.length / 4))
    );
  return best && best !== key ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
