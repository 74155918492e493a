/**
 * The one test that proves an import: for each real fixture (saved by tfjs itself, exported by
 * torch.onnx.export, or Keras files written to the documented format from torch-trained weights), fitcheck's
 * float64 forward pass on the imported weights reproduces the framework's own predictions on the same rows.
 * Layers, layout conversions and weights are all checked at once.
 */
import { describe, expect, it } from "vitest";
import { importModel } from "../../src/import/mod.ts";
import { importedForward } from "../../src/import/forward.ts";
import { fixtureSource, MODELS } from "./_fixtures.ts";

/**
 * Tolerance: the frameworks compute in float32 (unit roundoff u = 2^-24 ≈ 6e-8), fitcheck's forward in
 * float64 from the same float32 weights. A dot product of n terms in float32 errs by about n·u·Σ|x·w|;
 * the largest here (the CNN's 96-input dense after a 3x3x8 convolution, |activations| and |weights| ≲ 3)
 * gives ~100 · 6e-8 · 30 ≈ 2e-4 in the worst case, far less in practice. Softmax outputs lie in [0, 1]
 * and inherit that error. atol 1e-4, rtol 1e-4 bound it with margin while a wrong layout (transposed
 * kernel, NCHW read as NHWC, unpermuted flatten) moves outputs by 1e-2 or more.
 */
const ATOL = 1e-4, RTOL = 1e-4;

interface Expected {
  framework: string;
  inputShape: number[];
  inputs: number[][];
  outputs: number[][];
}

/** A row in the file's layout ([C, H, W] for ONNX images) reordered to fitcheck's [H, W, C]. */
function toFitcheckLayout(row: number[], fileShape: number[] | undefined): number[] {
  if (!fileShape || fileShape.length !== 3) return row;
  const [c, h, w] = fileShape;
  const out = new Array<number>(row.length);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[(y * w + x) * c + ch] = row[(ch * h + y) * w + x];
      }
    }
  }
  return out;
}

describe("imported models reproduce the framework's predictions", () => {
  for (const fixture of MODELS) {
    it(`${fixture.format} ${fixture.name}`, async () => {
      const source = await fixtureSource();
      const model = await importModel(fixture.path, source);
      const expected = JSON.parse(await source.readText(fixture.expected)) as Expected;
      const scale = model.inputScale ?? 1;
      const rows = expected.inputs.map((r) =>
        toFitcheckLayout(r, model.fileInputShape).map((v) => v * scale)
      );
      let got = importedForward(model, rows);
      if (model.outputTransform === "log") got = got.map((r) => r.map(Math.log));
      expect(got.length).toBe(expected.outputs.length);
      let worst = 0;
      got.forEach((r, i) =>
        r.forEach((v, j) => {
          const ref = expected.outputs[i][j];
          worst = Math.max(worst, Math.abs(v - ref) - RTOL * Math.abs(ref));
        })
      );
      expect(worst).toBeLessThanOrEqual(ATOL);
    });
  }
});
