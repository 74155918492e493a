/**
 * `npx deno task serve [--port 8000]`: serves `examples/` on 127.0.0.1 so the playground can fetch
 * `../scenarios/*.json` and their data files. WebGPU only exists in secure contexts, and
 * http://127.0.0.1 is one (a LAN address over http is not): so this binds to loopback only. Bundles
 * first when `examples/browser/dist/` is missing or older than its sources.
 *
 * @module
 */
import { bundle, BundleError, bundleIsStale } from "./bundle.ts";
import { contentType as untypedContentType } from "deno-std/media_types/content_type.js";

// deno-std ships no type declarations: typed here, at the import.
const contentType = untypedContentType as (extensionOrType: string) => string | undefined;

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** The directory to serve (the project's `examples/`). */
  root: string;
  /** Log each request to stderr (default false). */
  log?: boolean;
}

/** A running server. */
export interface RunningServer {
  /** The playground's URL: `http://127.0.0.1:PORT/browser/index.html`. */
  url: string;
  /** The server's origin: `http://127.0.0.1:PORT`. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on 127.0.0.1. Responses carry `Cache-Control: no-cache` so a rebuilt
 * bundle is picked up on reload.
 *
 * @example
 * ```ts ignore
 * const server = await startServer({ port: 0, root: "/repo/examples" });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const root = options.root.replace(/\/+$/, "");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port, onListen: resolve },
    async (req) => {
      const response = await serveFile(req, root);
      if (options.log) console.error(`${req.method} ${new URL(req.url).pathname} ${response.status}`);
      return response;
    },
  );
  return promise.then((addr) => {
    const origin = `http://127.0.0.1:${addr.port}`;
    return { origin, url: `${origin}/browser/index.html`, close: () => server.shutdown() };
  });
}

/**
 * A static file under `root`, or an error status. deno-std 1.4's `http/file_server.js` cannot be used:
 * it imports modules its npm package does not ship (`../fs/exists.js`, `./deno.json`, ...), so this is
 * the part of it the playground needs: GET and HEAD, index.html for a directory, content types, no
 * listing, nothing outside `root`.
 */
export async function serveFile(req: Request, root: string): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "method not allowed");
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url).pathname);
  } catch {
    return plain(400, "bad path");
  }
  // Resolve "." and ".." here and refuse what climbs out: never serve outside root.
  const parts: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return plain(403, "outside the served directory");
      parts.pop();
    } else if (seg.includes("\0")) return plain(400, "bad path");
    else parts.push(seg);
  }
  let file = [root, ...parts].join("/");
  try {
    let info = await Deno.stat(file);
    if (info.isDirectory) {
      file = `${file}/index.html`;
      info = await Deno.stat(file);
    }
    if (!info.isFile) return plain(404, "not found");
    const ext = file.slice(file.lastIndexOf(".")).toLowerCase();
    const headers = new Headers({
      "content-type": contentType(ext) ?? "application/octet-stream",
      "content-length": String(info.size),
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") return new Response(null, { headers });
    const handle = await Deno.open(file, { read: true });
    return new Response(handle.readable, { headers });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return plain(404, "not found");
    }
    if (e instanceof Deno.errors.PermissionDenied) return plain(403, "permission denied");
    throw e;
  }
}

function plain(status: number, text: string): Response {
  return new Response(`${status} ${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function parsePort(args: string[]): number {
  let port = 8000;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = a === "--port"
      ? args[++i]
      : a.startsWith("--port=")
      ? a.slice("--port=".length)
      : undefined;
    if (a === "--help" || a === "-h") {
      console.log(
        "Usage: npx deno task serve [--port 8000]\nServes examples/ on 127.0.0.1 (the playground at /browser/).",
      );
      Deno.exit(0);
    }
    if (value === undefined && a !== "--port") {
      throw new Error(`unknown argument ${JSON.stringify(a)}; usage: serve [--port 8000]`);
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new Error(`--port: expected an integer from 0 to 65535, got ${JSON.stringify(value ?? "")}`);
    }
    port = n;
  }
  return port;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  try {
    const port = parsePort(Deno.args);
    if (await bundleIsStale({ root })) {
      console.error("serve: bundling the playground (dist/ missing or stale)...");
      await bundle({ root });
    }
    const server = await startServer({ port, root: `${root}/examples`, log: true });
    console.log(`fitcheck playground: ${server.url}`);
    console.log(`  a gallery scenario on load: ${server.url}?scenario=a0-ex1-mse-on-multiclass&autorun`);
  } catch (e) {
    const text = e instanceof BundleError ? e.message : String(e instanceof Error ? e.message : e);
    console.error(`serve: ${text.split("\n")[0]}`);
    Deno.exit(2);
  }
}
