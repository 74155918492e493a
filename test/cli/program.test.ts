// The CLI in-process: parsing, dispatch, output routing and exit codes, with fake engines.
import { describe, expect, test } from "vitest";
import { EXIT, runCli } from "../../src/cli/program.ts";
import { InputError } from "../../src/errors.ts";
import { type Calls, fakeEngines, fixture, memoryIo } from "./_fake.ts";

const SCENARIO = { "/u/s.json": "{}" };
const newCalls = (): Calls => ({ run: [], data: [], audit: [] });

describe("run", () => {
  test("--json prints exactly the report on stdout; an error finding exits 1", async () => {
    const report = fixture("run_loss_task_mismatch");
    const c = memoryIo(SCENARIO);
    expect(await runCli(["run", "s.json", "--json"], c.io, fakeEngines(report))).toBe(EXIT.findings);
    expect(JSON.parse(c.out())).toEqual(report);
  });

  test("no error finding exits 0 and prints the terminal report; relative paths resolve against cwd", async () => {
    const calls = newCalls();
    const c = memoryIo({ "/u/dir/s.json": "{}" });
    const code = await runCli(
      ["run", "dir/s.json", "--epochs", "3", "--verify"],
      c.io,
      fakeEngines(fixture("data_clean"), calls),
    );
    expect(code).toBe(EXIT.ok);
    expect(c.out()).toContain("✓ no problems found");
    expect(calls.run).toEqual([{ path: "/u/dir/s.json", epochs: 3, verify: true, tune: true }]);
  });

  test("--budget SECONDS | none and --no-tune reach the engine; by default tuning is on, the budget default", async () => {
    const runs: [string[], { budget?: number | null; tune?: boolean }][] = [
      [["run", "s.json"], { budget: undefined, tune: true }],
      [["run", "s.json", "--budget", "20", "--no-tune"], { budget: 20, tune: false }],
      [["run", "s.json", "--budget", "none"], { budget: null, tune: true }],
      [["--budget", "none", "--no-tune"], { budget: null, tune: false }],
    ];
    for (const [argv, expected] of runs) {
      const calls = newCalls();
      const c = memoryIo({ "/u/s.json": "{}", "/u/gallery/a.json": "{}" });
      await runCli(argv, c.io, fakeEngines(fixture("data_clean"), calls));
      expect(calls.run).toHaveLength(1);
      expect({ budget: calls.run[0].budget, tune: calls.run[0].tune }).toEqual(expected);
    }
  });

  test("--html writes the HTML report and says so on stderr, not stdout", async () => {
    const c = memoryIo(SCENARIO);
    await runCli(
      ["run", "s.json", "--html", "out/r.html", "--json"],
      c.io,
      fakeEngines(fixture("run_loss_task_mismatch")),
    );
    expect(c.written.get("/u/out/r.html")).toMatch(/^<!doctype html>/);
    expect(c.err()).toContain("wrote out/r.html");
    expect(() => JSON.parse(c.out())).not.toThrow();
  });

  test("an unwritable --html target fails before training", async () => {
    const calls = newCalls();
    const c = memoryIo(SCENARIO);
    const code = await runCli(
      ["run", "s.json", "--html", "/nope/r.html"],
      c.io,
      fakeEngines(fixture("data_clean"), calls),
    );
    expect(code).toBe(EXIT.usage);
    expect(calls.run).toEqual([]);
    expect(c.err()).toBe("fitcheck: /nope/r.html: directory does not exist\n");
  });

  test("NO_COLOR and non-terminal stdout give plain text; a terminal gives colour", async () => {
    const report = fixture("run_loss_task_mismatch");
    const plain = memoryIo(SCENARIO, { terminal: true, env: { NO_COLOR: "1" } });
    await runCli(["run", "s.json"], plain.io, fakeEngines(report));
    expect(plain.out()).not.toContain("\x1b[");
    const piped = memoryIo(SCENARIO, { terminal: false });
    await runCli(["run", "s.json"], piped.io, fakeEngines(report));
    expect(piped.out()).not.toContain("\x1b[");
    const tty = memoryIo(SCENARIO, { terminal: true });
    await runCli(["run", "s.json"], tty.io, fakeEngines(report));
    expect(tty.out()).toContain("\x1b[");
  });
});

