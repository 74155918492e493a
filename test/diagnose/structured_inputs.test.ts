/**
 * The data detectors on images and token sequences: pixels of one image share a scale and are not
 * independent features, token indices are identities. Each exception is tested both ways: quiet on
 * the image / embedding model, still firing on the same numbers read as a flat table, and firing on
 * the image when the pixels really are unscaled.
 */
import { describe, expect, it } from "vitest";
import { loadScenarioData } from "../../src/data/load.ts";
import { diagnoseData } from "../../src/diagnose/mod.ts";
import { memoryFileSource } from "../../src/io.ts";
import { parseScenario } from "../../src/scenario/load.ts";
import { trainingJob } from "../../src/train/job.ts";

const source = memoryFileSource({});

async function codes(json: Record<string, unknown>): Promise<string[]> {
  const scenario = parseScenario(JSON.stringify({ name: "structured", ...json }), "/virtual/s.json", source);
  const data = await loadScenarioData(scenario, source);
  return diagnoseData({ train: data.train, validation: data.validation, task: data.task, scenario })
    .map((f) => f.code);
}

const cnn = {
  input: { shape: [8, 8, 1] },
  layers: [
    { type: "conv2d", filters: 4, kernelSize: 3, activation: "relu" },
    { type: "flatten" },
    { units: 4, activation: "softmax" },
  ],
};
const mlp = { layers: [{ units: 16, activation: "relu" }, { units: 4, activation: "softmax" }] };
const shapes = (scale: number) => ({
  generate: { kind: "shapes", samples: 400, features: 64, classes: 4, scale },
});
const loss = "sparse-categorical-crossentropy";

describe("data detectors on structured inputs", () => {
  it("8×8 images in 0..1: no unscaled-features, no insufficient-data (80 rows per class for 64 pixels)", async () => {
    const found = await codes({ data: shapes(1), model: cnn, loss });
    expect(found).not.toContain("unscaled-features");
    expect(found).not.toContain("insufficient-data");
  });

  it("the same numbers as a flat table: insufficient-data still counts them as 64 features", async () => {
    expect(await codes({ data: shapes(1), model: mlp, loss })).toContain("insufficient-data");
  });

  it("8×8 images in 0..255: unscaled-features", async () => {
    expect(await codes({ data: shapes(255), model: cnn, loss })).toContain("unscaled-features");
  });

  it("token indices read by an embedding: no unscaled-features; fed to dense layers as numbers: it fires", async () => {
    const data = { generate: { kind: "tokens", samples: 300, features: 12, classes: 3, vocab: 20 } };
    const embedding = {
      input: { shape: [12] },
      layers: [
        { type: "embedding", inputDim: 20, outputDim: 4 },
        { type: "global-avgpool1d" },
        { units: 3, activation: "softmax" },
      ],
    };
    expect(await codes({ data, model: embedding, loss })).not.toContain("unscaled-features");
    const dense = { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] };
    expect(await codes({ data, model: dense, loss })).toContain("unscaled-features");
  });
});

describe("an MLP on an image file ([N, 8, 8, 1] .npy, no model.input.shape)", () => {
  it("reads the rows flat, trains, and the pixels are still one scale: no unscaled-features", async () => {
    const dir = new URL("../../examples/scenarios/data/", import.meta.url).pathname;
    const files = memoryFileSource({
      "/data/x.npy": Deno.readFileSync(`${dir}digits_x.npy`),
      "/data/y.npy": Deno.readFileSync(`${dir}digits_y.npy`),
    });
    const scenario = parseScenario(
      JSON.stringify({
        name: "mlp-on-image-file",
        data: {
          npy: { features: "/data/x.npy", target: "/data/y.npy" },
          transforms: [{ op: "scale-features", factor: 0.0625 }],
        },
        model: { layers: [{ units: 16, activation: "relu" }, { units: 10, activation: "softmax" }] },
        loss: "sparse-categorical-crossentropy",
      }),
      "/virtual/mlp.json",
      files,
    );
    const data = await loadScenarioData(scenario, files);
    expect(data.train.rowShape).toEqual([8, 8, 1]);
    expect(trainingJob(scenario, data).shape.input).toEqual([64]);
    const found = diagnoseData({ train: data.train, validation: data.validation, task: data.task, scenario })
      .map((f) => f.code);
    expect(found).not.toContain("unscaled-features");
  });
});
