/**
 * Entry point of `npx deno task diagnose`: builds the Deno side of the CLI (files, streams, terminal,
 * environment) and runs src/cli/program.ts with the engines of src/cli/engines.ts.
 *
 * @module
 */
import { displayPath, fromFileUrl } from "./_path.ts";
import { atomicWriteTextFile, checkWritableTarget } from "./atomic_write.ts";
import { readChartLibraries } from "./chart_libraries.ts";
import { checkReadableFile, denoFileSource, listDirectory } from "./deno_file_source.ts";
import { createEngines } from "./engines.ts";
import { type CliIo, runCli } from "./program.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** The process side of the CLI, from Deno. */
export function denoCliIo(): CliIo {
  // `deno task` runs tasks in the project root; INIT_CWD is the directory the user typed the command in.
  const cwd = Deno.env.get("INIT_CWD") || Deno.cwd();
  const display = (path: string) => displayPath(path, cwd);
  const encoder = new TextEncoder();
  const write = (file: typeof Deno.stdout) => (text: string) => writeAllSync(file, encoder.encode(text));
  return {
    cwd,
    env: (name) => Deno.env.get(name),
    writeOut: write(Deno.stdout),
    writeErr: write(Deno.stderr),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    columns: Deno.stdout.isTerminal() ? Deno.consoleSize().columns : 80,
    galleryDir: fromFileUrl(new URL("../../examples/scenarios", import.meta.url)),
    source: denoFileSource({ display }),
    listDir: (path) => listDirectory(path, { display }),
    writeFile: (path, text, shown) => atomicWriteTextFile(path, text, { display: shown }),
    checkWritable: (path, shown) => checkWritableTarget(path, { display: shown }),
    checkReadable: (path, shown) => checkReadableFile(path, { display: () => shown }),
    chartLibraries: readChartLibraries,
    // The reference pages ship with the code: read beside this module, wherever the user runs from.
    readDoc: (path) => Deno.readTextFile(new URL(`../../${path}`, import.meta.url)),
  };
}

// A pipe may accept fewer bytes than asked; loop so a large --json document is never cut short.
function writeAllSync(file: typeof Deno.stdout, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

if (import.meta.main) {
  // Before any adapter is requested: keeps libwayland's XDG_RUNTIME_DIR complaint off stderr.
  const cleanup = await ensureRuntimeDir();
  const io = denoCliIo();
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // not granted by --allow-env: as if unset
    }
  };
  const code = await runCli(
    Deno.args,
    io,
    createEngines({
      display: (path) => displayPath(path, io.cwd),
      env,
      note: (line) => io.writeErr(line + "\n"),
      workerLanesCwd: io.cwd,
    }),
  );
  await cleanup();
  Deno.exit(code);
}
