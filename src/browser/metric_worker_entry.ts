/**
 * The Web Worker of one metric module in the browser (see ./web_metric_host.ts): imports the module
 * named by its `?module=` URL parameter and serves its calls.
 *
 * @module
 */
import { serveMetricModule } from "../app/metric_worker.ts";

const module = new URL(globalThis.location.href).searchParams.get("module") ?? "";
serveMetricModule(() => import(module) as Promise<Record<string, unknown>>);
