/**
 * The zip container (Keras 3 `.keras` archives), read with fflate. Knows nothing of layers: it gives the
 * archive's entries by name, and turns a corrupt or truncated archive into one InputError naming the file.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { InputError } from "../../errors.ts";

/** The entries of a zip archive, by name. */
export type ZipEntries = Map<string, Uint8Array>;

/**
 * Every entry of the zip archive `bytes`.
 *
 * @example
 * ```ts ignore
 * const entries = readZip(await source.readBytes("/m.keras"), "/m.keras");
 * new TextDecoder().decode(entries.get("config.json"));
 * ```
 * @throws {InputError} naming `file` when the bytes are not a readable zip archive.
 */
export function readZip(bytes: Uint8Array, file: string): ZipEntries {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new InputError(
      `not a readable zip archive (${(e as Error).message}): the file is corrupt or truncated`,
      {
        file,
      },
    );
  }
  return new Map(Object.entries(entries));
}

/** The entry `name` of `entries`, or an InputError naming the archive and the missing entry. */
export function zipEntry(entries: ZipEntries, name: string, file: string, what: string): Uint8Array {
  const entry = entries.get(name);
  if (entry === undefined) {
    const present = [...entries.keys()].join(", ") || "none";
    throw new InputError(`the archive has no ${name} (${what}); its entries: ${present}`, { file });
  }
  return entry;
}
