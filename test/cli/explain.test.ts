// `diagnose explain CODE`: the reference page for the terminal, the list of codes, and an unknown code.
import { describe, expect, test } from "vitest";
import { closestCodes } from "../../src/cli/explain.ts";
import { EXIT, runCli } from "../../src/cli/program.ts";
import { FINDING_CODES } from "../../src/report/types.ts";
import { fakeEngines, fixture, memoryIo } from "./_fake.ts";

const engines = () => fakeEngines(fixture("data_clean"));
const ESC = "\u001b[";

describe("explain", () => {
  test("prints the page of a code without Markdown punctuation; no colour off a terminal", async () => {
    const c = memoryIo({});
    expect(await runCli(["explain", "loss-task-mismatch"], c.io, engines())).toBe(EXIT.ok);
    const out = c.out();
    expect(out.split("\n")[0]).toBe("LOSS-TASK-MISMATCH");
    for (
      const heading of ["What it means", "How it is detected", "Thresholds", "Example", "Fix", "Related"]
    ) {
      expect(out).toContain(`\n${heading}\n`);
    }
    expect(out).toContain("npx deno task diagnose run examples/scenarios/a0-ex1-mse-on-multiclass.json");
    expect(out).not.toMatch(/```|\*\*|\]\(|^#/m);
    expect(out).not.toContain(ESC);
    expect(c.err()).toBe("");
  });

  test("colours on a terminal, none with NO_COLOR", async () => {
    const tty = memoryIo({}, { terminal: true });
    await runCli(["explain", "dead-relu"], tty.io, engines());
    expect(tty.out()).toContain(ESC);
    const plain = memoryIo({}, { terminal: true, env: { NO_COLOR: "1" } });
    await runCli(["explain", "dead-relu"], plain.io, engines());
    expect(plain.out()).not.toContain(ESC);
    expect(plain.out()).toContain("DEAD-RELU");
  });

  test("an unknown code is exit 2 with the closest codes, on one line", async () => {
    const c = memoryIo({});
    expect(await runCli(["explain", "overfit"], c.io, engines())).toBe(EXIT.usage);
    expect(c.out()).toBe("");
    const err = c.err();
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain('unknown finding code "overfit"');
    expect(err).toMatch(/closest: overfitting, /);
  });

  test("the closest codes: a substring first, then by edit distance", () => {
    expect(closestCodes("overfit")[0]).toBe("overfitting");
    expect(closestCodes("dead-rleu")[0]).toBe("dead-relu");
    expect(closestCodes("double_softmax")[0]).toBe("double-softmax");
    expect(closestCodes("nan-loss", 5)).toContain("non-finite-loss");
    expect(closestCodes("nan").slice(0, 2).sort()).toEqual(["non-finite-data", "non-finite-loss"]);
    expect(closestCodes("imbalance")[0]).toBe("class-imbalance");
    expect(closestCodes("learning-rate-to-high")[0]).toBe("learning-rate-too-high");
  });

  test("without a code it lists every code by family with its summary", async () => {
    const c = memoryIo({});
    expect(await runCli(["explain"], c.io, engines())).toBe(EXIT.ok);
    for (const code of FINDING_CODES) expect(c.out()).toContain(code);
    expect(c.out()).toContain("Metric consistency");
    expect(c.out()).toContain("single-unit-softmax (error): softmax over one unit");
  });

  test("--help of every command points to the reference in docs/", async () => {
    for (
      const args of [["--help"], ["run", "--help"], ["data", "--help"], ["audit", "--help"], [
        "explain",
        "--help",
      ]]
    ) {
      const c = memoryIo({});
      expect(await runCli(args, c.io, engines())).toBe(EXIT.ok);
      expect(c.out(), args.join(" ")).toContain("docs/cli.md");
      expect(c.out(), args.join(" ")).toContain("docs/findings/CODE.md");
      // An example a user copies must work: the gallery files it names exist.
      for (const m of c.out().matchAll(/examples\/scenarios\/([a-z0-9-]+\.json)/g)) {
        expect(await Deno.stat(`examples/scenarios/${m[1]}`).then(() => true, () => false), m[0]).toBe(true);
      }
      // Prose wraps within 100 columns (an example command is kept whole, so it can be copied).
      for (const line of c.out().split("\n").filter((l) => !l.startsWith("  npx "))) {
        expect(line.length, line).toBeLessThanOrEqual(100);
      }
    }
    const run = memoryIo({});
    await runCli(["run", "--help"], run.io, engines());
    expect(run.out()).toContain("docs/scenario.md");
    expect(run.out()).not.toContain("CONTRACT");
  });
});
