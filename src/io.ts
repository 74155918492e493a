import { InputError } from "./errors.ts";

/**
 * How the runtime-neutral core reads user files. The CLI passes a Deno implementation, the browser
 * a fetch / File based one, tests an in-memory one. Paths are absolute (or URLs in the browser);
 * implementations throw `InputError` naming the path when a file is missing or unreadable.
 */
export interface FileSource {
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  /** Byte stream, for files too large to hold as one string (CSV of hundreds of MB). */
  stream(path: string): Promise<ReadableStream<Uint8Array>>;
  /** Resolves `relative` against the directory of `base` (a file path). */
  resolve(base: string, relative: string): string;
  /**
   * The entries of directory `path`, or null when `path` is a file (a TensorBoard run directory is
   * read through this). Optional: a source that cannot list directories leaves it out.
   */
  list?(path: string): Promise<DirectoryEntry[] | null>;
}

/** One entry of a directory listing. */
export interface DirectoryEntry {
  name: string;
  directory: boolean;
}

/** An in-memory FileSource for tests and the browser playground (uploaded files). */
export function memoryFileSource(files: Record<string, string | Uint8Array>): FileSource {
  const encoder = new TextEncoder();
  const get = (path: string): Uint8Array => {
    const f = files[path];
    if (f === undefined) throw new MissingFileError(path);
    return typeof f === "string" ? encoder.encode(f) : f;
  };
  return {
    readText: (path) => Promise.resolve(new TextDecoder().decode(get(path))),
    readBytes: (path) => Promise.resolve(get(path)),
    stream: (path) => {
      const bytes = get(path);
      return Promise.resolve(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }),
      );
    },
    resolve: (base, relative) => joinPath(dirname(base), relative),
    list: (path) => {
      // A directory is the common prefix of some file paths; its entries are their next segments.
      if (files[path] !== undefined) return Promise.resolve(null);
      const prefix = path.endsWith("/") ? path : path + "/";
      const entries = new Map<string, boolean>();
      for (const key of Object.keys(files)) {
        if (!key.startsWith(prefix)) continue;
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf("/");
        entries.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
      }
      if (entries.size === 0) return Promise.reject(new MissingFileError(path));
      return Promise.resolve([...entries].map(([name, directory]) => ({ name, directory })));
    },
  };
}

class MissingFileError extends InputError {
  constructor(path: string) {
    super("file not found", { file: path });
  }
}

/** POSIX-style dirname that also works on URLs. */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

/** The last segment of a path or URL: the file's name. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Joins and normalises `.` and `..`; an absolute `relative` wins. */
export function joinPath(dir: string, relative: string): string {
  if (relative.startsWith("/") || /^[a-z]+:\/\//i.test(relative)) return relative;
  const m = /^([a-z]+:\/\/[^/]*)(.*)$/i.exec(dir);
  const prefix = m ? m[1] : "";
  const rest = m ? m[2] : dir;
  const absolute = prefix !== "" || rest.startsWith("/");
  const parts = rest.split("/").filter((seg) => seg !== "" && seg !== ".");
  for (const seg of relative.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (seg === ".." && absolute) continue; // nothing above the root
    else parts.push(seg);
  }
  return prefix + (absolute ? "/" : "") + parts.join("/");
}
