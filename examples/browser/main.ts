/**
 * The fitcheck playground: the same engines as `diagnose run` (src/app/), over the page's WebGPU.
 * Gallery scenarios are fetched from the server (examples/ served by `npx deno task serve`); an
 * uploaded CSV stays in memory. `?scenario=NAME&autorun` runs a gallery scenario on load; when a run
 * ends, `document.body.dataset.state` is "done" or "error" so tests and people can wait on it.
 *
 * @module
 */
import { type AppEngines, createEngines } from "../../src/app/engines.ts";
import type { ProgressEvent } from "../../src/app/types.ts";
import { fetchFileSource } from "../../src/browser/fetch_file_source.ts";
import { webMetricHost } from "../../src/browser/web_metric_host.ts";
import { parseFormScenario, UPLOAD_DIR, uploadPath } from "../../src/browser/form_scenario.ts";
import { checkWebGpu } from "../../src/browser/webgpu_support.ts";
import { isInputError } from "../../src/errors.ts";
import { createGpuContext } from "../../src/gpu/mod.ts";
import { MemoryTuningCache } from "../../src/kernels/tuning.ts";
import { memoryFileSource } from "../../src/io.ts";
import { formatDuration } from "../../src/report/format.ts";
import type { Finding, Report } from "../../src/report/types.ts";
import { LiveCharts } from "./charts.ts";
import { setUpCsvForm } from "./csv_form.ts";
import { LOG_DIR, setUpLogForm } from "./log_form.ts";
import { modelFlags, readModelUpload } from "./model_upload.ts";
import { byId, h } from "./dom.ts";
import { consistencyElement, findingsElement, symptomsText } from "./render.ts";

/** One entry of dist/gallery.json (written by scripts/bundle.ts). */
interface GalleryEntry {
  file: string;
  name: string;
  description: string;
  expected: string[];
}

type State = "loading" | "idle" | "running" | "done" | "error";

const body = document.body;
const status = byId("status", HTMLParagraphElement);
const errorLine = byId("error", HTMLParagraphElement);
const select = byId("scenario", HTMLSelectElement);
const runGalleryButton = byId("run-gallery", HTMLButtonElement);
const runCsvButton = byId("run-csv", HTMLButtonElement);
const runLogButton = byId("run-log", HTMLButtonElement);
const charts = new LiveCharts(byId("loss-chart", HTMLCanvasElement), byId("score-chart", HTMLCanvasElement));

