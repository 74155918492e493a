/**
 * Least privilege (issue 18): `deno task diagnose` runs the CLI with read access to what the command
 * line names (and the scenario's folder), write access to the outputs it names, and the environment
 * variables fitcheck reads, by name. The grants as computed, the tasks as written in deno.json, and
 * the real task as a process.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { denoPermissionFlags, permissionsFor } from "../../src/cli/permissions.ts";

const ROOT = Deno.cwd();
const where = { cwd: "/home/u/work", root: "/opt/fitcheck" };

describe("permissionsFor", () => {
  test("run: the scenario and its folder; --html: the file and its temporary, nothing else", () => {
    const g = permissionsFor(
      ["run", "exp/s.json", "--epochs", "3", "--html", "../out/r.html", "--json"],
      where,
    );
    expect(g.read).toEqual([
      ...["src", "shaders", "examples", "docs", "node_modules"].map((p) => `/opt/fitcheck/${p}`),
      "/home/u/work/exp/s.json",
      "/home/u/work/exp",
      "/home/u/out/r.html",
      "/home/u/out/.r.html.fitcheck-tmp",
    ]);
    expect(g.write).toEqual(["/home/u/out/r.html", "/home/u/out/.r.html.fitcheck-tmp"]);
    expect(g.env).toEqual([
      "INIT_CWD",
      "NO_COLOR",
      "COLUMNS",
      "DEBUG",
      "FORCE_COLOR",
      "CLICOLOR_FORCE",
      "XDG_RUNTIME_DIR",
      "XDG_CACHE_HOME",
      "HOME",
    ]);
  });

  test("data and audit: exactly the named files, `--flag=value` as well; a value is never a path by accident", () => {
    const data = permissionsFor(
      ["data", "--train=/d/t.parquet", "--validation", "v.npz", "--target", "y"],
      where,
    );
    expect(data.read.slice(5)).toEqual(["/d/t.parquet", "/home/u/work/v.npz"]);
    expect(data.write).toEqual([]);
    const audit = permissionsFor(
      ["audit", "--labels", "l.csv", "--predictions", "p.npy", "--history", "runs/tb", "--split", "train"],
      where,
    );
    expect(audit.read.slice(5)).toEqual(["/home/u/work/l.csv", "/home/u/work/p.npy", "/home/u/work/runs/tb"]);
  });

  test("--model: one file, or a tfjs model.json with the weight files beside it", () => {
    expect(permissionsFor(["run", "--model", "m.onnx"], where).read.slice(5)).toEqual([
      "/home/u/work/m.onnx",
    ]);
    expect(permissionsFor(["run", "--model", "tfjs/model.json"], where).read.slice(5)).toEqual([
      "/home/u/work/tfjs/model.json",
      "/home/u/work/tfjs",
    ]);
  });

  test("Deno flags: one per kind with something to grant", () => {
    expect(denoPermissionFlags({ read: ["/a", "/b"], write: [], env: ["X"] })).toEqual([
      "--allow-read=/a,/b",
      "--allow-env=X",
    ]);
  });
});

describe("deno.json", () => {
  const tasks: Record<string, string> = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks;
  test("diagnose has no blanket permission: every --allow-* names what it allows", () => {
    const flags = tasks.diagnose.split(/\s+/).filter((w) => w.startsWith("-A") || w.startsWith("--allow"));
    expect(flags.length).toBeGreaterThan(0);
    for (const f of flags) expect(f, f).toMatch(/^--allow-(read|env|run|write)=\S+$/);
  });
  test("only the test task (which starts processes that are never sandboxed) keeps -A", () => {
    const blanket = Object.entries(tasks).filter(([, cmd]) => /\s-A\b|--allow-all/.test(cmd)).map(([n]) => n);
    expect(blanket).toEqual(["test"]);
  });
});

describe("deno task diagnose (a process)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "fitcheck-perm-" });
    await Deno.mkdir(`${dir}/exp`);
    await Deno.writeTextFile(`${dir}/outside.csv`, "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n");
    await Deno.copyFile(`${dir}/outside.csv`, `${dir}/exp/inside.csv`);
    const scenario = (csv: string) =>
      JSON.stringify({
        name: "perm",
        data: { csv, target: "y" },
        model: { layers: [{ units: 1, activation: "sigmoid" }] },
        loss: "binary-crossentropy",
        training: { epochs: 1 },
      });
    await Deno.writeTextFile(`${dir}/exp/inside.json`, scenario("./inside.csv"));
    await Deno.writeTextFile(`${dir}/exp/outside.json`, scenario("../outside.csv"));
  });
  afterAll(() => Deno.remove(dir, { recursive: true }));

  const task = async (args: string[]) => {
    const out = await new Deno.Command(`${ROOT}/node_modules/deno/deno`, {
      args: ["task", "-q", "diagnose", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", INIT_CWD: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("XDG_RUNTIME_DIR"));
    return { code: out.code, stderr };
  };

  test("a scenario's own data and --html OUT work; the run leaves exactly OUT behind", async () => {
    const before = [...Deno.readDirSync(`${dir}/exp`)].map((e) => e.name).sort();
    const r = await task(["run", "exp/inside.json", "--html", "exp/report.html", "--json"]);
    expect(r.code, r.stderr.join("\n")).toBeLessThanOrEqual(1); // six rows: an error finding is fine
    const after = [...Deno.readDirSync(`${dir}/exp`)].map((e) => e.name).sort();
    expect(after).toEqual([...before, "report.html"].sort());
  });

  test("a file outside the scenario's folder is exit 2, one line naming it and why", async () => {
    const r = await task(["run", "exp/outside.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toContain('field "data.csv": this run may not read it');
    expect(r.stderr[0]).toMatch(/: outside\.csv$/);
  });

  test("a data file named on the command line is read wherever it is", async () => {
    const r = await task(["data", "--train", "outside.csv", "--target", "y", "--json"]);
    expect(r.code, r.stderr.join("\n")).toBeLessThanOrEqual(1);
  });
});
