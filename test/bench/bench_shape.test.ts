/**
 * The benchmark harness in --quick mode, through its command line: one JSON document on stdout with the
 * contract's shape, the cases (the four of CONTRACT §4, then issue 14's cnn-train-step), positive figures, every correctness check passed, targets computed
 * from the figures. No timed assertion (issue 9 item 4): how fast is the benchmark's business.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { benchMain } from "../../bench/main.ts";
import { type BenchResult, BenchResultSchema } from "../../bench/schema.ts";
import { summarize } from "../../bench/stats.ts";

let stdout = "", stderr = "", code = -1;
let result: BenchResult;

beforeAll(async () => {
  code = await benchMain(["--quick", "--json"], {
    writeOut: (s) => (stdout += s),
    writeErr: (s) => (stderr += s),
  });
  result = JSON.parse(stdout);
}, 300_000);

describe("deno task bench --quick --json", () => {
  test("exits 0 and prints exactly one JSON document on stdout, progress on stderr", () => {
    expect(code, stderr).toBe(0);
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stdout.trim().startsWith("{") && stdout.trim().endsWith("}")).toBe(true);
    expect(stderr).toMatch(/mlp-train-step rep 1\/3/);
  });

  test("matches the fitcheck.bench/v1 schema and says it was a quick run", () => {
    const parsed = BenchResultSchema.safeParse(result);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(result.schema).toBe("fitcheck.bench/v1");
    expect(result.quick).toBe(true);
    expect(result.adapter.description.length).toBeGreaterThan(0);
    expect(["shared", "own"]).toContain(result.tfjs.webgpuDevice);
  });

  test("has the four cases of CONTRACT §4 and cnn-train-step, in order, with their units and fields", () => {
    expect(result.cases.map((c) => [c.name, c.unit])).toEqual([
      ["matmul-1024", "GFLOP/s"],
      ["mlp-train-step", "ms"],
      ["diagnose-overhead", "ratio"],
      ["readbacks-per-epoch", "readbacks"],
      ["cnn-train-step", "ms"],
    ]);
    const [matmul, mlp, overhead, readbacks, cnn] = result.cases;
    for (const c of [matmul, mlp, cnn]) {
      for (const v of [c.fitcheck, c.tfjsWebgpu, c.tfjsCpu]) {
        expect(Number.isFinite(v) && v > 0).toBe(true);
      }
      for (const s of Object.values(c.stats)) {
        expect(s.samples).toHaveLength(result.reps);
        expect(s.min <= s.median && s.median <= s.max).toBe(true);
      }
    }
    expect(overhead.plain).toBeGreaterThan(0);
    expect(overhead.instrumented).toBeGreaterThan(0);
    expect(overhead.ratio).toBe(overhead.stats.ratio.median);
    for (const s of Object.values(overhead.stats)) expect(s.samples).toHaveLength(overhead.repetitions);
    // At least the one end-of-epoch readback, and a whole number per epoch on a run this regular.
    expect(readbacks.fitcheck).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(readbacks.fitcheck * readbacks.epochs)).toBe(true);
  });

  test("every correctness check ran and passed", () => {
    const checks = result.cases.flatMap((c) => c.checks.map((k) => ({ case: c.name, ...k })));
    expect(checks.filter((k) => k.case === "matmul-1024")).toHaveLength(3);
    expect(checks.filter((k) => k.case === "mlp-train-step")).toHaveLength(4);
    for (const k of checks) expect(k.ok, `${k.case}: ${k.name}: ${k.detail}`).toBe(true);
    expect(result.checksOk).toBe(true);
  });

  test("each target's achieved value and verdict follow from the case's own figures", () => {
    const [matmul, mlp, overhead, readbacks] = result.cases;
    // Ratios of two engines are paired per repetition, then the median is taken.
    const paired = (a: number[], b: number[]) => summarize(a.map((x, i) => x / b[i])).median;
    expect(matmul.target.achieved).toBe(
      paired(matmul.stats.fitcheck.samples, matmul.stats.tfjsWebgpu.samples),
    );
    expect(mlp.target.achieved).toBe(paired(mlp.stats.tfjsWebgpu.samples, mlp.stats.fitcheck.samples));
    expect(overhead.target.achieved).toBe(overhead.ratio);
    expect(readbacks.target.achieved).toBe(readbacks.fitcheck);
    for (const c of result.cases) {
      const { achieved, threshold, comparison } = c.target;
      expect(c.met).toBe(comparison === ">=" ? achieved >= threshold : achieved <= threshold);
    }
    expect(result.allTargetsMet).toBe(result.cases.every((c) => c.met));
  });

  test("--from renders the saved document as Markdown rows without running (exit 0)", async () => {
    const file = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(file, stdout);
      let markdown = "";
      const rendered = await benchMain(["--from", file, "--markdown"], {
        writeOut: (s) => (markdown += s),
        writeErr: () => {},
      });
      expect(rendered).toBe(0);
      const rows = markdown.split("\n").filter((l) => l.startsWith("| "));
      expect(rows.map((r) => r.split(" | ")[0])).toEqual([
        "| case",
        "| ---",
        "| matmul-256",
        "| mlp-train-step",
        "| diagnose-overhead",
        "| readbacks-per-epoch",
        "| cnn-train-step",
      ]);
      expect(markdown).toMatch(/QUICK mode/);
    } finally {
      await Deno.remove(file);
    }
  });
});
