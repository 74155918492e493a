// `diagnose audit --history` alone, as a user runs it (a separate Deno process): exit 1 on an error
// finding, 0 on a healthy log, one JSON document with --json, a TensorBoard run directory as the path,
// and --labels without --predictions refused with exit 2.
import { describe, expect, test } from "vitest";

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = Deno.cwd();
  const out = await new Deno.Command(`${root}/node_modules/deno/deno`, {
    args: ["run", "-A", `--config=${root}/deno.json`, `${root}/src/cli/main.ts`, ...args],
    env: { NO_COLOR: "1", INIT_CWD: root },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stderr = decode(out.stderr).split("\n").filter((l) => l && !l.includes("XDG_RUNTIME_DIR")).join("\n");
  return { code: out.code, stdout: decode(out.stdout), stderr };
}

describe("diagnose audit --history (history only)", () => {
  test("an error finding exits 1, and --json prints one report", async () => {
    const r = await cli(["audit", "--history", "examples/audits/logs/keras1-nan-epoch2.log", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.mode).toBe("audit");
    expect(report.summary.primary).toBe("non-finite-loss");
    expect(report.audit.inferred.historyFormat).toBe("keras-console");
    expect(report.history).toHaveLength(7);
  });
  test("a healthy TensorBoard run directory exits 0 and says what it cannot decide", async () => {
    const r = await cli(["audit", "--history", "test/fixtures/history/tb_keras_layout", "--loss", "bce"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Not decidable from the log alone");
  });
  test("--classes must be at least 2; --labels needs --predictions", async () => {
    const a = await cli(["audit", "--history", "examples/audits/logs/healthy-binary.log", "--classes", "1"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--classes/);
    const b = await cli([
      "audit",
      "--history",
      "examples/audits/logs/healthy-binary.log",
      "--labels",
      "x.csv",
    ]);
    expect(b.code).toBe(2);
  });
});
