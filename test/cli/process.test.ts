// The CLI as a user runs it: a separate Deno process, real stdout/stderr/exit code.
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const DENO = "node_modules/deno/deno";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  args: string[],
  options: { entry?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<Result> {
  const root = Deno.cwd();
  const entry = `${root}/${options.entry ?? "src/cli/main.ts"}`;
  const out = await new Deno.Command(`${root}/${DENO}`, {
    args: ["run", "-A", `--config=${root}/deno.json`, entry, ...args],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  // Deno on these machines may print an XDG_RUNTIME_DIR warning (see ENVIRONMENT.md): not ours.
  const stderr = decode(out.stderr).split("\n").filter((l) => !l.includes("XDG_RUNTIME_DIR")).join("\n");
  return { code: out.code, stdout: decode(out.stdout), stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "fitcheck-cli-" });
  await Deno.writeTextFile(`${dir}/s.json`, "{}");
});
afterAll(() => Deno.remove(dir, { recursive: true }));

describe("diagnose (real entry point)", () => {
  test("--help shows commands and examples; --version prints 0.1.0 on every command", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /Commands:[\s\S]*run \[options\] \[file\][\s\S]*init \[options\][\s\S]*Examples:/,
    );
    for (const sub of [[], ["run"], ["data"], ["audit"]]) {
      const v = await cli([...sub, "--version"]);
      expect([v.code, v.stdout]).toEqual([0, "0.1.0\n"]);
    }
  });

  test("bad usage: exit 2, one line on stderr, no stack trace", async () => {
    const r = await cli(["run", "s.json", "--epochs", "ten"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      'fitcheck: --epochs: expected a positive integer, got "ten"',
    ]);
    expect(r.stdout).toBe("");
  });

  test("a missing file: exit 2 naming it as typed, relative to INIT_CWD", async () => {
    const r = await cli(["data", "--train", "nope.csv", "--target", "y"], { env: { INIT_CWD: dir } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("fitcheck: nope.csv: file not found");
  });

  test("a scenario missing its required keys: exit 2, one line naming the file and the key", async () => {
    const r = await cli(["run", "s.json", "--json"], { env: { INIT_CWD: dir } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("s.json");
    expect(r.stderr).toContain("name");
  });

  test("run --json trains on WebGPU and prints one report whose every consistency check passed", async () => {
    await Deno.writeTextFile(
      `${dir}/blobs.json`,
      JSON.stringify({
        name: "cli-blobs",
        data: { generate: { kind: "blobs", samples: 200, features: 2, classes: 3 } },
        model: { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] },
        loss: "sparse-categorical-crossentropy",
        optimizer: { name: "adam", learningRate: 0.01 },
        training: { epochs: 3, batchSize: 32 },
        metrics: ["accuracy"],
      }),
    );
    const r = await cli(["run", "blobs.json", "--json"], { env: { INIT_CWD: dir } });
    expect([0, 1]).toContain(r.code);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe("fitcheck.report/v1");
    expect(report.scenario.name).toBe("cli-blobs");
    expect(report.history).toHaveLength(3);
    expect(report.consistency.length).toBeGreaterThan(0);
    expect(report.consistency.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(report.adapter.description.length).toBeGreaterThan(0);
  });

  test("the gallery's second lane runs in a worker: its entries train, bad input keeps its location", async () => {
    // Lanes take entries in name order as they free up: the main lane starts on a-, the worker on b-.
    const gallery = `${dir}/lanes`;
    await Deno.mkdir(gallery, { recursive: true });
    const scenario = (name: string) => ({
      name,
      seed: 3,
      data: { generate: { kind: "blobs", samples: 120, features: 2, classes: 3 } },
      model: { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] },
      loss: "sparse-categorical-crossentropy",
      optimizer: { name: "adam", learningRate: 0.01 },
      training: { epochs: 2, batchSize: 32 },
      metrics: ["accuracy"],
    });
    await Deno.writeTextFile(`${gallery}/a-main.json`, JSON.stringify(scenario("a-main")));
    await Deno.writeTextFile(
      `${gallery}/b-worker.json`,
      JSON.stringify({ ...scenario("b-worker"), loss: "msq" }),
    );
    await Deno.writeTextFile(`${gallery}/c-either.json`, JSON.stringify(scenario("c-either")));
    const r = await cli(["--scenarios", "lanes", "--json"], { env: { INIT_CWD: dir } });
    const entries = JSON.parse(r.stdout).scenarios as { name: string; ok: boolean; error?: string }[];
    expect(entries.map((e) => e.name)).toEqual(["a-main", "b-worker", "c-either"]);
    expect(entries[1].error).toMatch(/^lanes\/b-worker\.json: .*field "loss"/);
    // A healthy blobs run expects no findings; ok or not, it trained and was diagnosed on its lane.
    for (const e of [entries[0], entries[2]]) expect(e.error).toBeUndefined();
    expect(r.code).toBe(1);
  });
});

describe("diagnose audit (the real audit engine)", () => {
  beforeAll(async () => {
    await Deno.writeTextFile(`${dir}/y.csv`, "0\n1\n2\n1\n0\n2\n1\n0\n");
    await Deno.writeTextFile(
      `${dir}/p.csv`,
      "0.8,0.1,0.1\n0.1,0.8,0.1\n0.1,0.1,0.8\n0.2,0.7,0.1\n0.7,0.2,0.1\n0.1,0.2,0.7\n0.6,0.3,0.1\n0.9,0.05,0.05\n",
    );
    await Deno.writeTextFile(
      `${dir}/h.csv`,
      "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,0.6,0.9\n1,0.7,0.7,0.875,0.4\n",
    );
  });

  test("--json: one audit report on stdout, nothing on stderr", async () => {
    const r = await cli([
      "audit",
      "--labels",
      "y.csv",
      "--predictions",
      "p.csv",
      "--history",
      "h.csv",
      "--json",
    ], {
      env: { INIT_CWD: dir },
    });
    expect(r.stderr.trim()).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.mode).toBe("audit");
    expect(r.code).toBe(report.findings.some((f: { severity: string }) => f.severity === "error") ? 1 : 0);
  });

  test("mismatched inputs: exit 2 and one line naming the file", async () => {
    const r = await cli(["audit", "--labels", "y.csv", "--predictions", "h.csv"], { env: { INIT_CWD: dir } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^fitcheck: h\.csv: /);
  });
});

describe("diagnose with fixture engines (real process I/O)", () => {
  const entry = "test/cli/fake_main.ts";

  test("--json: stdout is exactly one JSON document; exit 1 for an error finding", async () => {
    const r = await cli(["run", "s.json", "--json"], { entry, env: { INIT_CWD: dir } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).schema).toBe("fitcheck.report/v1");
  });

  test("--html writes the file atomically where the user is, and exit 0 for a clean report", async () => {
    const r = await cli(["run", "s.json", "--html", "report.html"], {
      entry,
      env: { INIT_CWD: dir, FITCHECK_TEST_REPORT: "data_clean" },
    });
    expect(r.code).toBe(0);
    const html = await Deno.readTextFile(`${dir}/report.html`);
    expect(html).toContain("Chart.js v4"); // the real library, read from node_modules by the CLI
    expect(r.stderr.trim()).toBe("fitcheck: wrote report.html");
  });

  test("output to a pipe has no colour even without NO_COLOR", async () => {
    const r = await cli(["run", "s.json"], { entry, env: { INIT_CWD: dir } });
    expect(r.stdout).toContain("loss-task-mismatch");
    expect(r.stdout).not.toContain("\x1b[");
  });
});
