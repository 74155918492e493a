/**
 * Writes the CSV and .npy files that gallery scenarios read, for the cases the generators and
 * transforms of CONTRACT §2 cannot express: features that carry no signal at all (the articles'
 * `np.random.rand` examples), one-hot target columns, labels counted from 1, string class names,
 * a rare class that overlaps a common one, and a NumPy-backed dataset.
 *
 * Deterministic: every file derives from a fixed seed through named `Rng` streams, so re-running it
 * rewrites byte-identical files (the gallery test checks the committed files against a fresh run).
 *
 * Run from the repository root:
 *
 * ```sh
 * npx deno run -A examples/scenarios/data/make_data.ts
 * ```
 *
 * @module
 */
import { Rng } from "../../../src/random.ts";

/** One dataset: a file name (relative to this folder) and its bytes. */
export interface DataFile {
  name: string;
  bytes: Uint8Array;
}

const SEED = 2025;

/** Formats a float the same way on every run and platform: 6 significant digits, no exponent noise. */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function csv(header: string[], rows: (number | string)[][]): Uint8Array {
  const lines = [header.join(",")];
  for (const r of rows) lines.push(r.map((v) => (typeof v === "number" ? num(v) : v)).join(","));
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

/** `n` names "x0".."x{n-1}". */
function featureNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `x${i}`);
}

/** A point drawn from N(center, std^2 I). */
function gaussian(rng: Rng, center: number[], std: number): number[] {
  return center.map((c) => c + std * rng.normal());
}

/**
 * Article 001, examples 1 and 3: `X = np.random.rand(1000, 10)` and labels concatenated in order
 * (`np.concatenate([np.zeros(990), np.ones(10)])`). The features are uniform noise, independent of
 * the label: nothing can be learned, so the model falls back on the class prior.
 */
function noiseWithOrderedLabels(name: string, counts: number[]): DataFile {
  const rng = Rng.fromSeed(SEED).stream(name);
  const rows: number[][] = [];
  counts.forEach((count, label) => {
    for (let i = 0; i < count; i++) rows.push([...Array.from({ length: 10 }, () => rng.next()), label]);
  });
  return { name, bytes: csv([...featureNames(10), "label"], rows) };
}

/** Three Gaussian classes in 4 dimensions, centres at distance ~4 (separable, not trivially). */
function threeClassRows(rng: Rng, perClass: number): { x: number[]; label: number }[] {
  const centers = [[-2, 0, 1, 0], [2, 1, -1, 0], [0, -2, 0, 2]];
  const out: { x: number[]; label: number }[] = [];
  for (let i = 0; i < perClass * centers.length; i++) {
    const label = i % centers.length;
    out.push({ x: gaussian(rng, centers[label], 1), label });
  }
  return out;
}

/** Article 000, example 1 (and the binary-accuracy case): Keras targets one-hot encoded in three columns. */
function oneHotThreeClass(): DataFile {
  const name = "three_class_onehot.csv";
  const rows = threeClassRows(Rng.fromSeed(SEED).stream(name), 150).map(({ x, label }) => [
    ...x,
    ...[0, 1, 2].map((c) => (c === label ? 1 : 0)),
  ]);
  return { name, bytes: csv([...featureNames(4), "c0", "c1", "c2"], rows) };
}

/** Labels counted from 1 (1, 2, 3), as R, SQL exports and many label files do. */
function oneBasedLabels(): DataFile {
  const name = "labels_one_based.csv";
  const rows = threeClassRows(Rng.fromSeed(SEED).stream(name), 150).map(({ x, label }) => [...x, label + 1]);
  return { name, bytes: csv([...featureNames(4), "label"], rows) };
}

/** Uniform features with labels drawn independently of them: no signal to learn. */
function randomLabels(): DataFile {
  const name = "random_labels.csv";
  const rng = Rng.fromSeed(SEED).stream(name);
  const rows: number[][] = [];
  for (let i = 0; i < 600; i++) {
    rows.push([...Array.from({ length: 5 }, () => rng.uniform(-1, 1)), rng.int(3)]);
  }
  return { name, bytes: csv([...featureNames(5), "label"], rows) };
}

/**
 * Article 003, example 1 as a training run: 90% class 0, 10% class 1, the rare class shifted by
 * only 0.5 standard deviations. The loss-minimising prediction is "always 0" (90% accuracy).
 */
