/**
 * `deno task schema`: writes docs/scenario.schema.json from the zod schema (src/scenario/json_schema.ts).
 * Run it after changing src/scenario/schema.ts; test/scenario/json_schema.test.ts fails until you do.
 *
 * @module
 */
import { SCENARIO_SCHEMA_PATH, scenarioJsonSchemaText } from "../src/scenario/json_schema.ts";

if (import.meta.main) {
  const target = new URL(`../${SCENARIO_SCHEMA_PATH}`, import.meta.url);
  await Deno.writeTextFile(target, scenarioJsonSchemaText());
  console.log(`wrote ${SCENARIO_SCHEMA_PATH}`);
}
