/**
 * Metric modules under Deno: each runs in a Worker with `permissions: "none"` (no file, network,
 * environment, subprocess, FFI or system access, whatever the CLI itself was granted). The worker's
 * entry is a `data:` module that imports the module statically: Deno loads a worker's static module
 * graph with the parent's read access, while a dynamic `import()` inside the worker would need read
 * permission the worker must not have. `Worker`'s `deno.permissions` option needs
 * `--unstable-worker-options` (Deno 2.9), which the `diagnose` and test tasks pass.
 *
 * @module
 */
import { type MetricHost, type MetricWorker, workerMetricHost } from "../app/metric_sandbox.ts";

const SERVE_URL = new URL("../app/metric_worker.ts", import.meta.url).href;

/**
 * The CLI's MetricHost.
 *
 * @example
 * ```ts ignore
 * const metric = await denoMetricHost().load("/abs/m.ts", { metric: "accuracy" });
 * ```
 */
export function denoMetricHost(options: { display?: (path: string) => string } = {}): MetricHost {
  return workerMetricHost((path) => {
    const moduleUrl = new URL(`file://${path.split("/").map(encodeURIComponent).join("/")}`).href;
    const entry = `import { serveMetricModule } from ${JSON.stringify(SERVE_URL)};\n` +
      `import * as metric from ${JSON.stringify(moduleUrl)};\n` +
      `serveMetricModule(() => Promise.resolve(metric));\n`;
    return new Worker(`data:application/javascript,${encodeURIComponent(entry)}`, {
      type: "module",
      name: `metric ${path}`,
      deno: { permissions: "none" },
    }) as unknown as MetricWorker;
  }, options);
}
