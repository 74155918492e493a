/**
 * What one `diagnose` invocation may touch, computed from its command line: read access to the files
 * the user named (and, for a scenario, its folder: its data and metric modules are beside it), write
 * access to the outputs they named (with the temporary file the atomic write uses beside each), the
 * environment variables fitcheck reads by name, and nothing else: no network, no subprocess, no FFI.
 * src/cli/launch.ts runs src/cli/main.ts with exactly these (README, "What a run may touch").
 *
 * Adding a flag that names a file to read is one line in {@linkcode READ_FLAGS}; one that names a file
 * to write, one entry in {@linkcode WRITE_FLAGS}.
 *
 * @module
 */
import { dirname, joinPath } from "../io.ts";
import { atomicTempPath } from "./atomic_write.ts";

/** The paths a flag's value lets the run read. A directory grants everything below it (Deno's rule). */
type ReadGrant = (path: string) => string[];

const file: ReadGrant = (path) => [path];
/** A file and the folder it sits in: a scenario (its data and modules), a tfjs model.json (its .bin shards). */
const fileAndFolder: ReadGrant = (path) => [path, dirname(path)];

/** Flags whose value is a path fitcheck reads. */
export const READ_FLAGS: Readonly<Record<string, ReadGrant>> = {
  "--train": file,
  "--validation": file,
  "--data": file,
  "--labels": file,
  "--predictions": file,
  // A log file, or a run directory of TensorBoard event files (the directory grants what is below it).
  "--history": file,
  // .keras / .h5 / .onnx are one file; a tfjs model.json names weight files beside it.
  "--model": (path) => (/\.json$/i.test(path) ? fileAndFolder(path) : file(path)),
  "--scenarios": file,
};

/** Flags whose value is a file fitcheck writes, atomically (src/cli/atomic_write.ts). */
export const WRITE_FLAGS: readonly string[] = ["--html", "--out"];

/** Subcommands whose positional argument is a path, and what it grants. */
const POSITIONAL_READS: Readonly<Record<string, ReadGrant>> = { run: fileAndFolder };

/** Options that take no value; every other option takes one (commander's `--name <value>`). */
const BOOLEAN_FLAGS = new Set([
  "--json",
  "--verify",
  "--from-logits",
  "--no-tune",
  "--initial-weights",
  "--help",
  "-h",
  "--version",
  "-V",
]);

/** The project folders fitcheck itself reads at run time (gallery, chart libraries, docs, metric worker). */
const PROJECT_READS = ["src", "shaders", "examples", "docs", "node_modules"];

/**
 * The environment variables fitcheck reads, by name: INIT_CWD (the user's directory under
 * `deno task`), NO_COLOR, COLUMNS, DEBUG (stack traces), and FORCE_COLOR / CLICOLOR_FORCE, which
 * commander consults for its help text, and XDG_RUNTIME_DIR (src/cli/runtime_dir.ts: the launcher sets
 * it; the CLI only checks that it is there), and XDG_CACHE_HOME / HOME, where the matmul tuning cache lives
 * (src/cli/tuning_cache.ts).
 */
export const ENV_NAMES: readonly string[] = [
  "INIT_CWD",
  "NO_COLOR",
  "COLUMNS",
  "DEBUG",
  "FORCE_COLOR",
  "CLICOLOR_FORCE",
  "XDG_RUNTIME_DIR",
  "XDG_CACHE_HOME",
  "HOME",
];

/** Absolute paths to grant, per kind. */
export interface Grants {
  read: string[];
  write: string[];
  env: string[];
}

/**
 * The grants for `argv` (the arguments after `diagnose`); relative paths resolve against `cwd`, the
 * project's own folders against `root`; `cacheDir` is the tuning cache's directory (none: no grant).
 *
 * @example
 * ```ts
 * const g = permissionsFor(["run", "s/x.json", "--html", "r.html"], { cwd: "/home/u", root: "/opt/fitcheck" });
 * g.write; // ["/home/u/r.html", "/home/u/.r.html.fitcheck-tmp"]
 * ```
 */
export function permissionsFor(
  argv: readonly string[],
  where: { cwd: string; root: string; cacheDir?: string | null },
): Grants {
  const read = PROJECT_READS.map((p) => `${where.root}/${p}`);
  const write: string[] = [];
  // The matmul tuning cache (src/cli/tuning_cache.ts): the one place a run writes unasked, the
  // user's cache directory; `--no-tune` still reads nothing else.
  if (where.cacheDir) {
    read.push(where.cacheDir);
    write.push(where.cacheDir);
  }
  const abs = (p: string) => joinPath(where.cwd, p);
  let command: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (BOOLEAN_FLAGS.has(name)) continue;
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") continue;
      if (READ_FLAGS[name]) read.push(...READ_FLAGS[name](abs(value)));
      if (WRITE_FLAGS.includes(name)) {
        // Read too: the pre-flight check stats the target, and Deno's rename needs read access to both.
        const paths = [abs(value), atomicTempPath(abs(value))];
        write.push(...paths);
        read.push(...paths);
      }
      continue;
    }
    if (command === null) {
      command = arg;
      continue;
    }
    const positional = POSITIONAL_READS[command];
    if (positional) read.push(...positional(abs(arg)));
  }
  return { read: unique(read), write: unique(write), env: [...ENV_NAMES] };
}

/** Deno's permission flags for `grants`; a kind with nothing to grant gets no flag. */
export function denoPermissionFlags(grants: Grants): string[] {
  const flag = (
    name: string,
    values: string[],
  ) => (values.length ? [`--allow-${name}=${values.join(",")}`] : []);
  return [...flag("read", grants.read), ...flag("write", grants.write), ...flag("env", grants.env)];
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
