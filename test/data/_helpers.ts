// Test helpers shared by test/data and test/scenario: a FileSource over the real disk (the CLI's
// own Deno source belongs to src/cli/, and these tests must not depend on it) and error matchers.
import { expect } from "vitest";
import { InputError } from "../../src/errors.ts";
import { dirname, type FileSource, joinPath } from "../../src/io.ts";

/** Absolute path of a file under test/fixtures/. */
export function fixture(relative: string): string {
  return new URL(`../fixtures/${relative}`, import.meta.url).pathname;
}

/** Reads real files; a missing file is an InputError naming it, as the CLI's source does. */
export function diskFileSource(): FileSource {
  const guard = async <T>(path: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new InputError("file not found", { file: path });
      throw e;
    }
  };
  return {
    readText: (path) => guard(path, () => Deno.readTextFile(path)),
    readBytes: (path) => guard(path, () => Deno.readFile(path)),
    stream: (path) => guard(path, async () => (await Deno.open(path)).readable),
    resolve: (base, relative) => joinPath(dirname(base), relative),
  };
}

/** Runs `run`, expects an InputError and returns it so the test can check its location. */
export async function inputError(run: () => unknown): Promise<InputError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected an InputError, nothing was thrown");
}
