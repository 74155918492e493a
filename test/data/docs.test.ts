// docs/data.md documents every generator and transform; this keeps its tables and src/data/specs.ts
// from drifting apart.
import { describe, expect, it } from "vitest";
import { type GeneratorKind, GENERATORS, TRANSFORM_OPS, TRANSFORMS } from "../../src/data/specs.ts";

const doc = await Deno.readTextFile(new URL("../../docs/data.md", import.meta.url));
// deno fmt pads table cells, so the first cell is matched with any spacing.
const row = (name: string) => doc.split("\n").find((l) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`).test(l));

describe("docs/data.md", () => {
  for (const kind of Object.keys(GENERATORS) as GeneratorKind[]) {
    it(`documents generator ${kind} with its defaults`, () => {
      const cells = row(kind)?.split("|").map((c) => c.trim());
      expect(cells, `no table row for ${kind}`).toBeDefined();
      const t = GENERATORS[kind];
      expect(Number(cells![2])).toBe(t.samples);
      expect(Number.parseFloat(cells![3])).toBe(t.features);
      expect(Number.parseFloat(cells![4])).toBe(t.classes);
      expect(Number(cells![5])).toBe(t.noise);
      for (const [key, spec] of Object.entries(t.params)) {
        expect(cells![6]).toContain(`\`${key}\` ${spec.default}`);
      }
    });
  }
  for (const op of TRANSFORM_OPS) {
    it(`documents transform ${op} with its parameters`, () => {
      const line = row(op);
      expect(line, `no table row for ${op}`).toBeDefined();
      for (const [key, spec] of Object.entries(TRANSFORMS[op])) {
        expect(line).toContain(`\`${key}\``);
        if (spec.default !== undefined) expect(line).toMatch(new RegExp(`\`${key}\` ${spec.default}\\b`));
      }
    });
  }
});