function rareOverlappingBinary(): DataFile {
  const name = "rare_overlapping_binary.csv";
  const rng = Rng.fromSeed(SEED).stream(name);
  const rows: number[][] = [];
  for (let i = 0; i < 600; i++) {
    const label = i % 10 === 9 ? 1 : 0;
    rows.push([...gaussian(rng, label === 1 ? [0.5, 0] : [0, 0], 1), label]);
  }
  return { name, bytes: csv(["x0", "x1", "label"], rows) };
}

/**
 * Article 003, example 3 as a training run: classes 0 and 1 (45% each) are far apart; class 2 (10%)
 * sits 0.4 standard deviations from class 0's centre, so it is almost never predicted while overall
 * accuracy stays near 0.9.
 */
function hiddenClassFailure(): DataFile {
  const name = "hidden_class_failure.csv";
  const rng = Rng.fromSeed(SEED).stream(name);
  const centers = [[-3, 0], [3, 0], [-2.6, 0]];
  const rows: number[][] = [];
  for (let i = 0; i < 600; i++) {
    const r = i % 20;
    const label = r < 9 ? 0 : r < 18 ? 1 : 2;
    rows.push([...gaussian(rng, centers[label], 1), label]);
  }
  return { name, bytes: csv(["x0", "x1", "label"], rows) };
}

/** Iris-like measurements with the species as text: the loader maps names to indices in sorted order. */
function speciesNames(): DataFile {
  const name = "species.csv";
  const rng = Rng.fromSeed(SEED).stream(name);
  // Per-species means and standard deviations of the four Iris measurements (Fisher, 1936).
  const species = [
    { name: "setosa", mean: [5.01, 3.43, 1.46, 0.25], std: [0.35, 0.38, 0.17, 0.11] },
    { name: "versicolor", mean: [5.94, 2.77, 4.26, 1.33], std: [0.52, 0.31, 0.47, 0.2] },
    { name: "virginica", mean: [6.59, 2.97, 5.55, 2.03], std: [0.64, 0.32, 0.55, 0.27] },
  ];
  const rows: (number | string)[][] = [];
  for (let i = 0; i < 450; i++) {
    const s = species[i % 3];
    rows.push([...s.mean.map((m, j) => Math.max(0.1, m + s.std[j] * rng.normal())), s.name]);
  }
  return {
    name,
    bytes: csv(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"], rows),
  };
}

/** A little-endian, C-order .npy v1.0 file. */
function npy(descr: "<f4" | "<i8", shape: number[], values: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The magic (6) + version (2) + header length (2) + header must be a multiple of 64, ending in "\n".
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const itemSize = descr === "<f4" ? 4 : 8;
  const out = new Uint8Array(10 + header.length + values.length * itemSize);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const base = 10 + header.length;
  values.forEach((v, i) => {
    if (descr === "<f4") view.setFloat32(base + 4 * i, v, true);
    else view.setBigInt64(base + 8 * i, BigInt(v), true);
  });
  return out;
}

/** Two interleaved half-moons (noise 0.1) as float32 features and int64 labels, as NumPy users save them. */
function moonsNpy(): DataFile[] {
  const rng = Rng.fromSeed(SEED).stream("moons.npy");
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 600; i++) {
    const label = i % 2;
    const t = Math.PI * rng.next();
    const px = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    x.push(px + 0.1 * rng.normal(), py + 0.1 * rng.normal());
    y.push(label);
  }
  return [
    { name: "moons_features.npy", bytes: npy("<f4", [600, 2], x) },
    { name: "moons_labels.npy", bytes: npy("<i8", [600], y) },
  ];
}

/** Every data file of the gallery, in a fixed order. */
export function makeDataFiles(): DataFile[] {
  return [
    noiseWithOrderedLabels("noise_990_10.csv", [990, 10]),
    noiseWithOrderedLabels("noise_800_200.csv", [800, 200]),
    oneHotThreeClass(),
    oneBasedLabels(),
    randomLabels(),
    rareOverlappingBinary(),
    hiddenClassFailure(),
    speciesNames(),
    ...moonsNpy(),
  ];
}

if (import.meta.main) {
  const dir = new URL(".", import.meta.url);
  for (const f of makeDataFiles()) {
    await Deno.writeFile(new URL(f.name, dir), f.bytes);
    console.error(`wrote ${f.name} (${f.bytes.length} bytes)`);
  }
}
