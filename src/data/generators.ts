/**
 * Synthetic data sets, seeded: the same spec and Rng give the same rows everywhere. Classification
 * generators follow scikit-learn's `make_blobs`, `make_moons`, `make_circles` and the CS231n spirals;
 * rows come out shuffled (as scikit-learn's do), so that an ordered data set is always a deliberate
 * `sort-by-target`. Parameters and defaults: src/data/specs.ts, documented in docs/data.md.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { Rng } from "../random.ts";
import type { GeneratorSpec } from "../scenario/types.ts";
import type { Dataset } from "./dataset.ts";
import { GENERATORS, param } from "./specs.ts";

/** Generates the data set described by `spec` from `rng` (consumed). */
export function generate(spec: GeneratorSpec, rng: Rng): Dataset {
  const table = GENERATORS[spec.kind];
  const p = <T extends number>(key: string) => param<T>(spec.params, table.params, key) as T;
  const n = spec.samples;
  const d = spec.features;
  switch (spec.kind) {
    case "blobs":
      return classification(
        spec,
        rng,
        (x, labels) => blobs(x, labels, n, d, spec.classes, spec.noise, p("spread"), rng),
      );
    case "moons":
      return classification(spec, rng, (x, labels) => moons(x, labels, n, d, spec.noise, rng));
    case "circles":
      return classification(spec, rng, (x, labels) => circles(x, labels, n, d, spec.noise, p("factor"), rng));
    case "xor":
      return classification(spec, rng, (x, labels) => xor(x, labels, n, d, spec.noise, rng));
    case "spirals":
      return classification(
        spec,
        rng,
        (x, labels) => spirals(x, labels, n, d, spec.classes, spec.noise, p("turns"), rng),
      );
    case "linear":
      return regression(spec, rng, (xi, j) => xi[j], 1, p("scale"), p("offset"));
    case "polynomial":
      return regression(spec, rng, (xi, j, power) => xi[j] ** power, p("degree"), p("scale"), p("offset"));
    case "multilabel":
      return multilabel(spec, rng, p("density"));
    case "shapes":
      return classification(
        spec,
        rng,
        (x, labels) => shapes(x, labels, n, d, spec.classes, spec.noise, p("scale"), rng),
      );
    case "tokens":
      return classification(spec, rng, (x, labels) => tokens(x, labels, n, d, spec.classes, p("vocab"), rng));
  }
}

const featureNames = (d: number) => Array.from({ length: d }, (_, j) => `x${j}`);

/** Fills features and labels, then shuffles the rows. */
function classification(
  spec: GeneratorSpec,
  rng: Rng,
  fill: (x: Float64Array, labels: Float64Array) => void,
): Dataset {
  const n = spec.samples;
  const d = spec.features;
  const x = new Float64Array(n * d);
  const labels = new Float64Array(n);
  fill(x, labels);
  const order = rng.permutation(n);
  const features = new Float64Array(n * d);
  const targets = new Float64Array(n);
  order.forEach((from, to) => {
    features.set(x.subarray(from * d, from * d + d), to * d);
    targets[to] = labels[from];
  });
  return {
    features,
    targets,
    rows: n,
    featureNames: featureNames(d),
    targetNames: ["label"],
    source: `generate:${spec.kind}`,
  };
}

/** Rows per class: n split evenly, the remainder to the first classes (scikit-learn's make_blobs). */
function classSizes(n: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, c) => Math.floor(n / classes) + (c < n % classes ? 1 : 0));
}

/** Gaussian clusters: centres uniform in [-spread, spread]^d, standard deviation `noise`. */
function blobs(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  d: number,
  classes: number,
  noise: number,
  spread: number,
  rng: Rng,
): void {
  const centres = Array.from(
    { length: classes },
    () => Array.from({ length: d }, () => rng.uniform(-spread, spread)),
  );
  let i = 0;
  classSizes(n, classes).forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      labels[i] = c;
      for (let j = 0; j < d; j++) x[i * d + j] = centres[c][j] + noise * rng.normal();
    }
  });
}

/** Features past the first two: pure N(0, 1) noise, irrelevant to the label. */
function fillExtra(x: Float64Array, i: number, d: number, rng: Rng): void {
  for (let j = 2; j < d; j++) x[i * d + j] = rng.normal();
}