describe("errors and exit codes", () => {
  test("an InputError from an engine: exit 2, one line, path relative to the user's directory", async () => {
    const c = memoryIo(SCENARIO);
    const error = new InputError('expected a number, got "abc"', {
      file: "/u/data/train.csv",
      row: 12,
      field: "age",
    });
    expect(await runCli(["run", "s.json"], c.io, fakeEngines(error))).toBe(EXIT.usage);
    expect(c.err()).toBe(
      'fitcheck: data/train.csv: data row 12, field "age": expected a number, got "abc"\n',
    );
    expect(c.out()).toBe("");
  });

  test("DEBUG=1 adds the stack", async () => {
    const c = memoryIo(SCENARIO, { env: { DEBUG: "1" } });
    await runCli(["run", "s.json"], c.io, fakeEngines(new InputError("bad", { file: "/u/s.json" })));
    expect(c.err().split("\n")[0]).toBe("fitcheck: s.json: bad");
    expect(c.err()).toContain("at ");
  });

  test("NoAdapterError (detected by name) exits 3 and says how to get an adapter", async () => {
    const e = new Error("no WebGPU adapter");
    e.name = "NoAdapterError";
    const c = memoryIo(SCENARIO);
    expect(await runCli(["run", "s.json"], c.io, fakeEngines(e))).toBe(EXIT.noAdapter);
    expect(c.err()).toBe(
      "fitcheck: no WebGPU adapter (install a Vulkan driver: apt-get install -y mesa-vulkan-drivers)\n",
    );
  });

  test("any other error is an internal error: exit 70, no stack unless DEBUG=1", async () => {
    const c = memoryIo(SCENARIO);
    expect(await runCli(["run", "s.json"], c.io, fakeEngines(new TypeError("x is undefined")))).toBe(
      EXIT.internal,
    );
    expect(c.err()).toBe("fitcheck: internal error: x is undefined\nrun with DEBUG=1 for the stack\n");
  });

  test.each([
    [["--bogus"], "fitcheck: unknown option '--bogus' (see 'npx deno task diagnose --help')"],
    [
      ["frobnicate"],
      "fitcheck: unknown command 'frobnicate' (commands: run, init, data, audit, explain) (see 'npx deno task diagnose --help')",
    ],
    [["run"], "fitcheck: run: missing required argument 'file' (or --model MODEL)"],
    [["run", "s.json", "--epochs", "2.5"], 'fitcheck: --epochs: expected a positive integer, got "2.5"'],
    [
      ["run", "s.json", "--budget", "soon"],
      'fitcheck: --budget: expected a number of seconds or "none", got "soon"',
    ],
    [
      ["run", "s.json", "--budget", "0"],
      'fitcheck: --budget: expected a number of seconds or "none", got "0"',
    ],
    [
      ["run", "s.json", "--epochs"],
      "fitcheck: option '--epochs <n>' argument missing (see 'npx deno task diagnose run --help')",
    ],
    [
      ["data", "--train", "t.csv"],
      "fitcheck: required option '--target <cols>' not specified (see 'npx deno task diagnose data --help')",
    ],
    [
      ["data", "--train", "t.csv", "--target", "a,,b"],
      'fitcheck: --target: expected column names separated by commas, got "a,,b"',
    ],
    [
      ["data", "--train", "t.csv", "--target", "y", "--task", "ranking"],
      'fitcheck: --task: expected one of binary, multiclass, multilabel, regression, got "ranking"',
    ],
    [
      ["audit", "--labels", "l.csv", "--predictions", "p.csv", "--split", "test"],
      'fitcheck: --split: expected one of validation, train, got "test"',
    ],
    [["audit", "--labels", "l.csv", "--predictions", "missing.csv"], "fitcheck: missing.csv: file not found"],
  ])("bad usage %j: exit 2 and one line", async (argv, line) => {
    const c = memoryIo({ "/u/t.csv": "", "/u/l.csv": "", "/u/p.csv": "", ...SCENARIO });
    expect(await runCli(argv, c.io, fakeEngines(fixture("data_clean")))).toBe(EXIT.usage);
    expect(c.err()).toBe(line + "\n");
    expect(c.out()).toBe("");
  });

  test("--help and --version on every command exit 0 on stdout", async () => {
    for (const argv of [[], ["run"], ["init"], ["data"], ["audit"]]) {
      const help = memoryIo({});
      expect(await runCli([...argv, "--help"], help.io, fakeEngines(fixture("data_clean")))).toBe(EXIT.ok);
      expect(help.out()).toContain("Examples:");
      expect(help.out()).toContain("npx deno task diagnose");
      const version = memoryIo({});
      expect(await runCli([...argv, "--version"], version.io, fakeEngines(fixture("data_clean")))).toBe(
        EXIT.ok,
      );
      expect(version.out()).toBe("0.1.0\n");
    }
  });
});

