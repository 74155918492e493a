import { describe, expect, it } from "vitest";
import { loadDataSpec, loadScenarioData } from "../../src/data/load.ts";
import { memoryFileSource } from "../../src/io.ts";
import { loadScenario, parseScenario } from "../../src/scenario/load.ts";
import type { DataSpec } from "../../src/scenario/types.ts";
import { diskFileSource, fixture, inputError } from "./_helpers.ts";

const csvSpec = (target: string[], features?: string[]): DataSpec => ({
  kind: "csv",
  path: "/d.csv",
  target,
  ...(features ? { features } : {}),
  transforms: [],
});
const loadCsvText = (text: string, target: string[], features?: string[]) =>
  loadDataSpec(csvSpec(target, features), memoryFileSource({ "/d.csv": text }));

describe("CSV data sets", () => {
  it("maps string class names to indices in sorted order and says so", async () => {
    const { dataset, notes } = await loadCsvText("a,b,label\n1,2,dog\n3,4,cat\n5,6,\n7,8,dog\n", ["label"]);
    expect(dataset.classNames).toEqual(["cat", "dog"]);
    expect(Array.from(dataset.targets)).toEqual([1, 0, NaN, 1]);
    expect(Array.from(dataset.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(dataset.featureNames).toEqual(["a", "b"]);
    expect(notes).toContain("class names mapped in sorted order: cat→0, dog→1");
  });

  it("takes a list of target columns and an explicit feature list", async () => {
    const { dataset } = await loadCsvText("a,b,c,y0,y1\n1,2,3,1,0\n4,5,6,0,1\n", ["y0", "y1"], ["c", "a"]);
    expect(dataset.featureNames).toEqual(["c", "a"]);
    expect(Array.from(dataset.features)).toEqual([3, 1, 6, 4]);
    expect(Array.from(dataset.targets)).toEqual([1, 0, 0, 1]);
  });

  it("unknown target column lists the available ones", async () => {
    const e = await inputError(() => loadCsvText("a,b,label\n1,2,3\n", ["lable"]));
    expect(e.location).toEqual({ file: "/d.csv", field: "lable" });
    expect(e.message).toContain(
      'no target column "lable" (did you mean "label"?): the columns are "a", "b", "label"',
    );
  });

  it("unknown feature column", async () => {
    const e = await inputError(() => loadCsvText("a,b,label\n1,2,3\n", ["label"], ["a", "c"]));
    expect(e.location.field).toBe("c");
    expect(e.message).toContain('no feature column "c"');
  });

  it("text in a feature column names the first offending row, line, field and value", async () => {
    const e = await inputError(() => loadCsvText("a,b,label\n1,2,0\n3,NA,1\n4,abc,0\n5,x,1\n", ["label"]));
    expect(e.location).toEqual({ file: "/d.csv", line: 4, row: 3, field: "b" });
    expect(e.message).toContain('expected a number in feature column "b", got "abc"');
  });

  it("text in one of several target columns is an error", async () => {
    const e = await inputError(() => loadCsvText("a,y0,y1\n1,0,yes\n", ["y0", "y1"]));
    expect(e.location).toMatchObject({ file: "/d.csv", row: 1, field: "y1" });
  });
});

describe("NPY and inline data sets", () => {
  it("reads features and target; 1-D targets become one column", async () => {
    const spec: DataSpec = {
      kind: "npy",
      features: fixture("data/reg_x.npy"),
      target: fixture("data/reg_y.npy"),
      transforms: [],
    };
    const { dataset } = await loadDataSpec(spec, diskFileSource());
    expect(dataset.rows).toBe(40);
    expect(dataset.featureNames).toEqual(["x0", "x1", "x2"]);
    expect(dataset.targetNames).toEqual(["y"]);
  });

  it("row counts that disagree name both files", async () => {
    const spec: DataSpec = {
      kind: "npy",
      features: fixture("data/reg_x.npy"),
      target: fixture("data/reg_y_short.npy"),
      transforms: [],
    };
    const e = await inputError(() => loadDataSpec(spec, diskFileSource()));
    expect(e.location.file).toBe(fixture("data/reg_y_short.npy"));
    expect(e.message).toContain("shape (39,) has 39 rows");
    expect(e.message).toContain(`the features in ${fixture("data/reg_x.npy")} have 40 (shape (40, 3))`);
  });

  it("inline rows: the target is a column index", async () => {
    const { dataset } = await loadDataSpec({
      kind: "rows",
      rows: [[0.1, 1, 0.2], [0.3, 0, 0.4]],
      target: [1],
      transforms: [],
    }, memoryFileSource({}));
    expect(dataset.featureNames).toEqual(["c0", "c2"]);
    expect(Array.from(dataset.features)).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(Array.from(dataset.targets)).toEqual([1, 0]);
  });
});

describe("loadScenarioData on the example scenarios", () => {
  it("species-csv: class names, stratified split, one-hot targets", async () => {
    const s = await loadScenario(fixture("scenarios/species-csv.json"), diskFileSource());
    const d = await loadScenarioData(s, diskFileSource());
    expect(d.train.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(d.train.rows + d.validation!.rows).toBe(36);
    expect(d.validation!.rows).toBe(9); // 36 - floor(36 * 0.75)
    expect(d.task).toMatchObject({ task: "multiclass", inferred: true });
    expect(d.targets.train).toMatchObject({ encoding: "one-hot", width: 3 });
    expect(d.notes).toContain("class names mapped in sorted order: setosa→0, versicolor→1, virginica→2");
    // A missing cell is data (NaN), not an error.
    expect(
      Array.from(d.train.features).filter(Number.isNaN).length +
        Array.from(d.validation!.features).filter(Number.isNaN).length,
    )
      .toBe(2);
  });

  it("regression-npy: unshuffled split keeps the last rows for validation", async () => {
    const s = await loadScenario(fixture("scenarios/regression-npy.json"), diskFileSource());
    const d = await loadScenarioData(s, diskFileSource());
    expect(d.task.task).toBe("regression");
    expect(d.validationSource).toMatchObject({ kind: "split" });
    if (d.validationSource.kind !== "split") throw new Error("unreachable");
    expect(Array.from(d.validationSource.validationRows)).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it("sorted-moons: sort-by-target then an unshuffled split gives a one-class validation set", async () => {
    const s = await loadScenario(fixture("scenarios/sorted-moons.json"), diskFileSource());
    const d = await loadScenarioData(s, diskFileSource());
    expect(new Set(d.validation!.targets)).toEqual(new Set([1]));
    expect(d.notes.some((n) => n.startsWith("label-noise: 20 of 200"))).toBe(true);
    const again = await loadScenarioData(s, diskFileSource());
    expect(again.train.features).toEqual(d.train.features);
  });

  it("duplicate-into-validation copies training rows; without validation it is an input error", async () => {
    const json = (validation: unknown) =>
      JSON.stringify({
        name: "dup",
        data: {
          generate: { kind: "blobs", samples: 100 },
          transforms: [{ op: "duplicate-into-validation", fraction: 0.5 }],
        },
        validation,
        model: { layers: [{ units: 3, activation: "softmax" }] },
        loss: "sparse-categorical-crossentropy",
      });
    const src = memoryFileSource({});
    const d = await loadScenarioData(parseScenario(json({ fraction: 0.2 }), "/s.json", src), src);
    expect(d.duplicated.length).toBe(10);
    for (const [v, t] of d.duplicated) {
      expect(d.validation!.features.subarray(v * 2, v * 2 + 2)).toEqual(
        d.train.features.subarray(t * 2, t * 2 + 2),
      );
    }
    const e = await inputError(() => loadScenarioData(parseScenario(json(null), "/s.json", src), src));
    expect(e.location).toEqual({ file: "/s.json", field: "data.transforms" });
  });

  it("a target width the model cannot output is an input error at the last layer", async () => {
    const src = memoryFileSource({});
    const s = parseScenario(
      JSON.stringify({
        name: "w",
        data: { generate: { kind: "multilabel", classes: 4 } },
        model: { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "sigmoid" }] },
        loss: "binary-crossentropy",
      }),
      "/s.json",
      src,
    );
    const e = await inputError(() => loadScenarioData(s, src));
    expect(e.location).toEqual({ file: "/s.json", field: "model.layers[1].units" });
    expect(e.message).toContain(
      "the targets have 4 columns (label0, label1, label2, label3) but the model outputs 3 units",
    );
  });

  it("a validation CSV gets the training set's class indices", async () => {
    const src = memoryFileSource({
      "/x/t.csv": "a,y\n1,dog\n2,cat\n3,dog\n",
      "/x/v.csv": "a,y\n1,dog\n2,dog\n3,emu\n",
    });
    const s = parseScenario(
      JSON.stringify({
        name: "v",
        data: { csv: "t.csv", target: "y" },
        validation: { csv: "v.csv", target: "y" },
        model: { layers: [{ units: 3, activation: "softmax" }] },
        loss: "sparse-categorical-crossentropy",
      }),
      "/x/s.json",
      src,
    );
    const d = await loadScenarioData(s, src);
    expect(d.train.classNames).toEqual(["cat", "dog", "emu"]);
    expect(Array.from(d.validation!.targets)).toEqual([1, 1, 2]);
    expect(d.notes).toContain("validation has class names the training data lacks: emu");
  });
});
