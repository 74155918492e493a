/**
 * Healthy setups of every task kind must stay quiet: no error or warning from the setup and data
 * detectors (info notes are allowed), and never an error (CONTRACT: no healthy control gets one).
 */
import { describe, expect, it } from "vitest";
import { diagnoseData, diagnoseSetup, summarizeTargets } from "../../src/diagnose/mod.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import type { Finding } from "../../src/report/types.ts";
import type { Scenario, Task } from "../../src/scenario/types.ts";
import { blobs, linear, mapColumn, multilabel, rng, scenario, split, taskInfo } from "./_fixtures.ts";

/** Findings that are claims (errors and warnings); info findings are notes. */
function claims(findings: Finding[]): string[] {
  return findings.filter((f) => f.severity !== "info").map((f) => `${f.code} (${f.severity}): ${f.title}`);
}

function run(sc: Scenario, task: Task, data: Dataset, seed = 1): Finding[] {
  const { train, validation } = split(data, 0.2, rng(`split-${seed}`));
  return [
    ...diagnoseSetup({ scenario: sc, task: taskInfo(task), targets: summarizeTargets(train) }),
    ...diagnoseData({ train, validation, task: taskInfo(task), scenario: sc }),
  ];
}

function dataMode(task: Task, data: Dataset, seed = 1): Finding[] {
  const { train, validation } = split(data, 0.2, rng(`split-${seed}`));
  return diagnoseData({ train, validation, task: taskInfo(task) });
}

const cases: Array<[string, () => [Scenario, Task, Dataset]]> = [
  ["binary: sigmoid + binary cross-entropy", () => [
    scenario({ units: 1, activation: "sigmoid", loss: "binary-crossentropy" }),
    "binary",
    blobs(rng("b"), { rows: 400, classes: 2 }),
  ]],
  ["binary: logits + from-logits BCE + threshold 0", () => [
    scenario({
      units: 1,
      activation: "linear",
      loss: "binary-crossentropy",
      fromLogits: true,
      metrics: [{ name: "binary-accuracy", threshold: 0 }],
    }),
    "binary",
    blobs(rng("bl"), { rows: 400, classes: 2, features: 5 }),
  ]],
  ["multiclass: softmax + categorical cross-entropy on indices", () => [
    scenario({ units: 3, activation: "softmax", loss: "categorical-crossentropy" }),
    "multiclass",
    blobs(rng("m"), { rows: 600, classes: 3, features: 4 }),
  ]],
  ["multiclass: softmax + sparse CE", () => [
    scenario({
      units: 4,
      activation: "softmax",
      loss: "sparse-categorical-crossentropy",
      metrics: ["accuracy", "sparse-categorical-accuracy"],
    }),
    "multiclass",
    blobs(rng("ms"), { rows: 800, classes: 4, features: 3 }),
  ]],
  ["multiclass: one-hot targets, logits + from-logits CE", () => [
    scenario({
      units: 3,
      activation: "linear",
      loss: "categorical-crossentropy",
      fromLogits: true,
      metrics: ["accuracy", "categorical-accuracy"],
    }),
    "multiclass",
    blobs(rng("mo"), { rows: 600, classes: 3, oneHot: true }),
  ]],
  ["multilabel: sigmoid + BCE", () => [
    scenario({ units: 3, activation: "sigmoid", loss: "binary-crossentropy", metrics: ["binary-accuracy"] }),
    "multilabel",
    multilabel(rng("ml"), { rows: 500 }),
  ]],
  ["regression: linear + mse, unit-scale target", () => [
    scenario({ units: 1, activation: "linear", loss: "mse", metrics: ["mae", "r2"] }),
    "regression",
    linear(rng("r"), { rows: 400 }),
  ]],
  ["regression: wide target under MAE", () => [
    scenario({ units: 1, activation: "linear", loss: "mae", metrics: ["mae"] }),
    "regression",
    linear(rng("rw"), { rows: 400, scale: 500, offset: 20000 }),
  ]],
  ["regression: wide target after standardization", () => {
    const raw = linear(rng("rs"), { rows: 400, scale: 500, offset: 20000 });
    let m = 0, s = 0;
    for (const v of raw.targets) m += v / raw.rows;
    for (const v of raw.targets) s += (v - m) ** 2 / raw.rows;
    return [
      scenario({ units: 1, activation: "linear", loss: "mse", metrics: ["mse"] }),
      "regression",
      mapColumn(raw, "targets", 0, (v) => (v - m) / Math.sqrt(s)),
    ];
  }],
  ["regression: tanh head on targets inside [-1, 1]", () => [
    scenario({ units: 1, activation: "tanh", loss: "mse", metrics: ["mse"] }),
    "regression",
    mapColumn(linear(rng("rt"), { rows: 300 }), "targets", 0, (v) => Math.tanh(v / 3)),
  ]],
  ["imbalanced but learnable (1:3)", () => [
    scenario({ units: 1, activation: "sigmoid", loss: "binary-crossentropy" }),
    "binary",
    blobs(rng("imb"), { rows: 400, classes: 2, weights: [3, 1] }),
  ]],
  ["small but fine (40 rows)", () => [
    scenario({ units: 1, activation: "sigmoid", loss: "binary-crossentropy" }),
    "binary",
    blobs(rng("small"), { rows: 40, classes: 2, spread: 4 }),
  ]],
  ["SGD, mean reduction, moderate feature scale", () => [
    scenario({ units: 3, activation: "softmax", loss: "categorical-crossentropy", optimizer: "sgd" }),
    "multiclass",
    blobs(rng("sgd"), { rows: 300, classes: 3, spread: 5 }),
  ]],
];

describe("healthy setups stay quiet", () => {
  for (const [name, make] of cases) {
    it(name, () => {
      const [sc, task, data] = make();
      expect(claims(run(sc, task, data))).toEqual([]);
      // `diagnose data` cannot train: what it cannot test is a note, so nothing above info fires.
      const data_ = dataMode(task, data);
      expect(claims(data_)).toEqual([]);
    });
  }

  it("stays quiet across seeds (no chance firings)", () => {
    for (let seed = 0; seed < 8; seed++) {
      const data = blobs(rng(`seed-${seed}`), { rows: 300, classes: 3, features: 3 });
      const sc = scenario({ units: 3, activation: "softmax", loss: "sparse-categorical-crossentropy" });
      expect(claims(run(sc, "multiclass", data, seed)), `seed ${seed}`).toEqual([]);
    }
  });
});
