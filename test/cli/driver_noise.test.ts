// stderr carries fitcheck's messages and nothing else: libwayland's "XDG_RUNTIME_DIR is invalid or
// not set" (printed when wgpu's GL backend probes for a display) is kept off by src/cli/runtime_dir.ts,
// without filtering, so fitcheck's own errors still show.
import { describe, expect, test } from "vitest";
import { isUsableRuntimeDir } from "../../src/cli/runtime_dir.ts";

const root = Deno.cwd();

/** Runs `entry` as a user would, with no XDG_RUNTIME_DIR in its environment. */
async function run(entry: string, args: string[]) {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "VK_ICD_FILENAMES", "TMPDIR"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  const out = await new Deno.Command(`${root}/node_modules/deno/deno`, {
    args: ["run", "-A", `--config=${root}/deno.json`, `${root}/${entry}`, ...args],
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

describe("driver noise on stderr", () => {
  test("libwayland's test for a runtime directory: set and absolute", () => {
    expect(isUsableRuntimeDir(undefined)).toBe(false);
    expect(isUsableRuntimeDir("")).toBe(false);
    expect(isUsableRuntimeDir("run/user/0")).toBe(false);
    expect(isUsableRuntimeDir("/run/user/0")).toBe(true);
  });

  test("requesting the adapter prints nothing on stderr", async () => {
    const r = await run("src/cli/adapter.ts", []);
    if (r.code === 3) return; // no WebGPU adapter on this machine: nothing was probed
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });

  test("a training run prints nothing on stderr but its report goes to stdout", async () => {
    const r = await run("src/cli/main.ts", [
      "run",
      "examples/scenarios/a4-ex1-four-points-as-written.json",
      "--epochs",
      "1",
    ]);
    if (r.code === 3) return;
    expect(r.stderr).toBe("");
  });

  test("fitcheck's own errors still reach stderr, one line", async () => {
    const r = await run("src/cli/main.ts", ["data", "--train", "nope.csv", "--target", "y"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fitcheck: .*nope\.csv/);
  });
});
