/**
 * Typed access to deno-std's ANSI colours (the npm build ships JS without declarations), behind a
 * palette that is the identity when colour is off. Internal to src/report/.
 *
 * @module
 */
import * as colorsJs from "deno-std/fmt/colors.js";

type Paint = (text: string) => string;

interface StdColors {
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
  cyan: Paint;
  gray: Paint;
  stripAnsiCode: Paint;
}

const std = colorsJs as unknown as StdColors;

/** The colours a renderer uses; every one is the identity when colour is off. */
export interface Palette {
  bold: Paint;
  dim: Paint;
  error: Paint;
  warning: Paint;
  info: Paint;
  ok: Paint;
}

/** A palette that paints when `color` is true and returns text unchanged otherwise. */
export function palette(color: boolean): Palette {
  const plain: Paint = (s) => s;
  if (!color) return { bold: plain, dim: plain, error: plain, warning: plain, info: plain, ok: plain };
  return {
    bold: std.bold,
    dim: std.gray,
    error: (s) => std.bold(std.red(s)),
    warning: std.yellow,
    info: std.cyan,
    ok: std.green,
  };
}

/** Removes ANSI escapes (to measure or test rendered text). */
export function stripAnsi(text: string): string {
  return std.stripAnsiCode(text);
}
