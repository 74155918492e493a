/**
 * Scenario metric modules (`{"metric": ..., "module": "./m.ts"}`) are someone else's code: they run in
 * a worker the runtime gives no permissions (Deno: `permissions: "none"`; the browser: a Web Worker,
 * away from the page), one call at a time, each with a time limit. This is the host side, over any
 * `Worker`-shaped object; the runtime supplies how a worker for a module is started
 * ({@linkcode MetricHost}: src/cli/deno_metric_host.ts, src/browser/web_metric_host.ts).
 *
 * Anything but a number coming back (a throw, a refused permission, a non-number, no answer in time, a
 * worker that died) is an InputError naming the module, the call and what it tried: the run stops
 * with exit 2 and writes nothing, and the worker is terminated, so an endless loop never hangs the CLI.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { Matrix } from "../reference/matrix.ts";
import { describeThrown } from "./metric_worker.ts";

/** Default time limit of one call of a metric module (`--metric-timeout`). */
export const DEFAULT_METRIC_TIMEOUT_MS = 10_000;

/** A matrix as it crosses to the worker (structured clone copies the Float64Array). */
export interface WireMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Host to worker. */
export interface MetricRequest {
  id: number;
  yTrue: WireMatrix;
  yPred: WireMatrix;
}

/** Worker to host: `ready` (id 0) after the module loaded, then one `value` or `fail` per request. */
export type MetricReply =
  | { kind: "ready"; id: 0 }
  | { kind: "value"; id: number; value: number }
  | { kind: "fail"; id: number; reason: string; detail?: string };

/** What the host needs of a worker: the standard `Worker` shape, in Deno and in browsers. */
export interface MetricWorker {
  postMessage(message: MetricRequest): void;
  onmessage: ((event: MessageEvent<MetricReply>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

/** A metric module running in its sandbox. */
export interface SandboxedMetric {
  /**
   * Calls the module's default export on `yTrue`, `yPred`; `call` describes the call for messages
   * ("validation predictions after epoch 20"). Rejects with an InputError on anything but a number.
   */
  call(yTrue: Matrix, yPred: Matrix, call: string): Promise<number>;
  /** Terminates the worker. */
  close(): void;
}

/** How a runtime runs metric modules: the one place that knows about workers and permissions. */
export interface MetricHost {
  /** Starts the module at `path` (absolute); resolves once it loaded. */
  load(path: string, options: MetricLoadOptions): Promise<SandboxedMetric>;
}

/** Options of {@linkcode MetricHost.load}. */
export interface MetricLoadOptions {
  /** The metric's name in the scenario, for messages. */
  metric: string;
  /** Time limit of each call, the load included. Default {@linkcode DEFAULT_METRIC_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * A MetricHost over `spawn`, which starts a worker running `serveMetricModule` for the module at
 * `path` (src/app/metric_worker.ts).
 *
 * @example
 * ```ts ignore
 * const host = workerMetricHost((path) => new Worker(workerUrlFor(path), { type: "module" }));
 * const metric = await host.load("/abs/m.ts", { metric: "accuracy" });
 * const value = await metric.call(yTrue, yPred, "validation predictions after epoch 20");
 * metric.close();
 * ```
 */
export function workerMetricHost(
  spawn: (path: string) => MetricWorker,
  options: { display?: (path: string) => string } = {},
): MetricHost {
  const display = options.display ?? ((path: string) => path);
  return {
    load: async (path, options) => {
      const limit = options.timeoutMs ?? DEFAULT_METRIC_TIMEOUT_MS;
      const fail = (call: string, reason: string, detail?: string) =>
        new InputError(
          `metric "${options.metric}", ${call}: ${reason}${
            detail && detail !== reason ? ` (${detail})` : ""
          }`,
          { file: display(path) },
        );
      let worker: MetricWorker;
      try {
        worker = spawn(path);
      } catch (e) {
        if (e instanceof InputError) throw e;
        const thrown = describeThrown(e);
        throw fail("loading the module", thrown.reason, thrown.detail);
      }
      let pending:
        | { id: number; settle: (reply: MetricReply | { kind: "died"; reason: string }) => void }
        | null = null;
      let dead: string | null = null;
      worker.onmessage = (event) => {
        if (pending && event.data?.id === pending.id) pending.settle(event.data);
      };
      worker.onerror = (event) => {
        // Unhandled here, the error would end the whole process; it ends this call instead.
        event.preventDefault();
        dead = firstLine(event.message || String(event.error ?? "the worker failed"));
        pending?.settle({ kind: "died", reason: dead });
      };
      let nextId = 0;
      const close = () => {
        dead ??= "closed";
        worker.terminate();
      };
      const exchange = (id: number, call: string, request?: MetricRequest): Promise<number> => {
        if (dead !== null) return Promise.reject(fail(call, `the worker had stopped: ${dead}`));
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => {
            pending = null;
            close();
            reject(fail(call, `did not return within ${limit / 1000} s (the limit, --metric-timeout)`));
          }, limit);
          pending = {
            id,
            settle: (reply) => {
              clearTimeout(timer);
              pending = null;
              if (reply.kind === "value") return resolve(reply.value);
              if (reply.kind === "ready") return resolve(NaN);
              close();
              reject(fail(call, reply.reason, reply.kind === "fail" ? reply.detail : undefined));
            },
          };
          if (request) worker.postMessage(request);
        });
      };
      await exchange(0, "loading the module");
      let calls = 0;
      return {
        call: (yTrue, yPred, call) => {
          const id = ++nextId;
          calls++;
          return exchange(id, `call ${calls} (${call})`, { id, yTrue: wire(yTrue), yPred: wire(yPred) });
        },
        close,
      };
    },
  };
}

function wire(m: Matrix): WireMatrix {
  return { data: Float64Array.from(m.data), rows: m.rows, cols: m.cols };
}

function firstLine(text: string): string {
  return text.split("\n")[0].replace(/^Uncaught \(in promise\) /, "").replace(/^Uncaught /, "");
}
