/**
 * `npx deno task bundle`: builds the browser playground from the same `src/` the CLI runs.
 *
 * - `examples/browser/main.ts` (the page, which imports the core from src/ and Chart.js from
 *   node_modules) → `examples/browser/dist/main.js`, with `deno bundle --platform browser`;
 * - `src/browser/metric_worker_entry.ts` → `dist/metric_worker.js`, the Web Worker a module metric runs in;
 * - each module metric of the gallery (`examples/scenarios/metrics/*.ts`) → `dist/metrics/*.js`, so
 *   the page can `import()` what the CLI imports as TypeScript;
 * - the gallery index `dist/gallery.json`: file, name, description and expected codes of every
 *   scenario, so the page can list them without fetching each file.
 *
 * On failure it prints one line (`bundle: ...`) and exits 2.
 *
 * @module
 */

/** One scenario of the generated gallery index. */
export interface GalleryIndexEntry {
  /** File name in examples/scenarios/ ("a0-ex1-mse-on-multiclass.json"). */
  file: string;
  name: string;
  description: string;
  /** `expect.findings`; empty for a healthy control. */
  expected: string[];
}

/** Options of {@linkcode bundle} and {@linkcode bundleIsStale}. */
export interface BundleOptions {
  /** The project root (default: the parent of scripts/). */
  root?: string;
  /**
   * The deno binary (default: the project's `node_modules/deno/deno`, the one path the task's
   * `--allow-run` names; `Deno.execPath()` may be its real path behind a symlinked node_modules).
   */
  deno?: string;
}

/** What went wrong while bundling, in one line. */
export class BundleError extends Error {
  override name = "BundleError";
}

const DEFAULT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Builds everything the playground loads into `examples/browser/dist/`.
 *
 * @throws {BundleError} when deno bundle fails or a gallery file is not valid JSON.
 * @example
 * ```ts ignore
 * const { files } = await bundle();
 * ```
 */
export async function bundle(options: BundleOptions = {}): Promise<{ outDir: string; files: string[] }> {
  const root = options.root ?? DEFAULT_ROOT;
  const deno = options.deno ?? `${DEFAULT_ROOT}/node_modules/deno/deno`;
  const outDir = `${root}/examples/browser/dist`;
  await Deno.mkdir(`${outDir}/metrics`, { recursive: true });
  const files: string[] = [];

  await denoBundle(deno, root, [`${root}/examples/browser/main.ts`], ["-o", `${outDir}/main.js`]);
  files.push(`${outDir}/main.js`);
  // The Web Worker each module metric runs in, away from the page (src/browser/web_metric_host.ts).
  await denoBundle(deno, root, [`${root}/src/browser/metric_worker_entry.ts`], [
    "-o",
    `${outDir}/metric_worker.js`,
  ]);
  files.push(`${outDir}/metric_worker.js`);

  const metrics = (await listNames(`${root}/examples/scenarios/metrics`)).filter((n) => n.endsWith(".ts"));
  for (const name of metrics) {
    const out = `${outDir}/metrics/${name.replace(/\.ts$/, ".js")}`;
    await denoBundle(deno, root, [`${root}/examples/scenarios/metrics/${name}`], ["-o", out]);
    files.push(out);
  }

  const index = await galleryIndex(`${root}/examples/scenarios`);
  await Deno.writeTextFile(`${outDir}/gallery.json`, JSON.stringify(index, null, 2) + "\n");
  files.push(`${outDir}/gallery.json`);
  return { outDir, files };
}

/** The gallery index of `dir`: every `*.json` scenario, in code-point order of file name. */
export async function galleryIndex(dir: string): Promise<GalleryIndexEntry[]> {
  const names = (await listNames(dir)).filter((n) => n.endsWith(".json")).sort((
    a,
    b,
  ) => (a < b ? -1 : a > b ? 1 : 0));
  const out: GalleryIndexEntry[] = [];
  for (const file of names) {
    let json: { name?: unknown; description?: unknown; expect?: { findings?: unknown } };
    try {
      json = JSON.parse(await Deno.readTextFile(`${dir}/${file}`));
    } catch (e) {
      throw new BundleError(`${dir}/${file}: not valid JSON: ${(e as Error).message}`);
    }
    const expected = json.expect?.findings;
    out.push({
      file,
      name: typeof json.name === "string" ? json.name : file.replace(/\.json$/, ""),
      description: typeof json.description === "string" ? json.description : "",
      expected: Array.isArray(expected) ? expected.filter((c): c is string => typeof c === "string") : [],
    });
  }
  return out;
}

/**
 * True when `dist/` is missing an output or any input (src/, shaders/, the page's TypeScript, the
 * gallery's scenarios and metrics) is newer than the oldest output.
 */
export async function bundleIsStale(options: BundleOptions = {}): Promise<boolean> {
  const root = options.root ?? DEFAULT_ROOT;
  const outDir = `${root}/examples/browser/dist`;
  const outputs = [`${outDir}/main.js`, `${outDir}/gallery.json`];
  for (const n of await listNames(`${root}/examples/scenarios/metrics`)) {
    if (n.endsWith(".ts")) outputs.push(`${outDir}/metrics/${n.replace(/\.ts$/, ".js")}`);
  }
  let oldest = Infinity;
  for (const f of outputs) {
    const t = await mtime(f);
    if (t === null) return true;
    oldest = Math.min(oldest, t);
  }
  const inputs = [
    `${root}/src`,
    `${root}/shaders`,
    `${root}/examples/browser`,
    `${root}/examples/scenarios`,
  ];
  for (const dir of inputs) {
    if ((await newestUnder(dir, outDir)) > oldest) return true;
  }
  return false;
}

async function denoBundle(deno: string, root: string, entries: string[], output: string[]): Promise<void> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(deno, {
      args: ["bundle", "--quiet", "--platform", "browser", "--format", "esm", ...output, ...entries],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new BundleError(`could not run ${deno}: ${(e as Error).message}`);
  }
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr);
    // deno prints a warning that bundle is experimental first; the error is the first line that says so.
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/experimental/i.test(l));
    const line = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? `exit code ${result.code}`;
    throw new BundleError(
      `deno bundle ${entries.map((e) => e.slice(root.length + 1)).join(" ")} failed: ${line}`,
    );
  }
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return names.sort();
}

async function mtime(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The newest modification time of any file under `dir`, skipping `exclude` (the outputs). */
async function newestUnder(dir: string, exclude: string): Promise<number> {
  let newest = 0;
  let entries: AsyncIterable<Deno.DirEntry>;
  try {
    entries = Deno.readDir(dir);
    for await (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (path === exclude) continue;
      if (e.isDirectory) newest = Math.max(newest, await newestUnder(path, exclude));
      else if (e.isFile) newest = Math.max(newest, (await mtime(path)) ?? 0);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
  return newest;
}

if (import.meta.main) {
  try {
    const started = performance.now();
    const { files } = await bundle();
    const ms = Math.round(performance.now() - started);
    console.error(`bundle: ${files.length} files in examples/browser/dist/ (${ms} ms)`);
  } catch (e) {
    console.error(`bundle: ${e instanceof BundleError ? e.message : String(e).split("\n")[0]}`);
    Deno.exit(2);
  }
}
