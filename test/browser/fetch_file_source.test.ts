// The browser's FileSource, with an injected fetch: URLs resolve like file paths, HTTP failures are
// InputErrors naming the URL, module metrics map to their bundled JavaScript.
import { describe, expect, test } from "vitest";
import { fetchFileSource } from "../../src/browser/fetch_file_source.ts";
import { InputError } from "../../src/errors.ts";
import { readCsv } from "../../src/data/csv.ts";

const ORIGIN = "http://127.0.0.1:8000";

function fakeFetch(files: Record<string, string>, calls: string[] = []): typeof fetch {
  return (input) => {
    const url = String(input);
    calls.push(url);
    if (url === `${ORIGIN}/down`) return Promise.reject(new TypeError("Failed to fetch"));
    const body = files[url];
    return Promise.resolve(
      body === undefined
        ? new Response("404 not found", { status: 404, statusText: "Not Found" })
        : new Response(body, { status: 200 }),
    );
  };
}

describe("fetchFileSource", () => {
  test("reads text, bytes and streams; the CSV reader works over it", async () => {
    const url = `${ORIGIN}/scenarios/data/t.csv`;
    const source = fetchFileSource({ fetch: fakeFetch({ [url]: "a,b\n1,2\n3,4\n" }) });
    expect(await source.readText(url)).toBe("a,b\n1,2\n3,4\n");
    expect(await source.readBytes(url)).toEqual(new TextEncoder().encode("a,b\n1,2\n3,4\n"));
    const table = await readCsv(url, source);
    expect(table.header).toEqual(["a", "b"]);
    expect([...table.columns[1].values]).toEqual([2, 4]);
  });

  test("resolves relative paths against the URL's directory, as the CLI does against a file's", () => {
    const source = fetchFileSource({ fetch: fakeFetch({}) });
    const base = `${ORIGIN}/scenarios/x.json`;
    expect(source.resolve(base, "data/t.csv")).toBe(`${ORIGIN}/scenarios/data/t.csv`);
    expect(source.resolve(base, "./metrics/m.ts")).toBe(`${ORIGIN}/scenarios/metrics/m.ts`);
    expect(source.resolve(base, "../other/t.csv")).toBe(`${ORIGIN}/other/t.csv`);
    // Nothing climbs above the origin's root.
    expect(source.resolve(base, "../../../t.csv")).toBe(`${ORIGIN}/t.csv`);
  });

  test("a 404 is an InputError naming the URL and the status", async () => {
    const source = fetchFileSource({ fetch: fakeFetch({}) });
    const url = `${ORIGIN}/scenarios/missing.csv`;
    const error = await source.readText(url).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(`${url}: file not found (HTTP 404 Not Found)`);
    await expect(source.stream(url)).rejects.toBeInstanceOf(InputError);
  });

  test("a network failure is an InputError naming the URL", async () => {
    const source = fetchFileSource({ fetch: fakeFetch({}) });
    const error = await source.readBytes(`${ORIGIN}/down`).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(`${ORIGIN}/down: could not fetch: Failed to fetch`);
  });
});
