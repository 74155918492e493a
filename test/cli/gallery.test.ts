// runGallery: order, the expectation rule, and what stops it.
import { describe, expect, test } from "vitest";
import { meetsExpectation, runGallery } from "../../src/app/gallery.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { Finding, Report } from "../../src/report/types.ts";
import { fakeEngines, fixture } from "./_fake.ts";

function withFindings(...findings: [string, Finding["severity"]][]): Report {
  const r = fixture("data_clean");
  r.findings = findings.map((
    [code, severity],
  ) => ({ code, severity, title: "", message: "", evidence: {}, fix: "" } as Finding));
  return r;
}

describe("meetsExpectation", () => {
  test("expected codes must be among errors and warnings; info does not count", () => {
    expect(meetsExpectation(["dead-relu"], withFindings(["dead-relu", "warning"], ["overfitting", "error"])))
      .toBe(true);
    expect(meetsExpectation(["dead-relu"], withFindings(["dead-relu", "info"]))).toBe(false);
    expect(meetsExpectation(["dead-relu", "overfitting"], withFindings(["dead-relu", "error"]))).toBe(false);
  });
  test("expecting nothing means no error and no warning; info notes are allowed", () => {
    expect(meetsExpectation([], withFindings(["class-imbalance", "warning"]))).toBe(false);
    expect(meetsExpectation([], withFindings(["overfitting", "error"]))).toBe(false);
    expect(meetsExpectation([], withFindings(["insufficient-data", "info"]))).toBe(true);
  });
});

describe("runGallery", () => {
  const files = {
    "/g/b.json": JSON.stringify({ expect: { findings: ["dead-relu"] } }),
    "/g/a.json": JSON.stringify({}),
    "/g/c.json": "{ not json",
    "/g/notes.txt": "",
  };
  const listDir = () => Promise.resolve(["b.json", "notes.txt", "c.json", "a.json"]);

  test("runs *.json in name order; a bad file is recorded and the gallery goes on", async () => {
    const ran: string[] = [];
    const engines = fakeEngines((path) => {
      ran.push(path);
      // The healthy "a" gets a note only (a warning would fail it); "b" its expected warning.
      return path.endsWith("a.json")
        ? withFindings(["insufficient-data", "info"])
        : withFindings(["dead-relu", "warning"]);
    });
    const { document, reports } = await runGallery("/g", engines, {
      source: memoryFileSource(files),
      listDir,
    });
    expect(ran).toEqual(["/g/a.json", "/g/b.json"]);
    expect(document.scenarios.map((s) => [s.name, s.expected, s.found, s.ok])).toEqual([
      ["a", [], [], true],
      ["b", ["dead-relu"], ["dead-relu"], true],
      ["c", [], [], false],
    ]);
    expect(document.scenarios[2].error).toMatch(/^\/g\/c\.json: not valid JSON/);
    expect(reports[2]).toBeNull();
  });

  test("an error that is not bad input (no adapter, a defect) stops the gallery", async () => {
    const e = new Error("no adapter");
    e.name = "NoAdapterError";
    await expect(runGallery("/g", fakeEngines(e), { source: memoryFileSource(files), listDir })).rejects
      .toThrow("no adapter");
  });

  test("a malformed expect.findings names the field", async () => {
    const bad = { "/g/a.json": JSON.stringify({ expect: { findings: "dead-relu" } }) };
    const { document } = await runGallery("/g", fakeEngines(fixture("data_clean")), {
      source: memoryFileSource(bad),
      listDir: () => Promise.resolve(["a.json"]),
      describe: (err: InputError) => `${err.location.field}: ${err.problem}`,
    });
    expect(document.scenarios[0].error).toBe(
      'expect.findings: expected an array of finding codes, got "dead-relu"',
    );
  });
});
