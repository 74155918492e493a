/**
 * batchnorm-batch-of-one on its cases (batch size 1; a last batch of one row) and quiet on healthy
 * setups (several rows per batch; a batch norm over channels-last positions with batch size 1; no
 * batch norm at all).
 */
import { describe, expect, it } from "vitest";
import { memoryFileSource } from "../../src/io.ts";
import { batchNormBatchOfOneFinding } from "../../src/diagnose/setup_layers.ts";
import { parseScenario } from "../../src/scenario/load.ts";

function scenario(layers: unknown[], batchSize: number, shape?: number[]) {
  return parseScenario(
    JSON.stringify({
      name: "bn",
      data: { generate: { kind: "blobs", samples: 100, features: 12, classes: 3 } },
      model: { ...(shape ? { input: { shape } } : {}), layers },
      loss: "categorical-crossentropy",
      training: { batchSize, epochs: 1 },
    }),
    "/virtual/bn.json",
    memoryFileSource({}),
  );
}

const DENSE_BN = [{ units: 16, activation: "relu" }, { type: "batchnorm" }, {
  units: 3,
  activation: "softmax",
}];

describe("batchnorm-batch-of-one", () => {
  it("batch size 1 with a batch norm on [features]: an error naming the layer", () => {
    const f = batchNormBatchOfOneFinding(scenario(DENSE_BN, 1), 100)!;
    expect(f.code).toBe("batchnorm-batch-of-one");
    expect(f.severity).toBe("error");
    expect(f.evidence.layers).toEqual([2]);
    expect(f.title).toContain("layer 2");
  });

  it("a last batch of one row: info, not an error", () => {
    const f = batchNormBatchOfOneFinding(scenario(DENSE_BN, 33), 100)!;
    expect(f.severity).toBe("info");
    expect(f.evidence.stepsAffected).toBe("the last batch of each epoch");
  });

  it("quiet on healthy setups", () => {
    expect(batchNormBatchOfOneFinding(scenario(DENSE_BN, 32), 100)).toBeNull();
    expect(batchNormBatchOfOneFinding(scenario(DENSE_BN, 32), 98)).toBeNull(); // a last batch of 2 rows
    expect(batchNormBatchOfOneFinding(scenario(DENSE_BN, 32), 1)).toBeNull(); // one row, one full batch: too little data, not this
    // Channels-last: 2 × 2 positions per channel even with one row.
    expect(
      batchNormBatchOfOneFinding(
        scenario(
          [{ type: "batchnorm" }, { type: "global-avgpool2d" }, { units: 3, activation: "softmax" }],
          1,
          [2, 2, 3],
        ),
        100,
      ),
    ).toBeNull();
    expect(batchNormBatchOfOneFinding(scenario([{ units: 8 }, { units: 3, activation: "softmax" }], 1), 100))
      .toBeNull();
  });
});

describe("data detectors on token indices", () => {
  it("unscaled-features stays quiet when an embedding reads the columns, and still fires for a dense model", async () => {
    const { loadScenarioData } = await import("../../src/data/load.ts");
    const { diagnoseData } = await import("../../src/diagnose/data.ts");
    const tokens = (layers: unknown[]) =>
      parseScenario(
        JSON.stringify({
          name: "tokens",
          data: { generate: { kind: "tokens", samples: 200, features: 12, classes: 3, vocab: 20 } },
          model: { input: { shape: [12] }, layers },
          loss: "sparse-categorical-crossentropy",
        }),
        "/virtual/tokens.json",
        memoryFileSource({}),
      );
    const codes = async (layers: unknown[]) => {
      const s = tokens(layers);
      const data = await loadScenarioData(s, memoryFileSource({}));
      return diagnoseData({ train: data.train, validation: data.validation, task: data.task, scenario: s })
        .map((f) => f.code);
    };
    const head = { units: 3, activation: "softmax" };
    expect(
      await codes([{ type: "embedding", inputDim: 20, outputDim: 4 }, { type: "global-avgpool1d" }, head]),
    )
      .not.toContain("unscaled-features");
    expect(await codes([{ units: 8, activation: "relu" }, head])).toContain("unscaled-features");
  });
});
