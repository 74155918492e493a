/**
 * The bad-input corpus (issue 8, item 1), run through the real CLI as a user runs it: a separate
 * Deno process per case, with its real exit code, stdout and stderr. Every case of cases.json must
 * give its exit code and, for exit 2, exactly one line on stderr that contains what the case names
 * (file, line/row, field, value), no stack trace, nothing on stdout, and no output file left behind.
 * The cases that are valid for a serious tool (BOM, CRLF, quoted separators, ...) must work and read
 * the numbers right, checked in the --json report.
 *
 * Processes run four at a time: each spends most of its ~0.3 s starting Deno, so the corpus takes a
 * few seconds instead of half a minute.
 */
import { beforeAll, describe, expect, test } from "vitest";

interface Case {
  name: string;
  argv: string[];
  exit: number | number[];
  contains: string[];
  bad?: string[];
  valid?: string[];
  uses?: string[];
  works?: boolean;
  json?: Record<string, unknown>;
  stdoutTo?: string;
  note?: string;
}

interface Outcome {
  code: number;
  stdout: string;
  /** stderr lines, without the GPU driver's harmless XDG_RUNTIME_DIR warning (ENVIRONMENT.md). */
  stderr: string[];
  /** Files in the case's $OUT directory afterwards. */
  outFiles: string[];
  /** Size of the stdoutTo file, when the case redirects stdout. */
  redirectedBytes?: number;
  ms: number;
}

const ROOT = Deno.cwd();
const DIR = `${ROOT}/test/bad_inputs`;
const DENO = `${ROOT}/node_modules/deno/deno`;
const CASES: Case[] = JSON.parse(Deno.readTextFileSync(`${DIR}/cases.json`)).cases;
/** Files of the folder that are not corpus: the manifest, this test, the .npy generator. */
const NOT_CORPUS = new Set(["cases.json", "corpus.test.ts", "make_npy.py"]);
const IN_FLIGHT = 4;

async function runCase(c: Case): Promise<Outcome> {
  const out = await Deno.makeTempDir({ prefix: "fitcheck-corpus-" });
  try {
    const argv = c.argv.map((a) => a.replaceAll("$OUT", out));
    const cli = [DENO, "run", "-A", `--config=${ROOT}/deno.json`, `${ROOT}/src/cli/main.ts`, ...argv];
    const redirect = c.stdoutTo === undefined ? undefined : `${out}/${c.stdoutTo}`;
    // `--json > OUT` through a real shell: the shell creates OUT before fitcheck starts.
    const [command, args] = redirect === undefined
      ? [cli[0], cli.slice(1)]
      : ["sh", ["-c", 'exec "$@" > "$FITCHECK_STDOUT"', "sh", ...cli]];
    const started = performance.now();
    const result = await new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { INIT_CWD: DIR, NO_COLOR: "1", ...(redirect ? { FITCHECK_STDOUT: redirect } : {}) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - started;
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    const stderr = decode(result.stderr).split("\n").filter((l) =>
      l !== "" && !l.includes("XDG_RUNTIME_DIR")
    );
    const outFiles: string[] = [];
    for await (const e of Deno.readDir(out)) if (`${out}/${e.name}` !== redirect) outFiles.push(e.name);
    const redirectedBytes = redirect === undefined ? undefined : (await Deno.stat(redirect)).size;
    const stdout = redirect === undefined ? decode(result.stdout) : await Deno.readTextFile(redirect);
    return { code: result.code, stdout, stderr, outFiles, redirectedBytes, ms };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/** `findings[0].evidence.columns[0].nan` in a parsed report. */
function at(doc: unknown, path: string): unknown {
  let v = doc;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

async function listCorpus(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) files.push(...await listCorpus(`${dir}/${e.name}`, `${rel}/`));
    else if (!NOT_CORPUS.has(rel)) files.push(rel);
  }
  return files.sort();
}

const outcomes = new Map<string, Outcome>();
let wallMs = 0;

beforeAll(async () => {
  const started = performance.now();
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) outcomes.set(c.name, await runCase(c));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  wallMs = performance.now() - started;
  const slowest = [...outcomes.entries()].sort((a, b) => b[1].ms - a[1].ms)[0];
  console.log(
    `bad-input corpus: ${CASES.length} cases in ${(wallMs / 1000).toFixed(1)} s ` +
      `(${IN_FLIGHT} in flight; slowest ${slowest[0]} ${(slowest[1].ms / 1000).toFixed(1)} s)`,
  );
}, 300_000);

describe("the corpus", () => {
  test("holds at least 40 bad files, and every file in the folder is used by a case", async () => {
    const bad = new Set(CASES.flatMap((c) => c.bad ?? []));
    expect(bad.size).toBeGreaterThanOrEqual(40);
    const used = new Set(CASES.flatMap((c) => [...(c.bad ?? []), ...(c.valid ?? []), ...(c.uses ?? [])]));
    const files = await listCorpus(DIR);
    expect(files.filter((f) => !used.has(f)), "files no case uses").toEqual([]);
    expect([...used].filter((f) => !files.includes(f)), "files cases name that do not exist").toEqual([]);
    expect(new Set(CASES.map((c) => c.name)).size, "case names are unique").toBe(CASES.length);
  });
});

describe.each(CASES.filter((c) => !c.works))("bad input $name", (c) => {
  test("exit code, one clear line on stderr, nothing on stdout, no output file", () => {
    const o = outcomes.get(c.name)!;
    const line = o.stderr[0] ?? "";
    expect(o.code, `stderr: ${o.stderr.join("\n")}`).toBe(c.exit);
    expect(o.stderr, "exactly one line on stderr").toHaveLength(1);
    expect(line).toMatch(/^fitcheck: /);
    expect(line).not.toMatch(/^\s+at |internal error|\[object |undefined|NaN:/);
    for (const part of c.contains) expect(line).toContain(part);
    expect(o.stdout, "nothing on stdout").toBe("");
    if (o.redirectedBytes !== undefined) expect(o.redirectedBytes, "the redirected --json output").toBe(0);
    expect(o.outFiles, "files left in $OUT").toEqual([]);
  });
});

describe.each(CASES.filter((c) => c.works))("valid but unusual input $name", (c) => {
  test("works, and the numbers read are right", () => {
    const o = outcomes.get(c.name)!;
    expect(c.exit as number[], `stderr: ${o.stderr.join("\n")}`).toContain(o.code);
    expect(o.stderr, "nothing on stderr").toEqual([]);
    const report = JSON.parse(o.stdout);
    for (const [path, expected] of Object.entries(c.json ?? {})) {
      expect(at(report, path), path).toEqual(expected);
    }
  });
});