/** Module metrics are TypeScript in the gallery; scripts/bundle.ts builds their JavaScript into dist/metrics/. */
function moduleUrl(url: string): string | null {
  const m = /\/scenarios\/metrics\/([^/?#]+)\.ts$/.exec(url);
  if (m) return new URL(`dist/metrics/${m[1]}.js`, location.href).href;
  return /\.m?js$/.test(url) ? url : null;
}

const served = fetchFileSource();
const engines: AppEngines = createEngines({
  createGpu: () => createGpuContext({ label: "fitcheck-playground" }),
  metricHost: webMetricHost({ workerUrl: new URL("dist/metric_worker.js", location.href).href, moduleUrl }),
  // Matmul variants timed once per page load (src/kernels/tuning.ts), kept in memory.
  tuningCache: new MemoryTuningCache(),
});

/** The run on screen: how to run it again with `verify` (for "apply fix"), and that verified report once made. */
let current: { run: (verify: boolean, progress: (e: ProgressEvent) => void) => Promise<Report> } | null =
  null;
let verified: Promise<Report> | null = null;

/** False once the page found no WebGPU: nothing can run, whatever the state. */
let canRun = true;

function setState(state: State): void {
  body.dataset.state = state;
  const busy = state === "running" || state === "loading" || !canRun;
  runGalleryButton.disabled = busy || select.options.length === 0;
  runCsvButton.disabled = busy || !csvReady;
  // A log audit trains nothing: it needs no WebGPU.
  runLogButton.disabled = state === "running" || state === "loading" || !logReady;
}

/** One clear line: an InputError's message as the CLI would print it; anything else named as a defect. */
function showError(e: unknown): void {
  if (isInputError(e)) {
    errorLine.textContent = e.message.replaceAll(`${UPLOAD_DIR}/`, "").replaceAll(`${LOG_DIR}/`, "");
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    errorLine.textContent = `${err.name}: ${err.message.split("\n")[0]}`;
    console.error(err); // not the user's input: keep the stack for whoever debugs it
  }
  errorLine.hidden = false;
}

function clearRun(): void {
  errorLine.hidden = true;
  errorLine.textContent = "";
  charts.reset();
  byId("symptoms", HTMLParagraphElement).textContent = "";
  byId("consistency-slot", HTMLDivElement).replaceChildren();
  byId("findings-slot", HTMLDivElement).replaceChildren();
  byId("undecidable-slot", HTMLDivElement).replaceChildren();
  byId("findings-title", HTMLHeadingElement).hidden = true;
}

function trainingStatus(e: ProgressEvent, prefix: string): void {
  if (e.message) status.textContent = `${prefix}${e.message}…`;
  else if (e.epoch !== undefined) {
    const loss = e.loss !== undefined ? ` · loss ${e.loss.toPrecision(4)}` : "";
    status.textContent = `${prefix}epoch ${e.epoch}/${e.epochs}${loss}`;
  }
}

async function start(
  run: (verify: boolean, progress: (e: ProgressEvent) => void) => Promise<Report>,
): Promise<void> {
  clearRun();
  setState("running");
  status.className = "status";
  status.textContent = "Starting…";
  current = { run };
  verified = null;
  try {
    const report = await run(false, (e) => {
      trainingStatus(e, "Training: ");
      if (e.phase === "train" && e.epoch !== undefined && e.metrics) charts.add(e.epoch, e.metrics);
    });
    showReport(report);
    setState("done");
  } catch (e) {
    status.textContent = "The run stopped.";
    showError(e);
    setState("error");
  }
}

function showReport(report: Report): void {
  charts.showHistory(report.history);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  const words = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => plural(n, k));
  const verdict = report.summary.status === "ok"
    ? "✓ No problems found"
    : `${report.summary.status === "errors" ? "✗" : "!"} ${words.join(", ")}`;
  const training = report.training as { status?: string; reason?: string } | undefined;
  const ran = training?.status === "skipped"
    ? ` · training skipped: ${training.reason}`
    : ` · ${plural(report.history.filter((h) => h.epoch > 0).length, "epoch")} in ${
      formatDuration(report.timings.trainMs)
    }`;
  const adapter = report.adapter ? ` on ${report.adapter.description}` : "";
  if (report.adapter) {
    byId("adapter", HTMLParagraphElement).textContent = `WebGPU adapter: ${report.adapter.description}` +
      (report.adapter.isFallbackAdapter ? " (a software fallback: CPU speed)" : "");
  }
  const logAudit = (report.audit as { historyOnly?: boolean } | undefined)?.historyOnly === true;
  const what = logAudit
    ? `log (${plural(report.history.length, "epoch")} read)`
    : report.scenario?.name ?? "";
  status.textContent = logAudit ? `${what}: ${verdict}` : `${what}: ${verdict}${ran}${adapter}`;
  status.className = `status ${report.summary.status}`;
  byId("symptoms", HTMLParagraphElement).replaceChildren(h("strong", {}, "Symptoms: "), symptomsText(report));
  byId("consistency-slot", HTMLDivElement).replaceChildren(consistencyElement(report));
  byId("findings-title", HTMLHeadingElement).hidden = false;
  byId("findings-slot", HTMLDivElement).replaceChildren(findingsElement(report, { applyFix }));
  const undecidable = (report.audit as { undecidable?: string[] } | undefined)?.undecidable ?? [];
  byId("undecidable-slot", HTMLDivElement).replaceChildren(
    ...(undecidable.length > 0
      ? [
        h("h3", {}, "Not decidable from the log alone"),
        h("ul", { id: "undecidable" }, ...undecidable.map((u) => h("li", {}, u))),
      ]
      : []),
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * "Apply fix": the report's own `--verify` path (src/app/verify.ts with src/app/remedies.ts) re-runs the
 * scenario and re-trains once per distinct remedy of its error findings; the result is kept, so a
 * second "apply fix" on the same run shows at once.
 */
async function applyFix(finding: Finding): Promise<Finding | null> {
  if (!current) return null;
  const run = current.run;
  setState("running");
  const before = status.textContent;
  try {
    verified ??= run(true, (e) => trainingStatus(e, e.phase === "verify" ? "Fix: " : "Fix, original run: "));
    const report = await verified;
    status.textContent = before;
    setState("done");
    return report.findings.find((f) => f.code === finding.code) ?? null;
  } catch (e) {
    verified = null;
    showError(e);
    setState("error");
    return null;
  }
}

// --- gallery ---------------------------------------------------------------------------------------

let gallery: GalleryEntry[] = [];

function describeSelected(): void {
  const entry = gallery.find((g) => g.name === select.value);
  byId("scenario-description", HTMLParagraphElement).textContent = entry?.description ?? "";
  byId("scenario-expected", HTMLParagraphElement).textContent = entry
    ? `Expected: ${entry.expected.length > 0 ? entry.expected.join(", ") : "no error (healthy control)"}`
    : "";
}

function runGallery(name: string): Promise<void> {
  const entry = gallery.find((g) => g.name === name);
  if (!entry) {
    clearRun();
    showError(new Error(`unknown gallery scenario "${name}"; pick one from the list`));
    setState("error");
    return Promise.resolve();
  }
  const url = new URL(`../scenarios/${entry.file}`, location.href).href;
  return start((verify, progress) => engines.runScenario(url, { source: served, verify, progress }));
}

// --- CSV -------------------------------------------------------------------------------------------

let csvReady = false;
const csvForm = setUpCsvForm({
  onError: (e) => {
    clearRun();
    showError(e);
  },
  onReady: (ready) => {
    csvReady = ready;
    errorLine.hidden = ready ? true : errorLine.hidden;
    setState((body.dataset.state as State) ?? "idle");
  },
});

function runCsv(): Promise<void> {
  const csv = csvForm.csv();
  if (!csv) return Promise.resolve();
  return start(async (verify, progress) => {
    // With a model file, the file's architecture (and loss/optimizer) run as `run --model` does.
    const upload = await readModelUpload();
    const source = memoryFileSource({ [uploadPath(csv.name)]: csv.text, ...(upload?.files ?? {}) });
    if (upload) {
      return await engines.models!.run({
        ...modelFlags(csvForm.read(), upload.model),
        verify,
        progress,
        source,
      });
    }
    const scenario = parseFormScenario(csvForm.read(), source);
    return await engines.runParsed(scenario, { source, verify, progress });
  });
}

// --- log -------------------------------------------------------------------------------------------

let logReady = false;
const logForm = setUpLogForm({
  onChange: (ready) => {
    logReady = ready;
    setState((body.dataset.state as State) ?? "idle");
  },
});

function runLog(): Promise<void> {
  const input = logForm.read();
  if (!input) return Promise.resolve();
  return start(() =>
    engines.audit({
      history: input.history,
      loss: input.loss,
      task: input.task,
      classes: input.classes,
      split: "validation",
      fromLogits: false,
      source: input.source,
    })
  );
}

// --- start-up --------------------------------------------------------------------------------------

function setUpTabs(): void {
  const tabs = [
    byId("tab-gallery", HTMLButtonElement),
    byId("tab-csv", HTMLButtonElement),
    byId("tab-log", HTMLButtonElement),
  ];
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        byId(t.getAttribute("aria-controls")!, HTMLElement).hidden = !on;
      }
    });
  }
}

