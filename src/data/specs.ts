/**
 * The parameter tables of every generator and transform: names, types, ranges and defaults. The
 * scenario schema builds its validators from them (so a typo fails at load time, naming the key path), the
 * generators and transforms read their defaults from them, and docs/data.md documents them.
 *
 * @module
 */
import type { GeneratorSpec } from "../scenario/types.ts";

/** How one parameter is checked. "column" is a feature index (integer >= 0) or a feature name. */
export interface ParamSpec {
  type: "number" | "integer" | "boolean" | "column";
  /** Inclusive lower bound, unless `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  /** Inclusive upper bound, unless `maxExclusive`. */
  max?: number;
  maxExclusive?: boolean;
  /** Absent: the parameter is optional with no default (the op decides, see its docs). */
  default?: number | boolean;
}

export type GeneratorKind = GeneratorSpec["kind"];

/** Defaults of the four common generator fields, and the extra parameters each generator takes. */
export interface GeneratorTable {
  samples: number;
  features: number;
  /** Classes (classification), label columns (multilabel) or output columns (regression). */
  classes: number;
  noise: number;
  /** When set, `features` below it or `classes` other than it are errors (moons, circles, xor have 2 classes). */
  minFeatures: number;
  fixedClasses?: number;
  params: Record<string, ParamSpec>;
}

export const GENERATORS: Record<GeneratorKind, GeneratorTable> = {
  blobs: {
    samples: 600,
    features: 2,
    classes: 3,
    noise: 1,
    minFeatures: 1,
    params: { spread: { type: "number", min: 0, minExclusive: true, default: 10 } },
  },
  moons: { samples: 600, features: 2, classes: 2, noise: 0.1, minFeatures: 2, fixedClasses: 2, params: {} },
  circles: {
    samples: 600,
    features: 2,
    classes: 2,
    noise: 0.05,
    minFeatures: 2,
    fixedClasses: 2,
    params: {
      factor: { type: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true, default: 0.5 },
    },
  },
  xor: { samples: 600, features: 2, classes: 2, noise: 0.1, minFeatures: 2, fixedClasses: 2, params: {} },
  spirals: {
    samples: 600,
    features: 2,
    classes: 3,
    noise: 0.2,
    minFeatures: 2,
    params: { turns: { type: "number", min: 0, minExclusive: true, default: 1 } },
  },
  linear: {
    samples: 500,
    features: 5,
    classes: 1,
    noise: 0.1,
    minFeatures: 1,
    params: {
      scale: { type: "number", min: 0, minExclusive: true, default: 1 },
      offset: { type: "number", default: 0 },
    },
  },
  polynomial: {
    samples: 500,
    features: 1,
    classes: 1,
    noise: 0.1,
    minFeatures: 1,
    params: {
      degree: { type: "integer", min: 1, max: 10, default: 3 },
      scale: { type: "number", min: 0, minExclusive: true, default: 1 },
      offset: { type: "number", default: 0 },
    },
  },
  // Images (read them with model.input.shape [side, side, 1]): `features` is side², one line
  // pattern per class, see src/data/generators.ts.
  shapes: {
    samples: 600,
    features: 64,
    classes: 4,
    noise: 0.1,
    minFeatures: 16,
    params: {
      // The largest pixel value (255 for raw 8-bit pixels).
      scale: { type: "number", min: 0, minExclusive: true, default: 1 },
    },
  },
  // Token sequences of `features` steps over `vocab` tokens: the class is the one key token present.
  tokens: {
    samples: 600,
    features: 12,
    classes: 3,
    noise: 0,
    minFeatures: 2,
    params: { vocab: { type: "integer", min: 3, default: 20 } },
  },
  multilabel: {
    samples: 600,
    features: 10,
    classes: 4,
    noise: 0.1,
    minFeatures: 1,
    params: {
      density: { type: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true, default: 0.3 },
    },
  },
};

export const TRANSFORM_OPS = [
  "standardize-features",
  "standardize-target",
  "label-noise",
  "leak-feature",
  "scale-feature",
  "scale-features",
  "nan",
  "imbalance",
  "sort-by-target",
  "duplicate-into-validation",
  "channels-last",
] as const;
export type TransformOp = typeof TRANSFORM_OPS[number];

const fraction: ParamSpec = { type: "number", min: 0, max: 1, maxExclusive: false };

export const TRANSFORMS: Record<TransformOp, Record<string, ParamSpec>> = {
  "standardize-features": {},
  "standardize-target": {},
  "label-noise": { fraction: { ...fraction, default: 0.2 } },
  "leak-feature": { noise: { type: "number", min: 0, default: 0.01 } },
  "scale-feature": { column: { type: "column", default: 0 }, factor: { type: "number", default: 1000 } },
  // Every feature times `factor`: pixels 0..255 to 0..1 with the default 1/255 (as Keras users do).
  "scale-features": { factor: { type: "number", default: 1 / 255 } },
  nan: { fraction: { ...fraction, default: 0.05 }, column: { type: "column" } },
  imbalance: {
    class: { type: "integer", min: 0 },
    keep: { ...fraction, minExclusive: true },
    ratio: { ...fraction, minExclusive: true },
  },
  "sort-by-target": { descending: { type: "boolean", default: false } },
  "duplicate-into-validation": { fraction: { ...fraction, minExclusive: true, default: 0.2 } },
  // Rows stored channels first ([C, H, W], as PyTorch) reordered to channels last ([H, W, C], as Keras).
  "channels-last": { channels: { type: "integer", min: 1, default: 1 } },
};

/** The value of `params[key]`, else the table default (undefined when it has none). */
export function param<T extends number | boolean | string>(
  params: Record<string, unknown>,
  table: Record<string, ParamSpec>,
  key: string,
): T | undefined {
  return (params[key] ?? table[key]?.default) as T | undefined;
}
