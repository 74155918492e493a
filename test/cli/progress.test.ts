// Progress off a terminal: one line per gallery scenario, nothing per epoch or phase.
import { describe, expect, test } from "vitest";
import { EXIT, runCli } from "../../src/cli/program.ts";
import { createProgress } from "../../src/cli/progress.ts";
import { fakeEngines, fixture, memoryIo } from "./_fake.ts";

describe("progress off a terminal", () => {
  test("a gallery logs one line per scenario and no phase lines", () => {
    const lines: string[] = [];
    const p = createProgress({ terminal: false, log: (l) => lines.push(l) });
    for (let i = 0; i < 2; i++) {
      p.scenario(i, 2, `s${i}`);
      p.sink({ phase: "train", epoch: 1, epochs: 20, loss: 0.5 });
      p.sink({ phase: "diagnose" });
      p.sink({ phase: "verify", message: "retraining with loss -> mse" });
      p.scenarioDone(i, 2, `s${i}: ok (1.0 s)`);
    }
    p.stop();
    expect(lines).toEqual(["[1/2] s0: ok (1.0 s)", "[2/2] s1: ok (1.0 s)"]);
  });

  test("diagnose (the gallery) without a TTY: stderr holds exactly one line per scenario", async () => {
    const c = memoryIo({ "/u/gallery/a.json": "{}", "/u/gallery/b.json": "{}" });
    expect(await runCli([], c.io, fakeEngines(fixture("data_clean")))).toBe(EXIT.ok);
    const lines = c.err().trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[1\/2\] a: ok \(/);
    expect(c.err()).not.toContain("training");
  });
});
