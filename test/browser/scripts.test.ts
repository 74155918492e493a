// scripts/serve.ts and scripts/bundle.ts without a browser: what the server serves (and refuses), the
// gallery index, staleness, and the one-line failure of a broken bundle.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundle, BundleError, bundleIsStale, galleryIndex } from "../../scripts/bundle.ts";
import { type RunningServer, serveFile, startServer } from "../../scripts/serve.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

describe("serve", () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "fitcheck-serve-" });
    await Deno.mkdir(`${dir}/site/browser`, { recursive: true });
    await Deno.writeTextFile(`${dir}/site/browser/index.html`, "<!doctype html><p>hi</p>");
    await Deno.writeTextFile(`${dir}/site/a.json`, '{"x":1}');
    await Deno.writeTextFile(`${dir}/secret.txt`, "outside the root");
    server = await startServer({ port: 0, root: `${dir}/site` });
  });
  afterAll(async () => {
    await server?.close();
    await Deno.remove(dir, { recursive: true });
  });

  test("listens on 127.0.0.1 only and names the playground's URL", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/browser\/index\.html$/);
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("serves files with their content type and no-cache; a directory gives its index.html", async () => {
    const json = await fetch(`${server.origin}/a.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(json.headers.get("cache-control")).toBe("no-cache");
    expect(await json.text()).toBe('{"x":1}');
    const index = await fetch(`${server.origin}/browser/`);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await index.text()).toContain("hi");
  });

  test("404 for a missing file, 405 for a POST", async () => {
    const missing = await fetch(`${server.origin}/nope.csv`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
    const post = await fetch(`${server.origin}/a.json`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    await post.body?.cancel();
  });

  test("nothing outside the root, however the path is spelled", async () => {
    // URL parsing already folds "..", "%2e%2e" and "./" (they land on root/secret.txt, absent: 404);
    // an encoded slash survives parsing and only decoding reveals the "..": the handler refuses it.
    const cases: [string, number][] = [
      ["/../secret.txt", 404],
      ["/%2e%2e/secret.txt", 404],
      ["/..%2fsecret.txt", 403],
      ["/browser/..%2f..%2fsecret.txt", 403],
    ];
    for (const [path, status] of cases) {
      const response = await serveFile(new Request(`http://127.0.0.1${path}`), `${dir}/site`);
      expect(response.status, path).toBe(status);
      expect(await response.text()).not.toContain("outside the root");
    }
    // ".." that stays inside is fine.
    const inside = await serveFile(new Request("http://127.0.0.1/browser/../a.json"), `${dir}/site`);
    expect(inside.status).toBe(200);
    await inside.body?.cancel();
  });
});

describe("bundle", () => {
  test("the gallery index lists every scenario file with its name, description and expectation", async () => {
    const index = await galleryIndex(`${ROOT}/examples/scenarios`);
    const files: string[] = [];
    for await (const e of Deno.readDir(`${ROOT}/examples/scenarios`)) {
      if (e.isFile && e.name.endsWith(".json")) files.push(e.name);
    }
    expect(index.map((e) => e.file)).toEqual(files.sort());
    const first = JSON.parse(await Deno.readTextFile(`${ROOT}/examples/scenarios/${index[0].file}`));
    expect(index[0]).toEqual({
      file: index[0].file,
      name: first.name,
      description: first.description,
      expected: first.expect?.findings ?? [],
    });
  });

  test("a broken page fails with one line naming the entry; stale until built", async () => {
    const root = await Deno.makeTempDir({ prefix: "fitcheck-bundle-" });
    try {
      await Deno.mkdir(`${root}/examples/browser`, { recursive: true });
      await Deno.mkdir(`${root}/examples/scenarios`, { recursive: true });
      await Deno.mkdir(`${root}/src/browser`, { recursive: true });
      await Deno.writeTextFile(`${root}/src/browser/metric_worker_entry.ts`, "export const worker = 1;\n");
      await Deno.writeTextFile(`${root}/examples/browser/main.ts`, "export const x = (;\n");
      expect(await bundleIsStale({ root })).toBe(true);
      const error = await bundle({ root }).catch((e) => e);
      expect(error).toBeInstanceOf(BundleError);
      expect(error.message).toMatch(/^deno bundle examples\/browser\/main\.ts failed: .*error/i);
      expect(error.message).not.toContain("\n");

      await Deno.writeTextFile(`${root}/examples/browser/main.ts`, "export const x = 1;\n");
      const { files } = await bundle({ root });
      expect(files.map((f) => f.slice(root.length))).toEqual([
        "/examples/browser/dist/main.js",
        "/examples/browser/dist/metric_worker.js",
        "/examples/browser/dist/gallery.json",
      ]);
      expect(await bundleIsStale({ root })).toBe(false);
      // Touching a source makes it stale again (mtime resolution: set it explicitly in the future).
      const later = new Date(Date.now() + 5_000);
      await Deno.utime(`${root}/examples/browser/main.ts`, later, later);
      expect(await bundleIsStale({ root })).toBe(true);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});
