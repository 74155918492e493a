// The Deno side: the FileSource's errors and the atomic writer.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { atomicWriteTextFile } from "../../src/cli/atomic_write.ts";
import { checkReadableFile, denoFileSource, listDirectory } from "../../src/cli/deno_file_source.ts";
import { InputError } from "../../src/errors.ts";

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "fitcheck-cli-io-" });
});
afterAll(() => Deno.remove(dir, { recursive: true }));

describe("denoFileSource", () => {
  test("reads text, bytes and streams", async () => {
    await Deno.writeTextFile(`${dir}/a.csv`, "x,y\n1,2\n");
    const source = denoFileSource();
    expect(await source.readText(`${dir}/a.csv`)).toBe("x,y\n1,2\n");
    expect((await source.readBytes(`${dir}/a.csv`)).length).toBe(8);
    expect(await new Response(await source.stream(`${dir}/a.csv`)).text()).toBe("x,y\n1,2\n");
    expect(source.resolve(`${dir}/s/scenario.json`, "../a.csv")).toBe(`${dir}/a.csv`);
  });

  test("missing file and directory are InputErrors naming the path as displayed", async () => {
    const source = denoFileSource({ display: (p) => p.replace(dir + "/", "") });
    await Deno.mkdir(`${dir}/sub`, { recursive: true });
    for (const read of [source.readText, source.readBytes, source.stream]) {
      await expect(read(`${dir}/missing.csv`)).rejects.toThrow(
        new InputError("file not found", { file: "missing.csv" }),
      );
      await expect(read(`${dir}/sub`)).rejects.toThrow("sub: is a directory, expected a file");
    }
    await expect(checkReadableFile(`${dir}/nope`)).rejects.toBeInstanceOf(InputError);
    await expect(listDirectory(`${dir}/nope`)).rejects.toThrow("directory not found");
  });
});

describe("atomicWriteTextFile", () => {
  test("writes the whole file and leaves no temporary behind", async () => {
    await atomicWriteTextFile(`${dir}/out.html`, "<!doctype html>");
    await atomicWriteTextFile(`${dir}/out.html`, "second");
    expect(await Deno.readTextFile(`${dir}/out.html`)).toBe("second");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    expect(names.filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  test("a missing directory or a directory target is an InputError and nothing is created", async () => {
    await expect(atomicWriteTextFile(`${dir}/no/such/out.html`, "x", { display: "no/such/out.html" }))
      .rejects.toThrow(
        "no/such/out.html: cannot write here: directory no/such does not exist (create it first)",
      );
    await Deno.mkdir(`${dir}/target.html`);
    await expect(atomicWriteTextFile(`${dir}/target.html`, "x")).rejects.toThrow("is a directory");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    expect(names.filter((n) => n.includes("target.html") && n !== "target.html")).toEqual([]);
  });
});
