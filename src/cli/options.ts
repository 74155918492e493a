/**
 * Typed parsers for command-line values. Each throws an InputError naming the option and the value,
 * which the CLI reports as one line with exit code 2.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { Task } from "../scenario/types.ts";

const ARGV = "<argv>";

/** A parser for a positive integer option (`--epochs 20`). */
export function positiveInteger(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InputError(`expected a positive integer, got ${JSON.stringify(value)}`, {
        file: ARGV,
        field: option,
      });
    }
    return n;
  };
}

/** A parser for a positive number of seconds (`--metric-timeout 2.5`), returned in milliseconds. */
export function positiveSeconds(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw new InputError(`expected a positive number of seconds, got ${JSON.stringify(value)}`, {
        file: ARGV,
        field: option,
      });
    }
    return n * 1000;
  };
}

/**
 * `--budget SECONDS` (a positive number) or `--budget none` (the full run). "none" stays a string:
 * commander turns a parser's null into "".
 */
export function budgetValue(option: string): (value: string) => number | "none" {
  return (value) => {
    if (value.trim() === "none") return "none";
    const n = Number(value);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(n > 0) || !Number.isFinite(n)) {
      throw new InputError(`expected a number of seconds or "none", got ${JSON.stringify(value)}`, {
        file: ARGV,
        field: option,
      });
    }
    return n;
  };
}

/** A parser that accepts one of `choices` exactly. */
export function oneOf<T extends string>(option: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InputError(`expected one of ${choices.join(", ")}, got ${JSON.stringify(value)}`, {
      file: ARGV,
      field: option,
    });
  };
}

export const TASKS: readonly Task[] = ["binary", "multiclass", "multilabel", "regression"];

/** `--target a,b` (repeatable: `--target a --target b` appends). Empty names are an error. */
export function columnList(option: string): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    const names = value.split(",").map((s) => s.trim());
    if (names.some((n) => n === "")) {
      throw new InputError(`expected column names separated by commas, got ${JSON.stringify(value)}`, {
        file: ARGV,
        field: option,
      });
    }
    return [...(previous ?? []), ...names];
  };
}

/** A non-empty path argument. */
export function pathValue(option: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") {
      throw new InputError("expected a file path, got an empty string", { file: ARGV, field: option });
    }
    return value;
  };
}

/** A parser for a positive number option (`--learning-rate 0.001`). */
export function positiveNumber(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw new InputError(`expected a positive number, got ${JSON.stringify(value)}`, {
        file: ARGV,
        field: option,
      });
    }
    return n;
  };
}
