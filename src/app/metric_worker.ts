/**
 * The worker side of a sandboxed metric module (see ./metric_sandbox.ts for the host side): answers
 * one `call` message at a time with the module's number, or with what went wrong. Runtime-neutral:
 * the Deno worker (src/cli/deno_metric_host.ts) and the browser's Web Worker
 * (src/browser/web_metric_host.ts) both run this.
 *
 * A module's asynchronous side effects (an unawaited `fetch` or `Deno.connect`, refused by the
 * worker's permissions) reject after the call has returned; the worker waits one macrotask before it
 * answers, so such a rejection fails the call that caused it instead of going unnoticed.
 *
 * @module
 */
import type { MetricReply, MetricRequest, WireMatrix } from "./metric_sandbox.ts";

/** The parts of a worker's global scope this side uses. */
interface WorkerScope {
  postMessage(message: MetricReply): void;
  addEventListener(
    type: string,
    listener: (event: Event & { reason?: unknown; error?: unknown }) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;
/** An error the module raised outside a call's own stack (a rejected promise, a failing import). */
let stray: unknown = undefined;
let loaded = false;
// Registered when this file is evaluated, which the worker's entry does before it imports the user's
// module: an error in the module's top-level code then fails the load instead of killing the worker.
const note = (event: Event & { reason?: unknown; error?: unknown }) => {
  event.preventDefault();
  stray ??= event.reason ?? event.error ?? "an uncaught error";
  if (!loaded) scope.postMessage({ kind: "fail", id: 0, ...describeThrown(stray) });
};
if (typeof scope.addEventListener === "function") {
  scope.addEventListener("unhandledrejection", note);
  scope.addEventListener("error", note);
}

/**
 * Serves the module's default export on the worker's global scope. `load` is called once; its
 * failure (or a missing default function) is reported as the `load` call's failure.
 */
export async function serveMetricModule(load: () => Promise<Record<string, unknown>>): Promise<void> {
  let fn: (yTrue: number[][], yPred: number[][]) => unknown;
  try {
    const mod = await load();
    if (typeof mod.default !== "function") {
      scope.postMessage({
        kind: "fail",
        id: 0,
        reason: "does not export a default function (yTrue, yPred) => number",
      });
      return;
    }
    fn = mod.default as typeof fn;
    await nextTask();
  } catch (e) {
    scope.postMessage({ kind: "fail", id: 0, ...describeThrown(e) });
    return;
  }
  if (stray !== undefined) {
    scope.postMessage({ kind: "fail", id: 0, ...describeThrown(stray) });
    return;
  }
  loaded = true;
  scope.postMessage({ kind: "ready", id: 0 });
  scope.addEventListener("message", async (event) => {
    const request = (event as MessageEvent<MetricRequest>).data;
    stray = undefined;
    let value: unknown;
    try {
      value = fn(rows(request.yTrue), rows(request.yPred));
      await nextTask();
    } catch (e) {
      scope.postMessage({ kind: "fail", id: request.id, ...describeThrown(e) });
      return;
    }
    if (stray !== undefined) {
      scope.postMessage({ kind: "fail", id: request.id, ...describeThrown(stray) });
    } else if (typeof value !== "number") {
      const what = value === null || value === undefined
        ? String(value)
        : value instanceof Promise
        ? "a Promise (the function must be synchronous)"
        : Array.isArray(value)
        ? "an array"
        : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`;
      scope.postMessage({ kind: "fail", id: request.id, reason: `returned ${what}, not a number` });
    } else {
      scope.postMessage({ kind: "value", id: request.id, value });
    }
  });
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function rows(m: WireMatrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}

/**
 * What a thrown value says, as one line. A permission refusal (Deno's `NotCapable`: "Requires read
 * access to ...") becomes what the module tried, so the user reads "tried to read a file".
 */
export function describeThrown(e: unknown): { reason: string; detail?: string } {
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  const name = e instanceof Error ? e.name : "";
  const access = /Requires (\w+) access/.exec(message);
  if (access) {
    const tried: Record<string, string> = {
      read: "tried to read a file",
      write: "tried to write a file",
      env: "tried to read the environment",
      net: "tried to open a network connection",
      run: "tried to start a subprocess",
      ffi: "tried to load a native library (FFI)",
      sys: "tried to read system information",
      import: "tried to import a module from the network",
    };
    // Deno's advice ("run again with the --allow-read flag") is not for the user: the sandbox is on purpose.
    const detail = message.replace(/^NotCapable: /, "").replace(
      /, run again with the --allow-\w+ flag\.?$/,
      "",
    );
    return { reason: tried[access[1]] ?? `tried to use ${access[1]} access`, detail };
  }
  return { reason: `threw ${name && !message.startsWith(name) ? `${name}: ` : ""}${message}` };
}
