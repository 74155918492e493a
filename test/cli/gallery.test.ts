// runGallery: order, the expectation rule, and what stops it.
import { describe, expect, test } from "vitest";
import { meetsExpectation, runGallery } from "../../src/app/gallery.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { Finding, Report } from "../../src/report/types.ts";
import type { Engines } from "../../src/app/types.ts";
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

  describe("lanes", () => {
    const many = Object.fromEntries(
      Array.from(
        { length: 7 },
        (_, i) => [`/g/s${i}.json`, JSON.stringify({ expect: { findings: ["dead-relu"] } })],
      ),
    );
    const manyNames = () => Promise.resolve(Object.keys(many).map((p) => p.slice(3)).reverse());
    /** Engines whose runs take `delay(path)` ms, counting what runs at once, with one fork. */
    function laneEngines(delay: (path: string) => number, fail?: string) {
      const log = { running: 0, most: 0, forks: 0, disposed: 0, by: new Map<string, string>() };
      const make = (name: string): Engines => ({
        ...fakeEngines(fixture("data_clean")),
        runScenario: async (path) => {
          log.running++;
          log.most = Math.max(log.most, log.running);
          log.by.set(path, name);
          await new Promise((r) => setTimeout(r, delay(path)));
          log.running--;
          if (path === fail) throw new Error("a defect");
          return withFindings(["dead-relu", "warning"]);
        },
      });
      const engines: Engines = {
        ...make("main"),
        fork: () => {
          log.forks++;
          return { ...make("fork"), dispose: () => Promise.resolve(void log.disposed++) };
        },
      };
      return { engines, log };
    }

    test("two lanes run entries at once, on the main engines and a fork, the document in name order", async () => {
      // Uneven run times: the lanes finish out of order.
      const { engines, log } = laneEngines((p) => (p.endsWith("s1.json") ? 40 : 5));
      const done: number[] = [];
      const { document } = await runGallery("/g", engines, {
        source: memoryFileSource(many),
        listDir: manyNames,
        lanes: 2,
        onDone: ({ index }) => done.push(index),
      });
      expect(document.scenarios.map((s) => [s.name, s.ok])).toEqual(
        Array.from({ length: 7 }, (_, i) => [`s${i}`, true]),
      );
      expect(log.most).toBe(2);
      expect(log.forks).toBe(1);
      expect(log.disposed).toBe(1);
      expect(new Set(log.by.values())).toEqual(new Set(["main", "fork"]));
      expect(done).not.toEqual([...done].sort((a, b) => a - b));
      expect([...done].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });

    test("without fork, or with lanes 1, one entry at a time", async () => {
      const { engines, log } = laneEngines(() => 2);
      const { fork: _, ...plain } = engines;
      await runGallery("/g", plain, { source: memoryFileSource(many), listDir: manyNames, lanes: 2 });
      expect(log.most).toBe(1);
      await runGallery("/g", engines, { source: memoryFileSource(many), listDir: manyNames });
      expect(log.most).toBe(1);
      expect(log.forks).toBe(0);
    });

    test("the forks begin once the first entry is done (its kernels compiled, the shader cache warm)", async () => {
      const { engines, log } = laneEngines((p) => (p.endsWith("s0.json") ? 30 : 5));
      const startedWhileFirstRan: string[] = [];
      const wrapped: Engines = {
        ...engines,
        fork: () => {
          const fork = engines.fork!();
          return {
            ...fork,
            runScenario: (path, o) => {
              if (log.by.has("/g/s0.json") && !done.has(0)) startedWhileFirstRan.push(path);
              return fork.runScenario(path, o);
            },
          };
        },
      };
      const done = new Set<number>();
      await runGallery("/g", wrapped, {
        source: memoryFileSource(many),
        listDir: manyNames,
        lanes: 3,
        onDone: ({ index }) => done.add(index),
      });
      expect(log.by.get("/g/s0.json")).toBe("main");
      expect(startedWhileFirstRan).toEqual([]);
      expect(log.most).toBe(3);
    });

    test("a defect in one lane stops the gallery once the other lane's entry is done; the fork is disposed", async () => {
      // s0 on the main lane, then s1 (slow) there while the fork, started after s0, fails on s2.
      const { engines, log } = laneEngines((p) => (p.endsWith("s1.json") ? 30 : 5), "/g/s2.json");
      await expect(
        runGallery("/g", engines, { source: memoryFileSource(many), listDir: manyNames, lanes: 2 }),
      ).rejects.toThrow("a defect");
      expect(log.running).toBe(0);
      expect(log.disposed).toBe(1);
      expect(log.by.get("/g/s2.json")).toBe("fork");
      // Neither lane began another entry after the failure.
      expect([...log.by.keys()].sort()).toEqual(["/g/s0.json", "/g/s1.json", "/g/s2.json"]);
    });
  });
});
