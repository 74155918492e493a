/**
 * NumPy `.npz` reader: a zip archive of `.npy` members, one per array, as `np.savez` (stored) and
 * `np.savez_compressed` (deflated) write it. fflate unzips; each member is parsed by ./npy.ts, so an
 * array in an archive reads exactly as the same array saved alone.
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.savez.html
 *
 * @module
 */
import { unzipSync } from "fflate";
import { didYouMean, InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import { type NpyArray, parseNpy } from "./npy.ts";

/** An opened `.npz`: its array names (member names without `.npy`) and a parser for each. */
export interface NpzArchive {
  file: string;
  /** Array names in archive order (`np.savez(f, x=..., y=...)` gives "x", "y"). */
  names: string[];
  /**
   * Parses array `name`.
   *
   * @throws {InputError} naming the file and listing the arrays when there is no such array.
   */
  array(name: string): NpyArray;
}

/** Reads and opens a `.npz` file. See {@linkcode parseNpz}. */
export async function readNpz(path: string, source: FileSource): Promise<NpzArchive> {
  return parseNpz(await source.readBytes(path), path);
}

/**
 * Opens the bytes of a `.npz` archive.
 *
 * @throws {InputError} naming `file` when the bytes are not a zip archive (truncated, corrupt, another
 * format) or it holds no `.npy` member.
 *
 * @example
 * ```ts ignore
 * const npz = parseNpz(bytes, "d.npz");
 * const x = npz.array("x"); // x.shape: [600, 2]
 * ```
 */
export function parseNpz(bytes: Uint8Array, file: string): NpzArchive {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const hint = bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e
      ? " (this is a single .npy array: name the file .npy)"
      : "";
    throw new InputError(`not a readable .npz (zip) archive: ${why}; truncated or corrupt?${hint}`, { file });
  }
  const names = Object.keys(members).filter((m) => m.endsWith(".npy")).map((m) => m.slice(0, -4));
  if (names.length === 0) {
    throw new InputError("the archive holds no .npy arrays (is it a .npz written by np.savez?)", { file });
  }
  return {
    file,
    names,
    array: (name) => {
      const bytes = members[`${name}.npy`];
      if (bytes === undefined) {
        throw new InputError(
          `no array ${JSON.stringify(name)}${didYouMean(name, names)}: the arrays are ${
            names.map((n) => JSON.stringify(n)).join(", ")
          }`,
          { file },
        );
      }
      return parseNpy(bytes, `${file}, array "${name}"`);
    },
  };
}

/**
 * The one array of a single-array `.npz` (audit `--labels` / `--predictions`: `np.savez("p.npz", probs)`),
 * read as a `.npy` would be.
 *
 * @throws {InputError} naming the file and listing the arrays when it holds several.
 */
export async function readNpzArray(path: string, source: FileSource): Promise<NpyArray> {
  const npz = await readNpz(path, source);
  if (npz.names.length !== 1) {
    throw new InputError(
      `expected one array, the archive holds ${npz.names.length}: ${
        npz.names.map((n) => JSON.stringify(n)).join(", ")
      }; save the labels and the predictions as separate files`,
      { file: path },
    );
  }
  return npz.array(npz.names[0]);
}
