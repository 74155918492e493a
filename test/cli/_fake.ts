// Test doubles for the CLI: engines that return fixture reports (or throw what a test asks), and an
// in-memory CliIo that captures stdout and stderr.
import type { Engines } from "../../src/app/types.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { CliIo } from "../../src/cli/program.ts";
import type { Report } from "../../src/report/types.ts";

export function fixture(name: string): Report {
  return JSON.parse(Deno.readTextFileSync(`test/fixtures/reports/${name}.json`)) as Report;
}

export interface Calls {
  run: { path: string; epochs?: number; verify?: boolean; budget?: number | null; tune?: boolean }[];
  data: unknown[];
  audit: unknown[];
}

/** Engines that answer with `report` (or throw `error`), recording what they were called with. */
export function fakeEngines(result: Report | Error | ((path: string) => Report), calls?: Calls): Engines {
  const answer = (path: string) => {
    if (result instanceof Error) return Promise.reject(result);
    return Promise.resolve(typeof result === "function" ? result(path) : structuredClone(result));
  };
  return {
    runScenario: (path, o) => {
      calls?.run.push({ path, epochs: o.epochs, verify: o.verify, budget: o.budget, tune: o.tune });
      o.progress?.({ phase: "train", epoch: 1, epochs: 1, loss: 0.5 });
      return answer(path);
    },
    checkData: (o) => {
      calls?.data.push({ ...o, source: undefined });
      return answer(o.train);
    },
    audit: (o) => {
      calls?.audit.push({ ...o, source: undefined });
      return answer(o.labels ?? o.history ?? "");
    },
  };
}

export interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
  written: Map<string, string>;
}

/** A CliIo over in-memory files; `files` keys are absolute paths under /u (the user's directory). */
export function memoryIo(
  files: Record<string, string>,
  options: { env?: Record<string, string>; terminal?: boolean } = {},
): Captured {
  let out = "", err = "";
  const written = new Map<string, string>();
  const source = memoryFileSource(files);
  const exists = (p: string) => p in files;
  const io: CliIo = {
    cwd: "/u",
    env: (name) => options.env?.[name],
    writeOut: (t) => void (out += t),
    writeErr: (t) => void (err += t),
    stdoutIsTerminal: options.terminal ?? false,
    stderrIsTerminal: false,
    columns: 80,
    galleryDir: "/u/gallery",
    source,
    listDir: (dir) => {
      const names = Object.keys(files).filter((p) => p.startsWith(dir + "/")).map((p) =>
        p.slice(dir.length + 1)
      );
      if (names.length === 0) return Promise.reject(new InputError("directory not found", { file: dir }));
      return Promise.resolve(names.filter((n) => !n.includes("/")));
    },
    writeFile: (path, text) => {
      written.set(path, text);
      return Promise.resolve();
    },
    checkWritable: (path, shown) =>
      path.startsWith("/u/")
        ? Promise.resolve()
        : Promise.reject(new InputError("directory does not exist", { file: shown })),
    checkReadable: (path, shown) =>
      exists(path) ? Promise.resolve() : Promise.reject(new InputError("file not found", { file: shown })),
    chartLibraries: () => Promise.resolve({ chartJs: "/* chart.js */", matrix: "/* matrix */" }),
    // The real reference pages: explain is tested on what ships.
    readDoc: (path) => Deno.readTextFile(new URL(`../../${path}`, import.meta.url)),
  };
  return { io, out: () => out, err: () => err, written };
}
