/**
 * Scenario metric modules run sandboxed (issue 18): each hostile module of ./hostile_metrics goes
 * through the real CLI as a process and must end in exit 2 with one stderr line naming the module,
 * the call and what it tried, with nothing written and well within its time limit; a well-behaved
 * module gives exactly the numbers it gives when imported in-process.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { denoMetricHost } from "../../src/cli/deno_metric_host.ts";
import { Rng } from "../../src/random.ts";

const ROOT = Deno.cwd();
const DENO = `${ROOT}/node_modules/deno/deno`;
const HOSTILE = `${ROOT}/test/cli/hostile_metrics`;

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "fitcheck-sandbox-" });
});
afterAll(() => Deno.remove(dir, { recursive: true }));

/** A two-epoch scenario in `dir` whose one metric is `module` (copied beside it). */
async function scenarioWith(module: string): Promise<string> {
  await Deno.copyFile(`${HOSTILE}/${module}`, `${dir}/${module}`);
  const path = `${dir}/${module.replace(/\.ts$/, ".json")}`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "sandboxed-metric",
      data: { generate: { kind: "blobs", samples: 40, features: 2, classes: 2 } },
      model: { layers: [{ units: 1, activation: "sigmoid" }] },
      loss: "binary-crossentropy",
      training: { epochs: 2 },
      metrics: [{ name: "my-score", module: `./${module}` }],
    }),
  );
  return path;
}

async function run(args: string[]) {
  const started = performance.now();
  const out = await new Deno.Command(DENO, {
    args: ["task", "-q", "diagnose", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", INIT_CWD: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).split("\n")
    .filter((l) => l.trim() !== "" && !l.includes("XDG_RUNTIME_DIR"));
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
    ms: performance.now() - started,
  };
}

const CASES: [string, RegExp][] = [
  [
    "reads_file.ts",
    /call 1 \(train predictions after epoch 2\): tried to read a file \(.*"\/etc\/hostname"\)$/,
  ],
  ["reads_file_at_import.ts", /loading the module: tried to read a file \(.*"\/etc\/passwd"\)$/],
  ["writes_file.ts", /call 1 \(.*\): tried to write a file \(.*written_by_metric\.txt"\)$/],
  ["reads_env.ts", /call 1 \(.*\): tried to read the environment \(.*"HOME"\)$/],
  ["opens_socket.ts", /call 1 \(.*\): tried to open a network connection \(.*127\.0\.0\.1:9"\)$/],
  ["spawns_process.ts", /call 1 \(.*\): tried to start a subprocess \(.*"touch"\)$/],
  ["uses_ffi.ts", /call 1 \(.*\): tried to load a native library \(FFI\)/],
  ["throws.ts", /call 1 \(.*\): threw Error: metric exploded$/],
  ["returns_string.ts", /call 1 \(.*\): returned a string, not a number$/],
  ["no_default.ts", /loading the module: does not export a default function \(yTrue, yPred\) => number$/],
];

describe("metric modules run in a worker without permissions", () => {
  for (const [module, line] of CASES) {
    test(`${module}: exit 2, one line naming the module, the call and what it tried; nothing written`, async () => {
      const scenario = await scenarioWith(module);
      const html = `${dir}/${module}.html`;
      const r = await run(["run", scenario, "--html", html]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toContain(`${module}: metric "my-score", `);
      expect(r.stderr[0]).toMatch(line);
      expect(r.stderr[0]).not.toContain("--allow-");
      const left = [...Deno.readDirSync(dir)].map((e) => e.name);
      expect(left.filter((n) => n.includes(".html") || n.includes("written_by_metric"))).toEqual([]);
      expect(() => Deno.statSync("/tmp/fitcheck-metric-spawned")).toThrow(Deno.errors.NotFound);
      // Each fails on its first call, long before the 10 s limit; the slack covers two Deno starts and
      // two epochs of training on a loaded 2-core machine.
      expect(r.ms).toBeLessThan(10_000 + 15_000);
    });
  }

  test("an endless loop is stopped at --metric-timeout: exit 2 within the limit plus start-up", async () => {
    const scenario = await scenarioWith("loops_forever.ts");
    const r = await run(["run", scenario, "--metric-timeout", "1", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toEqual([
      expect.stringMatching(
        /loops_forever\.ts: metric "my-score", call 1 \(train predictions after epoch 2\): did not return within 1 s/,
      ),
    ]);
    // The 1 s limit, plus the same slack as above.
    expect(r.ms).toBeLessThan(1_000 + 15_000);
  });

  test("a well-behaved module gives, in the sandbox, exactly the numbers it gives in-process", async () => {
    const path = `${ROOT}/examples/scenarios/metrics/one_vs_rest_accuracy.ts`;
    const direct = (await import(path)).default as (t: number[][], p: number[][]) => number;
    const rng = Rng.fromSeed(3).stream("test:sandbox");
    const rows = 37, cols = 4;
    const yTrue = {
      data: Float64Array.from({ length: rows }, () => Math.floor(rng.next() * cols)),
      rows,
      cols: 1,
    };
    const yPred = { data: Float64Array.from({ length: rows * cols }, () => rng.next()), rows, cols };
    const asRows = (m: typeof yPred) =>
      Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
    const metric = await denoMetricHost().load(path, { metric: "accuracy" });
    try {
      const sandboxed = await metric.call(yTrue, yPred, "a test call");
      expect(sandboxed).toBe(direct(asRows(yTrue), asRows(yPred)));
    } finally {
      metric.close();
    }
  });
});