/** Two interleaving half circles (make_moons): the outer one is class 0. */
function moons(x: Float64Array, labels: Float64Array, n: number, d: number, noise: number, rng: Rng): void {
  const outer = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const isOuter = i < outer;
    const count = isOuter ? outer : n - outer;
    const k = isOuter ? i : i - outer;
    const t = count > 1 ? (Math.PI * k) / (count - 1) : 0;
    x[i * d] = (isOuter ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal();
    x[i * d + 1] = (isOuter ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal();
    labels[i] = isOuter ? 0 : 1;
    fillExtra(x, i, d, rng);
  }
}

/** Two concentric circles (make_circles): outer radius 1 is class 0, inner radius `factor` class 1. */
function circles(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  d: number,
  noise: number,
  factor: number,
  rng: Rng,
): void {
  const outer = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const isOuter = i < outer;
    const count = isOuter ? outer : n - outer;
    const t = (2 * Math.PI * (isOuter ? i : i - outer)) / count;
    const r = isOuter ? 1 : factor;
    x[i * d] = r * Math.cos(t) + noise * rng.normal();
    x[i * d + 1] = r * Math.sin(t) + noise * rng.normal();
    labels[i] = isOuter ? 0 : 1;
    fillExtra(x, i, d, rng);
  }
}

/** Uniform points in [-1, 1]^2; the label is sign(x0) XOR sign(x1), decided before the noise is added. */
function xor(x: Float64Array, labels: Float64Array, n: number, d: number, noise: number, rng: Rng): void {
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    labels[i] = (a > 0) !== (b > 0) ? 1 : 0;
    x[i * d] = a + noise * rng.normal();
    x[i * d + 1] = b + noise * rng.normal();
    fillExtra(x, i, d, rng);
  }
}

/**
 * Interleaved spiral arms (CS231n): arm c starts at angle 2πc/C; along it the radius goes from 0 to
 * 1 while the angle grows by `turns` full turns; `noise` is the standard deviation of the angle.
 */
function spirals(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  d: number,
  classes: number,
  noise: number,
  turns: number,
  rng: Rng,
): void {
  let i = 0;
  classSizes(n, classes).forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      const r = size > 1 ? k / (size - 1) : 1;
      const angle = (2 * Math.PI * c) / classes + 2 * Math.PI * turns * r + noise * rng.normal();
      x[i * d] = r * Math.sin(angle);
      x[i * d + 1] = r * Math.cos(angle);
      labels[i] = c;
      fillExtra(x, i, d, rng);
    }
  });
}

/**
 * Regression: x ~ N(0, 1) (linear) or U(-1, 1) (polynomial); output k is
 * `scale * (signal + noise * N(0, 1)) + offset`. Linear: signal = x·w with w a random unit vector, so
 * its variance is exactly 1. Polynomial: signal = sum_j sum_p c[k][j][p] * x_j^p / sqrt(d * degree)
 * with c ~ N(0, 1), of order 1 whatever the feature count and degree.
 */
function regression(
  spec: GeneratorSpec,
  rng: Rng,
  term: (xi: Float64Array, j: number, power: number) => number,
  degree: number,
  scale: number,
  offset: number,
): Dataset {
  const n = spec.samples;
  const d = spec.features;
  const k = spec.classes;
  const coef = Array.from({ length: k * d * degree }, () => rng.normal());
  if (spec.kind === "linear") {
    // Unit-norm weights: with x ~ N(0, I), x·w has variance exactly 1, so `scale` is the target's std.
    for (let o = 0; o < k; o++) {
      const w = coef.slice(o * d, o * d + d);
      const len = Math.hypot(...w);
      for (let j = 0; j < d; j++) coef[o * d + j] = w[j] / len;
    }
  }
  const norm = spec.kind === "linear" ? 1 : Math.sqrt(d * degree);
  const features = new Float64Array(n * d);
  const targets = new Float64Array(n * k);
  const polynomial = spec.kind === "polynomial";
  for (let i = 0; i < n; i++) {
    const xi = features.subarray(i * d, i * d + d);
    for (let j = 0; j < d; j++) xi[j] = polynomial ? rng.uniform(-1, 1) : rng.normal();
    for (let o = 0; o < k; o++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        for (let p = 1; p <= degree; p++) s += coef[(o * d + j) * degree + p - 1] * term(xi, j, p);
      }
      targets[i * k + o] = scale * (s / norm + spec.noise * rng.normal()) + offset;
    }
  }
  const targetNames = k === 1 ? ["y"] : Array.from({ length: k }, (_, o) => `y${o}`);
  return {
    features,
    targets,
    rows: n,
    featureNames: featureNames(d),
    targetNames,
    source: `generate:${spec.kind}`,
  };
}

