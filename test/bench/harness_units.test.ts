/** The benchmark's pieces that need no GPU: statistics, the float64 product check, rendering, the CLI. */
import { describe, expect, test } from "vitest";
import { BENCH_EXIT, benchMain, parseBenchArgs } from "../../bench/main.ts";
import { checkProduct } from "../../bench/matmul_case.ts";
import { parseCpuinfo } from "../../bench/machine.ts";
import { mlpProblem } from "../../bench/mlp.ts";
import { startPytorchPeer } from "../../bench/pytorch.ts";
import { renderMarkdown } from "../../bench/render.ts";
import type { BenchResult } from "../../bench/schema.ts";
import { interleave, pairedRatio, summarize } from "../../bench/stats.ts";
import { Rng } from "../../src/random.ts";

describe("summarize / pairedRatio", () => {
  test("min, median (odd and even counts), max; samples kept in run order", () => {
    expect(summarize([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5, samples: [5, 1, 3] });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(() => summarize([])).toThrow(RangeError);
  });
  test("pairs repetitions before taking the median", () => {
    // Medians of each side give 20/10 = 2; the paired ratios are 1.5, 1.5, 3: median 1.5.
    expect(pairedRatio([15, 30, 30], [10, 20, 10]).median).toBe(1.5);
    expect(() => pairedRatio([1], [1, 2])).toThrow(RangeError);
  });
});

describe("interleave", () => {
  test("warm-up first, then contenders in turn; alternate reverses every other repetition", async () => {
    const log: string[] = [];
    const contender = (name: string) => ({
      name,
      run: (rep: number) => {
        log.push(`${name}${rep}`);
        return Promise.resolve(rep + 1);
      },
    });
    const samples = await interleave([contender("a"), contender("b")], {
      reps: 3,
      warmup: 1,
      alternate: true,
    });
    expect(log).toEqual(["a-1", "b-1", "a0", "b0", "b1", "a1", "a2", "b2"]);
    expect(samples).toEqual({ a: [1, 2, 3], b: [1, 2, 3] });
  });
});

describe("checkProduct", () => {
  const n = 64;
  const rng = Rng.fromSeed(3).stream("check product");
  const a = Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  const b = Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s = Math.fround(s + Math.fround(a[i * n + k] * b[k * n + j]));
      c[i * n + j] = s;
    }
  }
  const entries: [number, number][] = [[0, 0], [5, 7], [n - 1, n - 1]];

  test("accepts a float32 product computed in sequence", () => {
    expect(checkProduct("seq", c, a, b, n, entries).ok).toBe(true);
  });
  test("rejects a product with one term left out of one sampled entry", () => {
    const wrong = c.slice();
    wrong[5 * n + 7] -= a[5 * n + 3] * b[3 * n + 7];
    const check = checkProduct("wrong", wrong, a, b, n, entries);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/1 beyond/);
  });
  test("rejects NaN", () => {
    const nan = c.slice();
    nan[0] = NaN;
    expect(checkProduct("nan", nan, a, b, n, entries).ok).toBe(false);
  });
});

describe("command line", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: { writeOut: (s: string) => (out.stdout += s), writeErr: (s: string) => (out.stderr += s) },
    };
  };
  test("--reps below 5 and --json with --markdown are usage errors (exit 2)", () => {
    const a = io();
    expect(parseBenchArgs(["--reps", "3"], a.io)).toBe(BENCH_EXIT.usage);
    expect(a.out.stderr).toMatch(/>= 5.*"3"/);
    const b = io();
    expect(parseBenchArgs(["--json", "--markdown"], b.io)).toBe(BENCH_EXIT.usage);
    expect(parseBenchArgs(["--from", "x.json", "--quick"], io().io)).toBe(BENCH_EXIT.usage);
    expect(parseBenchArgs(["--reps", "7", "--json"], io().io)).toEqual({
      json: true,
      markdown: false,
      quick: false,
      reps: 7,
    });
  });
  test("--from a file that is not a bench result: exit 2 naming the file and the field", async () => {
    const file = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(file, JSON.stringify({ schema: "fitcheck.bench/v1", cases: [] }));
      const a = io();
      expect(await benchMain(["--from", file], a.io)).toBe(BENCH_EXIT.usage);
      expect(a.out.stderr).toContain(file);
      expect(a.out.stderr).toMatch(/field "tool"/);
    } finally {
      await Deno.remove(file);
    }
  });
  test("--help exits 0 with the usage on stdout", () => {
    const a = io();
    expect(parseBenchArgs(["--help"], a.io)).toBe(BENCH_EXIT.ok);
    expect(a.out.stdout).toMatch(/--quick/);
  });
  test("no adapter: exit 3 with the message that says how to get one", async () => {
    const a = io();
    const gpu = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
    expect(await benchMain(["--quick", "--json"], a.io, { gpu })).toBe(BENCH_EXIT.noAdapter);
    expect(a.out.stdout).toBe("");
    expect(a.out.stderr).toMatch(/mesa-vulkan-drivers/);
  });
});

