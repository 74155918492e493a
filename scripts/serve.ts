/**
 * `npx deno task serve [--port 8000]`: serves `examples/` on 127.0.0.1 so the playground can fetch
 * `../scenarios/*.json` and their data files. WebGPU only exists in secure contexts, and
 * http://127.0.0.1 is one (a LAN address over http is not): so this binds to loopback only. Bundles
 * first when `examples/browser/dist/` is missing or older than its sources.
 *
 * @module
 */
import { bundle, BundleError, bundleIsStale } from "./bundle.ts";
import { serveDir as untypedServeDir } from "deno-std/http/file_server.js";

/** The options of deno-std's serveDir that this script uses (deno-std ships no type declarations). */
interface ServeDirOptions {
  fsRoot?: string;
  quiet?: boolean;
  headers?: string[];
  showDirListing?: boolean;
}
const serveDir = untypedServeDir as (req: Request, opts?: ServeDirOptions) => Promise<Response>;

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
 * Serves `root` on 127.0.0.1. Responses carry `Cache-Control: no-cache` so a rebuilt bundle is
 * picked up on reload.
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
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port, onListen: resolve },
    (req) =>
      serveDir(req, {
        fsRoot: options.root,
        quiet: !options.log,
        headers: ["Cache-Control: no-cache"],
      }),
  );
  return promise.then((addr) => {
    const origin = `http://127.0.0.1:${addr.port}`;
    return { origin, url: `${origin}/browser/index.html`, close: () => server.shutdown() };
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
