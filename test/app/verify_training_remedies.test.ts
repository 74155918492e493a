/**
 * `--verify` re-trains with the training remedies it proposes and says whether they worked: class
 * weights for a class the model neglects (class-imbalance, accuracy-hides-class-failure) and early
 * stopping for overfitting. Each case is a small scenario that trains in a few seconds; each remedy
 * is also checked to be refused, not confirmed, where it does not help.
 */
import { afterAll, describe, expect, test } from "vitest";
import { runScenario } from "../../src/app/run.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { Finding } from "../../src/report/types.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

const source = memoryFileSource({});

async function verified(json: Record<string, unknown>): Promise<Finding[]> {
  const scenario = parseScenario(JSON.stringify({ name: "verify", ...json }), "/virtual/verify.json", source);
  const report = await runScenario(scenario, { source, gpu: testContext, verify: true });
  return report.findings;
}

function byCode(findings: Finding[], code: string): Finding {
  const f = findings.find((x) => x.code === code);
  expect(f, `${code} not in ${findings.map((x) => x.code).join(", ")}`).toBeDefined();
  return f!;
}

describe("--verify confirms the training remedies", () => {
  test("balanced class weights recover a rare class the model had given up on", async () => {
    // 2 overlapping blobs, the second kept at 8%: the model predicts the majority everywhere.
    const findings = await verified({
      seed: 7,
      data: {
        generate: { kind: "blobs", samples: 900, features: 4, classes: 2, spread: 1.2 },
        transforms: [{ op: "standardize-features" }, { op: "imbalance", class: 1, keep: 0.08 }],
      },
      validation: { fraction: 0.3, shuffle: true, stratify: true },
      model: { layers: [{ units: 16, activation: "relu" }, { units: 1, activation: "sigmoid" }] },
      loss: "binary-crossentropy",
      training: { epochs: 10, batchSize: 32 },
      metrics: ["accuracy"],
    });
    for (const code of ["class-imbalance", "accuracy-hides-class-failure"]) {
      const v = byCode(findings, code).verification!;
      expect(v.change).toBe("class weights -> balanced");
      expect(v.confirmed).toBe(true);
      expect((v.after.balancedAccuracy as number) - (v.before.balancedAccuracy as number)).toBeGreaterThan(
        0.05,
      );
    }
  }, 120_000);

  test("early stopping on val_loss with the best weights restored answers overfitting", async () => {
    const findings = await verified({
      seed: 7,
      data: {
        generate: { kind: "blobs", samples: 200, features: 40, classes: 3, spread: 1, noise: 4 },
        transforms: [{ op: "standardize-features" }],
      },
      model: {
        layers: [
          { units: 256, activation: "relu" },
          { units: 256, activation: "relu" },
          { units: 3, activation: "softmax" },
        ],
      },
      loss: "sparse-categorical-crossentropy",
      optimizer: { name: "adam", learningRate: 0.003 },
      training: { epochs: 20, batchSize: 16 },
      metrics: ["accuracy"],
    });
    const v = byCode(findings, "overfitting").verification!;
    expect(v.change).toContain("early stopping on val_loss");
    expect(v.after.stoppedEpoch).not.toBeNull();
    expect(v.after.finalValidationLoss as number).toBeLessThan(
      0.95 * (v.before.finalValidationLoss as number),
    );
    expect(v.confirmed).toBe(true);
  }, 120_000);

  test("class weights are not confirmed where the rare class was already learned", async () => {
    // Well-separated blobs: the 10% class is recalled anyway; nothing to recover.
    const findings = await verified({
      seed: 7,
      data: {
        generate: { kind: "blobs", samples: 800, features: 2, classes: 2, spread: 10, noise: 0.5 },
        transforms: [{ op: "standardize-features" }, { op: "imbalance", class: 1, keep: 0.05 }],
      },
      validation: { fraction: 0.3, shuffle: true, stratify: true },
      model: { layers: [{ units: 16, activation: "relu" }, { units: 1, activation: "sigmoid" }] },
      loss: "binary-crossentropy",
      optimizer: { name: "adam", learningRate: 0.01 },
      training: { epochs: 10, batchSize: 32 },
      metrics: ["accuracy"],
    });
    const v = byCode(findings, "class-imbalance").verification!;
    expect(v.confirmed).toBe(false);
  }, 120_000);
});