describe("the machine and the PyTorch peer", () => {
  test("/proc/cpuinfo gives the CPU model and its SIMD widths", () => {
    const text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n" +
      "flags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
    expect(parseCpuinfo(text)).toEqual({ cpuModel: "AMD EPYC 7B13", avx2: true, avx512f: false });
    expect(parseCpuinfo("flags : avx2 avx512f\n")).toEqual({
      cpuModel: "unknown",
      avx2: true,
      avx512f: true,
    });
  });

  test("without Python, or with Python but no torch, the peer is 'not installed', not a failure", async () => {
    const problem = mlpProblem(1, 1);
    const missing = await startPytorchPeer(problem, { python: "/nonexistent/python3" });
    expect(missing.status).toBe("not installed");
    // A torch that cannot be imported, ahead of any real one on the path.
    const dir = Deno.makeTempDirSync({ prefix: "fitcheck-no-torch-" });
    Deno.writeTextFileSync(`${dir}/torch.py`, "raise ImportError('no torch here')\n");
    const noTorch = await startPytorchPeer(problem, { env: { PYTHONPATH: dir } });
    expect(noTorch.status).toBe("not installed");
    if (noTorch.status === "not installed") expect(noTorch.detail).toContain("no torch here");
  });
});

describe("renderMarkdown", () => {
  test("a header, a separator and one row per case, with the verdicts", () => {
    const target = (achieved: number, comparison: ">=" | "<=", threshold: number) => ({
      description: "",
      quantity: "q",
      comparison,
      threshold,
      achieved,
    });
    const s = (x: number) => ({ min: x, median: x, max: x, samples: [x] });
    const stats = { fitcheck: s(1), tfjsWebgpu: s(1), tfjsCpu: s(1) };
    const result = {
      adapter: { description: "test adapter", isFallbackAdapter: true },
      tfjs: { version: "4.22.0", webgpuDevice: "shared", prodMode: true },
      environment: { deno: "2.9.6", v8: "x", os: "linux", cpus: 2, date: "2026-01-01" },
      quick: false,
      reps: 5,
      checksOk: true,
      cases: [
        {
          name: "matmul-1024",
          n: 1024,
          fitcheck: 21,
          tfjsWebgpu: 7,
          tfjsCpu: 1,
          target: target(3, ">=", 3),
          met: true,
          checks: [],
          stats,
        },
        {
          name: "mlp-train-step",
          fitcheck: 20,
          tfjsWebgpu: 86,
          tfjsCpu: 172,
          target: target(4.3, ">=", 4),
          met: true,
          checks: [],
          stats,
        },
        {
          name: "diagnose-overhead",
          plain: 20,
          instrumented: 24,
          target: target(1.2, "<=", 1.15),
          met: false,
          checks: [],
        },
        { name: "readbacks-per-epoch", fitcheck: 1, target: target(1, "<=", 2), met: true, checks: [] },
        {
          name: "diagnosis-latency",
          rows: 200000,
          features: 32,
          fitcheck: 18.5,
          target: target(18.5, "<=", 20),
          met: true,
          budget: { trained: { trainRows: 40000, ofTrainRows: 160000 } },
          checks: [],
        },
      ],
      machine: { cpuModel: "AMD EPYC 7B13", avx2: true, avx512f: false },
    } as unknown as BenchResult;
    const lines = renderMarkdown(result).split("\n");
    expect(lines[0]).toMatch(
      /^\| case \| fitcheck \| tfjs-webgpu \| tfjs-cpu \| pytorch-cpu \(1 thread\) \| target \| achieved \|$/,
    );
    expect(lines[1]).toBe("| --- | --- | --- | --- | --- | --- | --- |");
    expect(lines[2]).toMatch(
      /^\| matmul-1024 \| 21\.0 GFLOP\/s \| 7\.0 GFLOP\/s \| 1\.0 GFLOP\/s .* met \|$/,
    );
    expect(lines[4]).toMatch(/diagnose-overhead .* 1\.20× MISSED/);
    expect(lines[5]).toMatch(/readbacks-per-epoch .* 1\.00 met/);
    // No PyTorch figure and no peer record (a result saved before the peer existed): a dash.
    expect(lines[3]).toMatch(
      /^\| mlp-train-step \| 20\.0 ms\/step \| 86\.0 ms\/step \| 172 ms\/step \| – \|/,
    );
    expect(lines[6]).toMatch(
      /diagnosis-latency \(200000×32\) \| 18\.5 s \(budget: 40000 of 160000 rows\) .* 18\.50 s met/,
    );
    expect(renderMarkdown(result)).toContain("machine: AMD EPYC 7B13 (AVX2 yes, AVX-512 no)");
  });
});
