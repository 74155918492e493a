/**
 * The browser's {@linkcode FileSource}: files are URLs fetched from the server that serves the page
 * (the gallery's scenarios and data under `examples/`); module metrics run in a Web Worker
 * (./web_metric_host.ts). Every failure the user can cause (a 404, an unreachable server) is an
 * InputError naming the URL.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { dirname, type FileSource, joinPath } from "../io.ts";

/** Options of {@linkcode fetchFileSource}. */
export interface FetchFileSourceOptions {
  /** The fetch to use (default: `globalThis.fetch`); tests inject one. */
  fetch?: typeof globalThis.fetch;
}

/**
 * A FileSource over `fetch`. Paths are absolute URLs; `resolve` joins relative paths against the
 * directory of a URL exactly as the CLI joins file paths.
 *
 * @example
 * ```ts ignore
 * const source = fetchFileSource();
 * const text = await source.readText(new URL("../scenarios/x.json", location.href).href);
 * ```
 */
export function fetchFileSource(options: FetchFileSourceOptions = {}): FileSource {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const get = async (url: string): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(url);
    } catch (e) {
      throw new InputError(`could not fetch: ${firstLine(e)}`, { file: url });
    }
    if (!response.ok) {
      await response.body?.cancel();
      const what = response.status === 404 ? "file not found" : `could not fetch`;
      throw new InputError(`${what} (HTTP ${response.status} ${response.statusText})`.trim(), { file: url });
    }
    return response;
  };
  return {
    readText: async (url) => await (await get(url)).text(),
    readBytes: async (url) => new Uint8Array(await (await get(url)).arrayBuffer()),
    stream: async (url) => {
      const response = await get(url);
      if (response.body) return response.body;
      // A body-less 200 (HEAD-like responses, some test doubles) is an empty file, not a crash.
      return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    },
    resolve: (base, relative) => joinPath(dirname(base), relative),
  };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0];
}
