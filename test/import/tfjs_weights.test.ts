/**
 * tfjs weight decoding beyond float32: the converter's quantized uint8 / uint16 weights (value = q · scale
 * + min, tfjs-converter's affine quantization) and float16, and weights split over several shards of one
 * manifest group. The bytes are built here; the topology is a real tfjs save's.
 */
import { describe, expect, it } from "vitest";
import { importModel } from "../../src/import/mod.ts";
import { memoryFileSource } from "../../src/io.ts";
import { fixtureSource, MODELS_ROOT } from "./_fixtures.ts";

async function realTopology() {
  const source = await fixtureSource();
  return JSON.parse(await source.readText(`${MODELS_ROOT}tfjs/mlp-iris-no-training-config/model.json`));
}

describe("tfjs weights", () => {
  it("uint8 / uint16 quantized and float16 weights decode, across two shards", async () => {
    const json = await realTopology();
    const [k1, b1, k2, b2] = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    // kernel 1 (4x6) uint8, bias 1 float16 (6), kernel 2 (6x3) uint16, bias 2 float32 (3).
    const q8 = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0000, 0x4200, 0xbc00]); // 1, -2, 0.5, 0, 3, -1
    const q16 = Uint16Array.from({ length: 18 }, (_, i) => i * 1000);
    const f32 = new Float32Array([0.25, -0.5, 1]);
    const bytes = new Uint8Array(24 + 12 + 36 + 12);
    bytes.set(q8, 0);
    bytes.set(new Uint8Array(f16.buffer), 24);
    bytes.set(new Uint8Array(q16.buffer), 36);
    bytes.set(new Uint8Array(f32.buffer), 72);
    json.weightsManifest = [{
      paths: ["a.bin", "b.bin"],
      weights: [
        { ...k1, dtype: "float32", quantization: { dtype: "uint8", scale: 0.01, min: -1 } },
        { ...b1, dtype: "float32", quantization: { dtype: "float16" } },
        { ...k2, dtype: "float32", quantization: { dtype: "uint16", scale: 0.001, min: 0.5 } },
        { ...b2, dtype: "float32" },
      ],
    }];
    const source = memoryFileSource({
      "/m/model.json": JSON.stringify(json),
      "/m/a.bin": bytes.slice(0, 50),
      "/m/b.bin": bytes.slice(50),
    });
    const model = await importModel("/m/model.json", source);
    const [p1, p2] = model.params.filter((p) => p !== null);
    expect(p1!.arrays.kernel.data[3]).toBeCloseTo(30 * 0.01 - 1, 12);
    expect(Array.from(p1!.arrays.bias.data)).toEqual([1, -2, 0.5, 0, 3, -1]);
    expect(p2!.arrays.kernel.data[17]).toBeCloseTo(17000 * 0.001 + 0.5, 9);
    expect(Array.from(p2!.arrays.bias.data)).toEqual([0.25, -0.5, 1]);
  });
});
