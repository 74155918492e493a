/**
 * Atomic file output: the data goes to a temporary file in the destination's directory, which is
 * then renamed over the destination (rename(2) within one file system is atomic). A reader never
 * sees a half-written report, and a failure leaves nothing behind.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { dirname } from "../io.ts";

/** Options of {@linkcode atomicWriteTextFile}. */
export interface AtomicWriteOptions {
  /** The path as the user wrote it, for messages. Default: `path`. */
  display?: string;
}

/**
 * Writes `text` to `path` atomically. Problems the user can fix (missing directory, no permission,
 * the path is a directory) are InputErrors naming the path.
 *
 * @example
 * ```ts ignore
 * await atomicWriteTextFile("/tmp/report.html", "<!doctype html>...");
 * ```
 */
export async function atomicWriteTextFile(
  path: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const display = options.display ?? path;
  await checkWritableTarget(path, { display });
  const temp = atomicTempPath(path);
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new InputError("permission denied", { file: display });
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new InputError("is a directory, expected a file", { file: display });
    }
    throw e;
  }
}

/**
 * The temporary file beside `path` that {@linkcode atomicWriteTextFile} writes before renaming it over
 * `path`: `.NAME.fitcheck-tmp`. A fixed name, so a run can be granted write access to exactly it and
 * `path` (src/cli/permissions.ts); one left by an interrupted run is overwritten by the next.
 */
export function atomicTempPath(path: string): string {
  const dir = dirname(path);
  return `${dir}/.${path.slice(dir.length + 1)}.fitcheck-tmp`;
}

/**
 * Fails early, before a long run, when `path` cannot be written: its directory must exist and the
 * path must not be a directory.
 */
export async function checkWritableTarget(path: string, options: AtomicWriteOptions = {}): Promise<void> {
  const display = options.display ?? path;
  const dir = dirname(path);
  // The directory as the user wrote it, when they wrote one ("out/" of "out/r.html").
  const shownDir = display.includes("/") ? dirname(display) : dir;
  // Probed by creating (and removing) the temporary file the write will use: that needs write access
  // to it alone, where a stat of the directory would need read access to everything in it.
  const temp = atomicTempPath(path);
  try {
    await Deno.writeTextFile(temp, "");
    await Deno.remove(temp);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`cannot write here: directory ${shownDir} does not exist (create it first)`, {
        file: display,
      });
    }
    if (e instanceof Deno.errors.NotADirectory) {
      throw new InputError(`cannot write here: ${shownDir} is a file, not a directory`, { file: display });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new InputError(`cannot write here: permission denied on directory ${shownDir}`, {
        file: display,
      });
    }
    if (e instanceof Deno.errors.NotCapable) {
      throw new InputError("this run may not write here (README: What a run may touch)", { file: display });
    }
    throw e;
  }
  const target = await Deno.stat(path).catch(() => null);
  if (target?.isDirectory) throw new InputError("is a directory, expected a file", { file: display });
}
