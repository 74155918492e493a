/**
 * The CLI's matmul tuning cache (src/cli/tuning_cache.ts): one JSON file in $XDG_CACHE_HOME/fitcheck
 * (else ~/.cache/fitcheck); it round-trips per adapter key and keeps the other keys; a corrupt or
 * foreign file is ignored with one note and rewritten; an unwritable directory costs a note, not the run.
 */
import { describe, expect, it } from "vitest";
import { FileTuningCache, TUNING_CACHE_FILE, tuningCacheDir } from "../../src/cli/tuning_cache.ts";
import type { TunedChoices } from "../../src/kernels/tuning.ts";

const CHOICES: TunedChoices = {
  "32x64x16": { variant: "texture", medianMs: { vec4: 0.2, texture: 0.1 }, rounds: 5 },
};

describe("FileTuningCache", () => {
  const temp = () => Deno.makeTempDirSync({ prefix: "fitcheck-tuning-" });

  it("round-trips per key and keeps the other keys", async () => {
    const dir = `${temp()}/fitcheck`; // not there yet: created at the first write
    const cache = new FileTuningCache(dir);
    expect(await cache.read("a")).toBeNull();
    await cache.write("a", CHOICES);
    await cache.write("b", { "1x2x3": { variant: "vec4", medianMs: { vec4: 1 }, rounds: 3 } });
    const again = new FileTuningCache(dir);
    expect(await again.read("a")).toEqual(CHOICES);
    expect((await again.read("b"))?.["1x2x3"].variant).toBe("vec4");
    expect(await again.read("c")).toBeNull();
    expect(JSON.parse(Deno.readTextFileSync(`${dir}/${TUNING_CACHE_FILE}`)).schema).toBe(
      "fitcheck.matmul-tuning/v1",
    );
  });

  for (
    const [what, text] of [
      ["not JSON", "{ truncated"],
      ["another schema", JSON.stringify({ schema: "other/v1", adapters: {} })],
      [
        "an unknown variant",
        JSON.stringify({
          schema: "fitcheck.matmul-tuning/v1",
          adapters: { a: { "1x1x1": { variant: "fastest", medianMs: {}, rounds: 3 } } },
        }),
      ],
    ]
  ) {
    it(`ignores a file holding ${what} with one note, then rewrites it`, async () => {
      const dir = temp();
      Deno.writeTextFileSync(`${dir}/${TUNING_CACHE_FILE}`, text);
      const notes: string[] = [];
      const cache = new FileTuningCache(dir, { note: (l) => notes.push(l) });
      expect(await cache.read("a")).toBeNull();
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain(`ignoring the tuning cache ${dir}/${TUNING_CACHE_FILE}`);
      await cache.write("a", CHOICES);
      expect(await new FileTuningCache(dir).read("a")).toEqual(CHOICES);
      expect(notes).toHaveLength(1); // the same problem is noted once
    });
  }

  it("notes, and does not throw, when the directory cannot be written", async () => {
    const dir = temp();
    Deno.writeTextFileSync(`${dir}/file`, "");
    const notes: string[] = [];
    const cache = new FileTuningCache(`${dir}/file/fitcheck`, { note: (l) => notes.push(l) });
    await cache.write("a", CHOICES);
    expect(notes.join("\n")).toContain("could not write the tuning cache");
  });

  it("lives in $XDG_CACHE_HOME/fitcheck, else ~/.cache/fitcheck", () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    expect(tuningCacheDir(env({ XDG_CACHE_HOME: "/x/cache/", HOME: "/home/u" }))).toBe("/x/cache/fitcheck");
    expect(tuningCacheDir(env({ XDG_CACHE_HOME: "relative", HOME: "/home/u" }))).toBe(
      "/home/u/.cache/fitcheck",
    );
    expect(tuningCacheDir(env({ HOME: "/home/u" }))).toBe("/home/u/.cache/fitcheck");
    expect(tuningCacheDir(env({}))).toBeNull();
  });
});
