/**
 * The gallery's model-file entries (`"kind": "model"` in examples/scenarios/): each format's import run
 * through the gallery as `run --model` would, every expectation met, the declared cause first, and a
 * healthy model without an error.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createEngines } from "../../src/app/engines.ts";
import { runGallery } from "../../src/app/gallery.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { createGpuContext } from "../../src/gpu/mod.ts";
import { galleryFiles } from "../helpers/gallery.ts";

const DIR = `${Deno.cwd()}/examples/scenarios`;
const entries = galleryFiles("model");
const engines = createEngines({ createGpu: () => createGpuContext({ label: "model gallery test" }) });
afterAll(() => engines.dispose());

describe("model-file gallery entries", () => {
  it("cover every format", () => {
    const models = entries.map((n) => String(JSON.parse(Deno.readTextFileSync(`${DIR}/${n}`)).model));
    expect(models.some((m) => m.endsWith(".keras"))).toBe(true);
    expect(models.some((m) => m.endsWith(".h5"))).toBe(true);
    expect(models.some((m) => m.endsWith("model.json"))).toBe(true);
    expect(models.some((m) => m.endsWith(".onnx"))).toBe(true);
  });
  it("meet their expectations, the declared cause first", async () => {
    const { document, reports } = await runGallery(DIR, engines, {
      source: denoFileSource(),
      listDir: () => Promise.resolve(entries),
    });
    expect(document.scenarios.map((s) => s.name)).toEqual(entries.map((n) => n.slice(0, -".json".length)));
    for (const [i, s] of document.scenarios.entries()) {
      expect(s.ok, `${s.name}: expected ${s.expected}, found ${s.found} ${s.error ?? ""}`).toBe(true);
      if (s.expected.length > 0) expect(reports[i]!.summary.primary, s.name).toBe(s.expected[0]);
      expect(reports[i]!.consistency.filter((c) => !c.ok), s.name).toEqual([]);
    }
  }, 300_000);
});
