/**
 * Entry point of `deno task diagnose`: runs src/cli/main.ts in a second Deno process that may read
 * only the files this command line names (and the project's own folders), write only the outputs it
 * names, and read only the environment variables fitcheck uses (src/cli/permissions.ts). Deno's
 * permission flags are fixed when a process starts and `deno.json` tasks are static, so a task cannot
 * name the user's files itself; this launcher needs only INIT_CWD (to resolve relative paths), read
 * access to node_modules (to find its real path) and the right to start Deno itself
 * (`--allow-run=./node_modules/deno/deno`), plus, for the display-server probe of src/cli/runtime_dir.ts,
 * `XDG_RUNTIME_DIR` / `TMPDIR` and write access to /tmp, and XDG_CACHE_HOME / HOME to find the tuning
 * cache's directory: the launcher (trusted code only) makes the
 * private runtime directory, so the CLI it starts needs no write access to the temporary directory.
 *
 * @module
 */
import { fromFileUrl } from "./_path.ts";
import { denoPermissionFlags, permissionsFor } from "./permissions.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";
import { tuningCacheDir } from "./tuning_cache.ts";

if (import.meta.main) {
  const root = fromFileUrl(new URL("../..", import.meta.url)).replace(/\/$/, "");
  const cwd = Deno.env.get("INIT_CWD") || Deno.cwd();
  const cacheDir = tuningCacheDir((name) => Deno.env.get(name));
  const grants = permissionsFor(Deno.args, { cwd, root, cacheDir });
  // node_modules may be a symlink (a shared install); Deno checks reads against the real path.
  const modules = Deno.realPathSync(`${root}/node_modules`);
  if (!grants.read.includes(modules)) grants.read.push(modules);
  const comma = [...grants.read, ...grants.write].find((p) => p.includes(","));
  if (comma !== undefined) {
    // Deno's permission lists are comma-separated; such a path cannot be granted alone.
    console.error(`fitcheck: ${comma}: a path with a comma cannot be given to fitcheck; rename or move it`);
    Deno.exit(2);
  }
  // Inherited by the child (Deno.Command passes the environment on): keeps libwayland's complaint off stderr.
  const cleanupRuntimeDir = await ensureRuntimeDir();
  const child = new Deno.Command(`${root}/node_modules/deno/deno`, {
    args: [
      "run",
      "--no-prompt",
      `--config=${root}/deno.json`,
      ...denoPermissionFlags(grants),
      `${root}/src/cli/main.ts`,
      ...Deno.args,
    ],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  await cleanupRuntimeDir();
  Deno.exit(code);
}
