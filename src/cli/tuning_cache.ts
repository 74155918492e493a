/**
 * The CLI's matmul tuning cache (src/kernels/tuning.ts): one JSON file,
 * `$XDG_CACHE_HOME/fitcheck/matmul-tuning.json` (else `~/.cache/fitcheck/matmul-tuning.json`), holding
 * the measured choices of every adapter key. Deleting the directory makes the next run measure
 * again. A corrupt or foreign file is ignored with one note (and replaced at the next write); a cache
 * that cannot be written costs speed, never the run.
 *
 * @module
 */
import { z } from "zod";
import type { TunedChoices, TuningCache } from "../kernels/tuning.ts";
import { atomicWriteTextFile } from "./atomic_write.ts";

/** The file's schema tag. */
export const TUNING_CACHE_SCHEMA = "fitcheck.matmul-tuning/v1";
/** The cache file's name inside the cache directory. */
export const TUNING_CACHE_FILE = "matmul-tuning.json";

const VARIANT = z.enum(["blocked", "vec4", "texture", "tiled"]);
const FILE = z.object({
  schema: z.literal(TUNING_CACHE_SCHEMA),
  adapters: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        variant: VARIANT,
        medianMs: z.partialRecord(VARIANT, z.number()),
        rounds: z.number().int().positive(),
      }),
    ),
  ),
});
type CacheFile = z.infer<typeof FILE>;

/**
 * The cache directory: `$XDG_CACHE_HOME/fitcheck`, else `$HOME/.cache/fitcheck` (the XDG Base
 * Directory default); null when neither variable is set.
 */
export function tuningCacheDir(env: (name: string) => string | undefined): string | null {
  const xdg = env("XDG_CACHE_HOME");
  // The spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith("/")) return `${xdg.replace(/\/+$/, "")}/fitcheck`;
  const home = env("HOME");
  return home ? `${home.replace(/\/+$/, "")}/.cache/fitcheck` : null;
}

/** Options of {@linkcode FileTuningCache}. */
export interface FileTuningCacheOptions {
  /** Receives one line per problem (corrupt file, unwritable directory); the CLI prints it on stderr. */
  note?: (line: string) => void;
}

/** A {@linkcode TuningCache} in one JSON file of `dir`, written atomically. */
export class FileTuningCache implements TuningCache {
  readonly path: string;
  readonly #dir: string;
  readonly #note: (line: string) => void;
  #noted = new Set<string>();

  constructor(dir: string, options: FileTuningCacheOptions = {}) {
    this.#dir = dir;
    this.path = `${dir}/${TUNING_CACHE_FILE}`;
    this.#note = options.note ?? (() => {});
  }

  async read(key: string): Promise<TunedChoices | null> {
    return (await this.#load()).adapters[key] ?? null;
  }

  async write(key: string, choices: TunedChoices): Promise<void> {
    try {
      const file = await this.#load();
      file.adapters[key] = choices;
      await Deno.mkdir(this.#dir, { recursive: true });
      await atomicWriteTextFile(this.path, JSON.stringify(file, null, 1) + "\n");
    } catch (e) {
      this.#once(
        `fitcheck: could not write the tuning cache ${this.path} (${describe(e)}); tuning again next run`,
      );
    }
  }

  async #load(): Promise<CacheFile> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        this.#once(`fitcheck: ignoring the tuning cache ${this.path} (${describe(e)})`);
      }
      return empty();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      this.#once(
        `fitcheck: ignoring the tuning cache ${this.path} (not valid JSON: ${describe(e)}); it is rewritten`,
      );
      return empty();
    }
    const parsed = FILE.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
      this.#once(
        `fitcheck: ignoring the tuning cache ${this.path} (${issue.message}${where}); it is rewritten`,
      );
      return empty();
    }
    return parsed.data;
  }

  #once(line: string): void {
    if (this.#noted.has(line)) return;
    this.#noted.add(line);
    this.#note(line);
  }
}

function empty(): CacheFile {
  return { schema: TUNING_CACHE_SCHEMA, adapters: {} };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}
