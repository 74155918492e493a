/**
 * The JSON Schema of scenario files, generated from the zod schema of src/scenario/schema.ts (never
 * written twice): what a user may write (zod's input side: defaults make keys optional, shorthands
 * such as `"loss": "mse"` are accepted). `deno task schema` writes it to docs/scenario.schema.json,
 * which the gallery's files name in `$schema` so that editors complete and check them.
 *
 * @module
 */
import { z } from "zod";
import { DISPATCH_VARIANTS, scenarioSchema } from "./schema.ts";

/** Where the committed schema lives, relative to the repository root. */
export const SCENARIO_SCHEMA_PATH = "docs/scenario.schema.json";

type JsonSchema = Record<string, unknown>;

/**
 * The scenario file's JSON Schema (draft 2020-12).
 *
 * @example
 * ```ts
 * const schema = scenarioJsonSchema();
 * schema.title; // "fitcheck scenario"
 * ```
 */
export function scenarioJsonSchema(): JsonSchema {
  // Paths in the file stay as written: the schema describes text, not resolved paths.
  const body = toJson(scenarioSchema((p) => p));
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://fitcheck.invalid/scenario.schema.json",
    title: "fitcheck scenario",
    description: "A fitcheck scenario file: data, model, loss, optimizer, training. See docs/scenario.md.",
    ...body,
  };
}

/** The schema file's text, exactly as committed (two-space JSON, final newline). */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + "\n";
}

function toJson(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io: "input",
    // A refinement or transform has no JSON Schema; its input side is what the user writes.
    unrepresentable: "any",
    override: (ctx) => {
      const variants = DISPATCH_VARIANTS.get(ctx.zodSchema as unknown as z.ZodType);
      if (variants === undefined) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
      Object.assign(ctx.jsonSchema, { anyOf: variants.map(toJson) });
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}
