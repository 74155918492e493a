/**
 * Metric modules in the browser: each runs in its own Web Worker (`dist/metric_worker.js`, bundled
 * from src/browser/metric_worker_entry.ts), away from the page: no DOM, no access to the page's state,
 * the same time limit per call as the CLI, and terminated when it runs past it. What a browser lets
 * any worker do (fetch from its origin) it can do; it cannot touch the machine's files.
 *
 * @module
 */
import { type MetricHost, type MetricWorker, workerMetricHost } from "../app/metric_sandbox.ts";
import { InputError } from "../errors.ts";

/** Options of {@linkcode webMetricHost}. */
export interface WebMetricHostOptions {
  /** URL of the bundled worker entry (scripts/bundle.ts writes `examples/browser/dist/metric_worker.js`). */
  workerUrl: string;
  /**
   * Where the JavaScript of a module metric lives, given the URL the scenario names (a `.ts` file a
   * browser cannot import), or null when there is none.
   */
  moduleUrl: (url: string) => string | null;
}

/**
 * The playground's MetricHost.
 *
 * @example
 * ```ts ignore
 * const host = webMetricHost({ workerUrl: "dist/metric_worker.js", moduleUrl: (u) => u });
 * ```
 */
export function webMetricHost(options: WebMetricHostOptions): MetricHost {
  return workerMetricHost((url) => {
    const target = options.moduleUrl(url);
    if (target === null) {
      throw new InputError("module metrics need a bundled JavaScript copy in the browser; none was built", {
        file: url,
      });
    }
    const entry = new URL(options.workerUrl, globalThis.location?.href);
    entry.searchParams.set("module", target);
    return new Worker(entry.href, { type: "module", name: `metric ${url}` }) as unknown as MetricWorker;
  });
}
