/**
 * The Deno implementation of {@linkcode FileSource}: what the runtime-neutral core reads user files
 * through when run from the command line. Every failure the user can cause (missing file, a
 * directory, no permission) becomes an InputError naming the path.
 *
 * @module
 */
import { FileAccessError, InputError } from "../errors.ts";
import { dirname, type FileSource, joinPath } from "../io.ts";

/** Options of {@linkcode denoFileSource}. */
export interface DenoFileSourceOptions {
  /** Shows a path the way the user would recognise it (relative to their directory). Default: as is. */
  display?: (path: string) => string;
}

/**
 * A FileSource over the local file system.
 *
 * @example
 * ```ts ignore
 * const source = denoFileSource();
 * const text = await source.readText("/abs/path/train.csv");
 * ```
 */
export function denoFileSource(options: DenoFileSourceOptions = {}): FileSource {
  const display = options.display ?? ((p: string) => p);
  const guard = async <T>(path: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (e) {
      throw toInputError(e, display(path)) ?? e;
    }
  };
  return {
    readText: (path) => guard(path, () => Deno.readTextFile(path)),
    readBytes: (path) => guard(path, () => Deno.readFile(path)),
    stream: (path) =>
      guard(path, async () => {
        // Deno.open succeeds on a directory on Linux; reading it fails later, so check first.
        const info = await Deno.stat(path);
        if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
        const file = await Deno.open(path, { read: true });
        return file.readable;
      }),
    resolve: (base, relative) => joinPath(dirname(base), relative),
    list: (path) =>
      guard(path, async () => {
        if (!(await Deno.stat(path)).isDirectory) return null;
        const entries = [];
        for await (const e of Deno.readDir(path)) entries.push({ name: e.name, directory: e.isDirectory });
        return entries;
      }),
  };
}

/** The InputError for a file-system error the user caused, or null for anything else. */
export function toInputError(e: unknown, file: string): InputError | null {
  if (e instanceof InputError) return e;
  if (e instanceof Deno.errors.NotFound) return new FileAccessError("file not found", file);
  if (e instanceof Deno.errors.IsADirectory || (e instanceof Error && /os error 21\b/.test(e.message))) {
    return new FileAccessError("is a directory, expected a file", file);
  }
  if (e instanceof Deno.errors.PermissionDenied) return new FileAccessError("permission denied", file);
  if (e instanceof Deno.errors.NotCapable) {
    // Deno's own refusal (src/cli/permissions.ts), not the file system's.
    return new FileAccessError(
      "this run may not read it: a run reads the files named on the command line and the scenario's " +
        "folder (README: What a run may touch)",
      file,
    );
  }
  if (e instanceof Deno.errors.NotADirectory) {
    return new FileAccessError("a part of the path is not a directory", file);
  }
  return null;
}

/**
 * The names in a directory (for the gallery); a missing directory or a file in its place is an
 * InputError naming it.
 */
export async function listDirectory(path: string, options: DenoFileSourceOptions = {}): Promise<string[]> {
  const display = options.display ?? ((p: string) => p);
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) if (entry.isFile) names.push(entry.name);
    return names;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError("directory not found", { file: display(path) });
    }
    if (e instanceof Deno.errors.NotADirectory) {
      throw new InputError("is a file, expected a directory", { file: display(path) });
    }
    throw toInputError(e, display(path)) ?? e;
  }
}

/** Throws an InputError naming the file unless `path` is an existing regular file. */
export async function checkReadableFile(path: string, options: DenoFileSourceOptions = {}): Promise<void> {
  const display = options.display ?? ((p: string) => p);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw toInputError(e, display(path)) ?? e;
  }
  if (info.isDirectory) throw new FileAccessError("is a directory, expected a file", display(path));
}
