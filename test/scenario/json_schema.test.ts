// The committed JSON Schema (docs/scenario.schema.json) is the zod schema's, regenerated; every gallery
// scenario names it in "$schema" and validates against it with a real JSON Schema validator (ajv),
// and so does every scenario fixture under test/ that the loader accepts.
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/scenario/load.ts";
import {
  SCENARIO_SCHEMA_PATH,
  scenarioJsonSchema,
  scenarioJsonSchemaText,
} from "../../src/scenario/json_schema.ts";
import type { FileSource } from "../../src/io.ts";
import { galleryFiles } from "../helpers/gallery.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));
const list = async (dir: string) => {
  const names: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, root))) {
    if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
  }
  return names.sort();
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(scenarioJsonSchema());
const problems = () => ajv.errorsText(validate.errors, { separator: "; " });

describe("docs/scenario.schema.json", () => {
  it("is the zod schema's, regenerated", async () => {
    const committed = await read(SCENARIO_SCHEMA_PATH);
    expect(
      committed === scenarioJsonSchemaText(),
      `${SCENARIO_SCHEMA_PATH} is out of date with src/scenario/schema.ts: run \`npx deno task schema\``,
    ).toBe(true);
  });

  it("constrains every part: no schema is {} (a z.unknown() or a transform whose variants were not declared)", () => {
    const empty: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== "object") return;
      if (!Array.isArray(node) && Object.keys(node).length === 0) empty.push(path);
      for (const [k, v] of Object.entries(node)) {
        // Values, not schemas.
        if (k !== "default" && k !== "const" && k !== "enum" && k !== "examples") walk(v, `${path}/${k}`);
      }
    };
    walk(scenarioJsonSchema(), "#");
    expect(
      empty,
      "these parts of the scenario schema accept anything in the JSON Schema: build them with dispatch() or " +
        "tagged() in src/scenario/schema.ts (which declare their variants), or a plain zod object/union",
    ).toEqual([]);
  });

  it("rejects what the loader rejects: an unknown key, a wrong type, a missing key", () => {
    const ok = {
      name: "x",
      data: { generate: { kind: "moons" } },
      model: { layers: [{ units: 1 }] },
      loss: "mse",
    };
    expect(validate(ok), problems()).toBe(true);
    expect(validate({ ...ok, modle: {} })).toBe(false);
    expect(validate({ ...ok, seed: "7" })).toBe(false);
    expect(validate({ ...ok, loss: "mean-squared" })).toBe(false);
    const { loss: _, ...noLoss } = ok;
    expect(validate(noLoss)).toBe(false);
    expect(
      validate({ ...ok, data: { generate: { kind: "moons" }, transforms: [{ op: "nan", fractoin: 1 }] } }),
    )
      .toBe(false);
  });
});

describe("gallery scenarios against the schema", () => {
  // Model-file entries ("kind": "model", src/app/model_gallery.ts) are not scenario files: `diagnose
  // init` turns them into one, checked in test/import/.
  const names = galleryFiles("scenario");
  it("finds the gallery", () => expect(names.length).toBeGreaterThan(10));
  for (const name of names) {
    it(name, async () => {
      const raw = JSON.parse(await read(`examples/scenarios/${name}`));
      expect(
        raw.$schema,
        `examples/scenarios/${name}: add "$schema": "../../${SCENARIO_SCHEMA_PATH}" as its first key`,
      ).toBe(`../../${SCENARIO_SCHEMA_PATH}`);
      expect(validate(raw), `examples/scenarios/${name}: ${problems()}`).toBe(true);
    });
  }
});

describe("scenario fixtures under test/ against the schema", async () => {
  const dirs = ["test/fixtures/scenarios/", "test/determinism/"];
  const files = (await Promise.all(dirs.map(async (d) => (await list(d)).map((n) => d + n)))).flat();
  const source: FileSource = {
    resolve: (_from: string, relative: string) => relative,
  } as unknown as FileSource;
  for (const file of files) {
    it(file, async () => {
      const text = await read(file);
      // The loader and the schema agree: what one accepts, so does the other.
      let loads = true;
      try {
        parseScenario(text, file, source);
      } catch {
        loads = false;
      }
      expect(validate(JSON.parse(text)), `${file}: ${problems()}`).toBe(loads);
    });
  }
});