async function main(): Promise<void> {
  setUpTabs();
  select.addEventListener("change", describeSelected);
  runGalleryButton.addEventListener("click", () => void runGallery(select.value));
  byId("panel-csv", HTMLFormElement).addEventListener("submit", (e) => {
    e.preventDefault();
    void runCsv();
  });
  byId("panel-log", HTMLFormElement).addEventListener("submit", (e) => {
    e.preventDefault();
    void runLog();
  });

  // The gallery loads even without WebGPU: its descriptions are worth reading either way.
  try {
    const response = await fetch("dist/gallery.json");
    if (!response.ok) {
      throw new Error(`dist/gallery.json: HTTP ${response.status} (run npx deno task bundle)`);
    }
    gallery = await response.json() as GalleryEntry[];
  } catch (e) {
    showError(e);
    setState("error");
    return;
  }
  select.append(...gallery.map((g) => h("option", { value: g.name }, g.name)));
  const params = new URLSearchParams(location.search);
  const wanted = params.get("scenario");
  if (wanted && gallery.some((g) => g.name === wanted)) select.value = wanted;
  describeSelected();

  const support = await checkWebGpu();
  const adapterLine = byId("adapter", HTMLParagraphElement);
  if (!support.ok) {
    const banner = byId("no-webgpu", HTMLDivElement);
    banner.textContent = support.message;
    banner.dataset.missing = support.missing;
    banner.hidden = false;
    adapterLine.textContent = "No WebGPU: nothing can train on this page.";
    status.textContent = "WebGPU is not available.";
    byId("charts", HTMLDivElement).hidden = true;
    body.dataset.reason = "no-webgpu";
    canRun = false;
    setState("error");
    return;
  }
  adapterLine.textContent = "WebGPU is available; the adapter is named once a run starts.";
  setState("idle");
  if (wanted !== null && params.has("autorun")) await runGallery(wanted);
}

addEventListener("unhandledrejection", (e) => {
  showError(e.reason);
  setState("error");
});
void main();