describe("data and audit", () => {
  test("data: options reach the engine typed and resolved", async () => {
    const calls = newCalls();
    const c = memoryIo({ "/u/t.csv": "", "/abs/v.csv": "" });
    const argv = [
      "data",
      "--train",
      "t.csv",
      "--validation",
      "/abs/v.csv",
      "--target",
      "a, b",
      "--target",
      "c",
      "--task",
      "multilabel",
      "--json",
    ];
    expect(await runCli(argv, c.io, fakeEngines(fixture("data_clean"), calls))).toBe(EXIT.ok);
    expect(calls.data).toEqual([{
      train: "/u/t.csv",
      validation: "/abs/v.csv",
      target: ["a", "b", "c"],
      task: "multilabel",
      source: undefined,
    }]);
    expect(JSON.parse(c.out()).mode).toBe("data");
  });

  test("audit: defaults (split validation, not logits) and typed --epoch", async () => {
    const calls = newCalls();
    const c = memoryIo({ "/u/l.csv": "", "/u/p.csv": "", "/u/h.csv": "" });
    const argv = [
      "audit",
      "--labels",
      "l.csv",
      "--predictions",
      "p.csv",
      "--history",
      "h.csv",
      "--epoch",
      "12",
      "--loss",
      "mse",
    ];
    expect(await runCli(argv, c.io, fakeEngines(fixture("audit_metric_mismatch"), calls))).toBe(
      EXIT.findings,
    );
    expect(calls.audit).toEqual([{
      labels: "/u/l.csv",
      predictions: "/u/p.csv",
      history: "/u/h.csv",
      epoch: 12,
      split: "validation",
      task: undefined,
      loss: "mse",
      fromLogits: false,
      source: undefined,
    }]);
  });
});

describe("gallery", () => {
  const files = {
    "/u/gallery/b-healthy.json": JSON.stringify({ name: "b-healthy", expect: { findings: [] } }),
    "/u/gallery/a-mse.json": JSON.stringify({ name: "a-mse", expect: { findings: ["loss-task-mismatch"] } }),
  };
  const engines = fakeEngines((
    path,
  ) => (path.endsWith("a-mse.json") ? fixture("run_loss_task_mismatch") : fixture("data_clean")));

  test("--json prints the fitcheck.gallery/v1 document; all met exits 0", async () => {
    const c = memoryIo(files);
    expect(await runCli(["--json"], c.io, engines)).toBe(EXIT.ok);
    const doc = JSON.parse(c.out());
    expect(doc.schema).toBe("fitcheck.gallery/v1");
    expect(
      doc.scenarios.map((s: { name: string; ok: boolean; expected: string[] }) => [s.name, s.ok, s.expected]),
    ).toEqual([
      ["mse-on-multiclass", true, ["loss-task-mismatch"]],
      ["b-healthy", true, []],
    ]);
    expect(c.err()).toContain("[2/2]"); // progress lines on stderr when it is not a terminal
  });

  test("an unmet expectation exits 1 and the table says which", async () => {
    const c = memoryIo({
      ...files,
      "/u/gallery/c-bad.json": JSON.stringify({ expect: { findings: ["dead-relu"] } }),
    });
    expect(await runCli([], c.io, engines)).toBe(EXIT.findings);
    expect(c.out()).toContain("✗ dead-relu");
    expect(c.out()).toContain("✗ 1 of 3 scenarios did not give the expected findings");
  });

  test("--scenarios DIR: a directory without scenario files is bad input", async () => {
    const c = memoryIo({ "/u/empty/readme.txt": "" });
    expect(await runCli(["--scenarios", "empty"], c.io, engines)).toBe(EXIT.usage);
    expect(c.err()).toBe("fitcheck: empty: no scenario files (*.json) in this directory\n");
  });
});
