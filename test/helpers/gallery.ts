/**
 * The gallery's files by kind. `examples/scenarios/` holds scenario files and model-file entries
 * (`"kind": "model"`, run as `run --model` by src/app/model_gallery.ts); the tests of each kind take
 * theirs from here.
 *
 * @module
 */
import { fromFileUrl } from "../../src/cli/_path.ts";

/** The gallery's directory (absolute). */
export const GALLERY_DIR: string = fromFileUrl(new URL("../../examples/scenarios", import.meta.url));

/** The names (not paths) of the gallery's `*.json` files of `kind`, sorted. */
export function galleryFiles(kind: "scenario" | "model"): string[] {
  return [...Deno.readDirSync(GALLERY_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".json"))
    .map((e) => e.name)
    .filter((n) =>
      (JSON.parse(Deno.readTextFileSync(`${GALLERY_DIR}/${n}`)).kind === "model") === (kind === "model")
    )
    .sort();
}
