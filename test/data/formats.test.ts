// The .npz and Parquet readers on files numpy (np.savez, np.savez_compressed) and arrow-rs
// (parquet-wasm) wrote: scripts/make_npz_fixtures.py and scripts/make_parquet_fixtures.mjs.
import { describe, expect, test } from "vitest";
import { loadDataSpec } from "../../src/data/load.ts";
import { parseNpz, readNpz } from "../../src/data/npz.ts";
import { parseParquet, readParquet } from "../../src/data/parquet.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { diskFileSource, fixture, inputError } from "./_helpers.ts";

const source = diskFileSource();
const blobs = (i: number) => [Math.sin(i) * 2 + (i % 2) * 3, Math.cos(i * 0.7) - (i % 2) * 2];

describe(".npz", () => {
  test("np.savez (stored) and np.savez_compressed (deflated) read the arrays numpy wrote", async () => {
    for (
      const [file, rtol] of [["formats/blobs.npz", 1e-15], [
        "formats/blobs_compressed.npz",
        2 ** -24,
      ]] as const
    ) {
      const npz = await readNpz(fixture(file), source);
      expect(npz.names).toEqual(["x", "y"]);
      const x = npz.array("x"), y = npz.array("y");
      expect([x.shape, x.dtype, y.shape, y.dtype]).toEqual([[40, 2], rtol < 1e-10 ? "f8" : "f4", [40], "i8"]);
      for (let i = 0; i < 40; i++) {
        // numpy's sin/cos (glibc) and V8's may differ in the last ulp; float32 storage rounds to 2^-24.
        blobs(i).forEach((v, j) =>
          expect(Math.abs(x.data[i * 2 + j] - v)).toBeLessThanOrEqual(rtol * 4 + 1e-15)
        );
        expect(y.data[i]).toBe(i % 2);
      }
    }
  });

  test("a DataSpec names the arrays; the target keeps its name", async () => {
    const { dataset } = await loadDataSpec(
      {
        kind: "npz",
        path: fixture("formats/mixed.npz"),
        features: "embeddings",
        target: "label",
        transforms: [],
      },
      source,
    );
    expect([dataset.rows, dataset.featureNames, dataset.targetNames]).toEqual([40, ["x0", "x1", "x2"], [
      "label",
    ]]);
    expect(dataset.features.every((v) => v === 1)).toBe(true);
  });

  test("a missing array lists the arrays; corrupt bytes name the file", async () => {
    const npz = await readNpz(fixture("formats/mixed.npz"), source);
    const e = await inputError(() => npz.array("labels"));
    expect(e.message).toBe(
      `${fixture("formats/mixed.npz")}: no array "labels" (did you mean "label"?): ` +
        `the arrays are "features", "embeddings", "label"`,
    );
    const bad = await inputError(() => parseNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "d.npz"));
    expect(bad.message).toMatch(/^d\.npz: not a readable \.npz \(zip\) archive: .*truncated or corrupt\?$/);
  });
});

describe("Parquet", () => {
  test("every column type: floats, ints, int64, bools, nullable columns and strings", async () => {
    const t = await readParquet(fixture("formats/mixed.parquet"), source);
    expect(t.header).toEqual(["a", "b", "count", "big", "flag", "maybe", "species", "label"]);
    expect(t.rowCount).toBe(12);
    const col = (name: string) => t.columns.find((c) => c.name === name)!;
    expect(Array.from(col("a").values)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i === 4 ? NaN : i * 0.5)),
    );
    expect(col("a").missing).toBe(1);
    expect(Array.from(col("b").values)).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.25 - 1));
    expect(Array.from(col("count").values)).toEqual(Array.from({ length: 12 }, (_, i) => i * 3));
    expect(Array.from(col("big").values)).toEqual(Array.from({ length: 12 }, (_, i) => i * 1000));
    expect(Array.from(col("flag").values)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    );
    expect(Array.from(col("maybe").values)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i % 5 === 0 ? NaN : i)),
    );
    expect([col("maybe").missing, col("maybe").numeric, col("species").numeric]).toEqual([3, true, false]);
    expect(col("species").firstText).toEqual({ row: 1, value: "setosa" });
  });

  test("reads the same rows as the .npz numpy wrote from the same formula", async () => {
    const [pq, npz] = await Promise.all([
      loadDataSpec(
        { kind: "parquet", path: fixture("formats/blobs.parquet"), target: ["y"], transforms: [] },
        source,
      ),
      loadDataSpec({
        kind: "npz",
        path: fixture("formats/blobs.npz"),
        features: "x",
        target: "y",
        transforms: [],
      }, source),
    ]);
    expect(pq.dataset.featureNames).toEqual(["x0", "x1"]);
    expect(Array.from(pq.dataset.targets)).toEqual(Array.from(npz.dataset.targets));
    pq.dataset.features.forEach((v, i) =>
      expect(Math.abs(v - npz.dataset.features[i])).toBeLessThanOrEqual(1e-15)
    );
  });

  test("a string target maps class names as a CSV does; a null feature is NaN", async () => {
    const { dataset } = await loadDataSpec({
      kind: "parquet",
      path: fixture("formats/mixed.parquet"),
      target: ["species"],
      features: ["a", "maybe"],
      transforms: [],
    }, source);
    expect(dataset.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(Array.from(dataset.targets).slice(0, 4)).toEqual([0, 1, 2, 0]);
    expect(Number.isNaN(dataset.features[4 * 2])).toBe(true);
  });

  test("a text feature names the column and the data row; a cut file names the file", async () => {
    const e = await inputError(() =>
      loadDataSpec({
        kind: "parquet",
        path: fixture("formats/mixed.parquet"),
        target: ["label"],
        transforms: [],
      }, source)
    );
    expect(e.location).toEqual({
      file: fixture("formats/mixed.parquet"),
      row: 1,
      field: "species",
      line: undefined,
    });
    expect(e.problem).toContain('got "setosa"');
    const cut = await inputError(() =>
      parseParquet(new TextEncoder().encode("PAR1 not really"), "t.parquet")
    );
    expect(cut.message).toMatch(/^t\.parquet: not a readable Parquet file: .*truncated or corrupt\?$/);
  });
});

describe("scenario DataSpecs", () => {
  test('{"npz": ...} and {"parquet": ...} resolve their files against the scenario', () => {
    const base = {
      name: "s",
      model: { layers: [{ units: 1, activation: "sigmoid" }] },
      loss: "binary-crossentropy",
    };
    const npz = parseScenario(
      JSON.stringify({ ...base, data: { npz: { file: "d.npz", features: "x", target: "y" } } }),
      "/data/s.json",
      source,
    );
    expect(npz.data).toMatchObject({ kind: "npz", path: "/data/d.npz", features: "x", target: "y" });
    const pq = parseScenario(
      JSON.stringify({ ...base, data: { parquet: "t.parquet", target: "label", features: ["a"] } }),
      "/data/s.json",
      source,
    );
    expect(pq.data).toMatchObject({
      kind: "parquet",
      path: "/data/t.parquet",
      target: ["label"],
      features: ["a"],
    });
  });
});