/**
 * Multi-label: x ~ N(0, 1)^d; label l is on when `x·w_l / sqrt(d) + noise * N(0, 1)` is above its
 * (1 - density) quantile, so each label is on in `density` of the rows (ties aside).
 */
function multilabel(spec: GeneratorSpec, rng: Rng, density: number): Dataset {
  const n = spec.samples;
  const d = spec.features;
  const labels = spec.classes;
  const w = Array.from({ length: labels * d }, () => rng.normal());
  const features = new Float64Array(n * d);
  for (let i = 0; i < features.length; i++) features[i] = rng.normal();
  const targets = new Float64Array(n * labels);
  for (let l = 0; l < labels; l++) {
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += features[i * d + j] * w[l * d + j];
      z[i] = s / Math.sqrt(d) + spec.noise * rng.normal();
    }
    const positives = Math.max(1, Math.round(density * n));
    const threshold = Float64Array.from(z).sort()[n - positives];
    for (let i = 0; i < n; i++) targets[i * labels + l] = z[i] >= threshold ? 1 : 0;
  }
  return {
    features,
    targets,
    rows: n,
    featureNames: featureNames(d),
    targetNames: Array.from({ length: labels }, (_, l) => `label${l}`),
    source: "generate:multilabel",
  };
}

/** The patterns of the "shapes" generator, one per class (at most SHAPE_CLASSES). */
export const SHAPE_CLASSES = 6;

/**
 * Small grey images (side × side, side = sqrt(features), one channel, row-major): class 0 a
 * horizontal line, 1 a vertical line, 2 a diagonal, 3 an anti-diagonal, 4 a square outline, 5 a
 * filled square, each at a random place and size (at least half the side), intensities
 * scale·U(0.6, 1) on a background of scale·noise·|N(0, 1)|, clipped to [0, scale].
 */
function shapes(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  d: number,
  classes: number,
  noise: number,
  scale: number,
  rng: Rng,
): void {
  const side = Math.round(Math.sqrt(d));
  if (side * side !== d || classes > SHAPE_CLASSES) {
    throw new InputError(
      `the shapes generator needs a square pixel count and at most ${SHAPE_CLASSES} classes, got ${d} features and ${classes} classes`,
      { field: "data.generate" },
    );
  }
  let i = 0;
  classSizes(n, classes).forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      labels[i] = c;
      const img = x.subarray(i * d, (i + 1) * d);
      for (let j = 0; j < d; j++) img[j] = Math.min(1, noise * Math.abs(rng.normal()));
      const len = Math.ceil(side / 2) + rng.int(side - Math.ceil(side / 2) + 1);
      const r0 = rng.int(side - len + 1), c0 = rng.int(side - len + 1);
      const at = rng.int(side);
      const ink = (r: number, col: number) => (img[r * side + col] = rng.uniform(0.6, 1));
      for (let t = 0; t < len; t++) {
        if (c === 0) ink(at, c0 + t);
        else if (c === 1) ink(r0 + t, at);
        else if (c === 2) ink(r0 + t, c0 + t);
        else if (c === 3) ink(r0 + t, c0 + len - 1 - t);
        else if (c === 4) {
          ink(r0, c0 + t), ink(r0 + len - 1, c0 + t), ink(r0 + t, c0), ink(r0 + t, c0 + len - 1);
        } else for (let u = 0; u < len; u++) ink(r0 + t, c0 + u);
      }
      for (let j = 0; j < d; j++) img[j] *= scale;
    }
  });
}

/**
 * Token sequences (token indices as numbers, `features` steps): tokens 1..classes are keys, the
 * others (classes+1 .. vocab-1) filler, 0 is unused (padding). Each row holds exactly one key, at a
 * random step, among filler; its class is key - 1.
 */
function tokens(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  steps: number,
  classes: number,
  vocab: number,
  rng: Rng,
): void {
  if (vocab < classes + 2) {
    throw new InputError(
      `the tokens generator needs vocab >= classes + 2, got vocab ${vocab} and ${classes} classes`,
      {
        field: "data.generate.vocab",
      },
    );
  }
  let i = 0;
  classSizes(n, classes).forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      labels[i] = c;
      for (let t = 0; t < steps; t++) x[i * steps + t] = classes + 1 + rng.int(vocab - classes - 1);
      x[i * steps + rng.int(steps)] = c + 1;
    }
  });
}
