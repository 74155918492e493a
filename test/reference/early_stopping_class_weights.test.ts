/**
 * Keras semantics of the two training additions (CONTRACT §7.3), on hand-computed cases:
 * `EarlyStopping` (mode from the monitor's name, `min_delta`, `patience` counted as Keras counts it,
 * never stopping after the first epoch) and `class_weight` (scikit-learn's "balanced", classes read
 * from one-hot rows by argmax and from one column by rounding), plus the scenario keys' defaults.
 */
import { describe, expect, test } from "vitest";
import { classWeights, rowWeights, targetClasses, weightRows } from "../../src/reference/class_weights.ts";
import { EarlyStopping, monitorDirection, monitorTarget } from "../../src/reference/early_stopping.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { memoryFileSource } from "../../src/io.ts";
import { parseScenario } from "../../src/scenario/load.ts";

const spec = (o: Partial<ConstructorParameters<typeof EarlyStopping>[0]> = {}) => ({
  monitor: "val_loss",
  patience: 0,
  minDelta: 0,
  restoreBestWeights: false,
  mode: "auto" as const,
  ...o,
});

/** The 1-based epoch a callback stops after on `values`, or null. */
function stopEpoch(s: ReturnType<typeof spec>, values: number[]): number | null {
  const es = new EarlyStopping(s);
  for (let e = 1; e <= values.length; e++) if (es.update(e, values[e - 1]).stop) return e;
  return null;
}

describe("EarlyStopping", () => {
  test("mode auto follows the monitor's name, as Keras infers it", () => {
    for (const m of ["val_loss", "loss", "val_mae", "mse", "val_rmse"]) {
      expect(monitorDirection({ monitor: m, mode: "auto" })).toBe("min");
    }
    for (
      const m of ["val_accuracy", "accuracy", "val_auc", "binary-accuracy", "val_r2", "val_f1", "recall"]
    ) {
      expect(monitorDirection({ monitor: m, mode: "auto" })).toBe("max");
    }
    expect(monitorDirection({ monitor: "val_accuracy", mode: "min" })).toBe("min");
    expect(monitorTarget("val_accuracy")).toEqual({ split: "validation", metric: "accuracy" });
    expect(monitorTarget("loss")).toEqual({ split: "train", metric: "loss" });
  });

  test("patience counts epochs without improvement; patience 0 and 1 both stop at the first", () => {
    const losses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77];
    expect(stopEpoch(spec({ patience: 0 }), losses)).toBe(3);
    expect(stopEpoch(spec({ patience: 1 }), losses)).toBe(3);
    expect(stopEpoch(spec({ patience: 2 }), losses)).toBe(4);
    expect(stopEpoch(spec({ patience: 3 }), losses)).toBe(8);
    expect(stopEpoch(spec({ patience: 4 }), losses)).toBeNull();
  });

  test("minDelta: an improvement must exceed it; max mode for accuracies", () => {
    // 0.80 -> 0.805 is not an improvement by more than 0.01.
    expect(stopEpoch(spec({ monitor: "val_accuracy", minDelta: 0.01, patience: 1 }), [0.8, 0.805, 0.9])).toBe(
      2,
    );
    expect(stopEpoch(spec({ monitor: "val_accuracy", patience: 1 }), [0.8, 0.805, 0.9])).toBeNull();
    const es = new EarlyStopping(spec({ monitor: "val_accuracy", patience: 5 }));
    [0.5, 0.7, 0.6].forEach((v, i) => es.update(i + 1, v));
    expect(es.bestEpoch).toBe(2);
    expect(es.best).toBe(0.7);
  });

  test("never stops after the first epoch; a NaN never improves", () => {
    expect(stopEpoch(spec({ patience: 0 }), [NaN])).toBeNull();
    expect(stopEpoch(spec({ patience: 0 }), [1, NaN])).toBe(2);
  });
});

describe("class weights", () => {
  test("balanced is n_samples / (n_classes * count), as scikit-learn's compute_class_weight", () => {
    // sklearn: compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,0,1,1,2]) = [7/12, 7/6, 7/3]
    const cls = Int32Array.from([0, 0, 0, 0, 1, 1, 2]);
    const w = classWeights("balanced", cls, 3);
    expect(Array.from(w)).toEqual([7 / 12, 7 / 6, 7 / 3]);
    // Every class then carries the same total weight, n / C.
    const rows = rowWeights(w, cls);
    expect(rows.reduce((a, b) => a + b, 0)).toBeCloseTo(7, 12);
  });

  test("explicit weights need every class and nothing else", () => {
    const cls = Int32Array.from([0, 1, 1]);
    expect(Array.from(classWeights({ "0": 1, "1": 20 }, cls, 2))).toEqual([1, 20]);
    expect(() => classWeights({ "0": 1 }, cls, 2)).toThrow(/no weight for class 1/);
    expect(() => classWeights({ "0": 1, "1": 2, "2": 3 }, cls, 2)).toThrow(/"2" is not a class index/);
  });

  test("the class of a row: argmax of one-hot rows, the rounded value of one column", () => {
    expect(Array.from(targetClasses(matrix(3, 3, [0, 1, 0, 1, 0, 0, 0, 0, 1])))).toEqual([1, 0, 2]);
    expect(Array.from(targetClasses(matrix(3, 1, [0, 1, 1])))).toEqual([0, 1, 1]);
    expect(Array.from(weightRows(Float64Array.from([1, 2, 3, 4]), 2, [10, 0]))).toEqual([10, 20, 0, 0]);
  });
});

describe("the scenario keys", () => {
  const source = memoryFileSource({});
  const parse = (training: Record<string, unknown>) =>
    parseScenario(
      JSON.stringify({
        name: "keys",
        data: { generate: { kind: "blobs" } },
        model: { layers: [{ units: 3, activation: "softmax" }] },
        loss: "sparse-categorical-crossentropy",
        training,
      }),
      "/virtual/keys.json",
      source,
    );

  test("earlyStopping takes Keras's defaults; classWeight is kept as written", () => {
    const s = parse({ earlyStopping: {}, classWeight: { "0": 1, "1": 2, "2": 3 } });
    expect(s.training.earlyStopping).toEqual({
      monitor: "val_loss",
      patience: 0,
      minDelta: 0,
      restoreBestWeights: false,
      mode: "auto",
    });
    expect(s.training.classWeight).toEqual({ "0": 1, "1": 2, "2": 3 });
    expect(parse({}).training.earlyStopping).toBeUndefined();
    expect(parse({ classWeight: "balanced" }).training.classWeight).toBe("balanced");
  });

  test("bad values name the key", () => {
    expect(() => parse({ classWeight: { a: 1 } })).toThrow(/training\.classWeight/);
    expect(() => parse({ classWeight: "inverse" })).toThrow(/training\.classWeight/);
    expect(() => parse({ earlyStopping: { monitor: "val_loss", paitence: 3 } })).toThrow(/paitence/);
  });
});
