/**
 * A gallery lane in a worker thread: the scenarios it is sent run on a GPU device of its own, with the
 * same engines as the main thread's (src/cli/engines.ts). On Deno's WebGPU a `queue.submit` blocks
 * its thread while lavapipe runs the work, so lanes that share one thread take turns on the CPU cores;
 * in a worker each lane submits from its own thread (BENCHMARKS.md, "Where the gallery's time goes").
 *
 * The main side is {@linkcode workerLane}; the worker's side is the message loop at the bottom, which
 * runs when this module is a worker's entry. The matmul tuning cache stays the main thread's (one file,
 * one writer): the worker reads and writes it through messages.
 *
 * @module
 */
import { createEngines as createAppEngines } from "../app/engines.ts";
import type { Engines, ProgressEvent, RunOptions } from "../app/types.ts";
import type { FileSource } from "../io.ts";
import { InputError, type InputLocation } from "../errors.ts";
import { createGpuContext } from "../gpu/mod.ts";
import type { TunedChoices, TuningCache } from "../kernels/tuning.ts";
import type { Report } from "../report/types.ts";
import { displayPath } from "./_path.ts";
import { denoFileSource } from "./deno_file_source.ts";
import { denoMetricHost } from "./deno_metric_host.ts";

/** The options of a run that cross to the worker (the file source and the progress sink are rebuilt there). */
type LaneRunOptions = Omit<RunOptions, "source" | "progress">;

/** A failure, as it crosses back: bad input keeps its location, so the gallery names the file and field. */
type LaneError =
  | { kind: "input"; problem: string; location: InputLocation }
  | { kind: "other"; name: string; message: string; stack?: string };

type ToWorker =
  | { type: "init"; cwd: string; debug: boolean }
  | { type: "run"; id: number; path: string; options: LaneRunOptions }
  | { type: "cache"; id: number; value: TunedChoices | null }
  | { type: "dispose" };

type FromWorker =
  | { type: "progress"; id: number; event: ProgressEvent }
  | { type: "done"; id: number; report: Report }
  | { type: "failed"; id: number; error: LaneError }
  | { type: "cache-read"; id: number; key: string }
  | { type: "cache-write"; id: number; key: string; choices: TunedChoices }
  | { type: "tuning-lock"; id: number }
  | { type: "tuning-unlock"; id: number }
  | { type: "note"; line: string }
  | { type: "disposed" };

/** Options of {@linkcode workerLane}. */
export interface WorkerLaneOptions {
  /** Where the user ran the command: the worker shows paths relative to it, as the main thread does. */
  cwd: string;
  /** The main thread's tuning cache, shared by every lane (sharedTuningCache). */
  cache: Required<TuningCache>;
  /** Receives the worker's notes (tuning-cache problems; with DEBUG, the tuner's lines). */
  note: (line: string) => void;
  debug: boolean;
  /** The engines the CPU-only entries (data checks, audits) run on: the main thread's. */
  main: Engines;
}

/**
 * Engines whose scenario runs happen in a worker thread on a GPU device of its own (the gallery's
 * lanes past the first); data checks and audits, which use no GPU, run on `options.main`. Dispose when done.
 */
export function workerLane(options: WorkerLaneOptions): Engines & { dispose(): Promise<void> } {
  const worker = new Worker(import.meta.url, { type: "module", name: "fitcheck gallery lane" });
  const send = (message: ToWorker) => worker.postMessage(message);
  const pending = new Map<number, {
    resolve: (report: Report) => void;
    reject: (error: Error) => void;
    progress?: (event: ProgressEvent) => void;
  }>();
  const unlocks = new Map<number, () => void>();
  let nextId = 0;
  let disposed: (() => void) | null = null;
  let crashed: Error | null = null;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    switch (m.type) {
      case "progress":
        pending.get(m.id)?.progress?.(m.event);
        break;
      case "done":
        pending.get(m.id)?.resolve(m.report);
        pending.delete(m.id);
        break;
      case "failed":
        pending.get(m.id)?.reject(reviveError(m.error));
        pending.delete(m.id);
        break;
      case "cache-read":
        options.cache.read(m.key).then(
          (value) => send({ type: "cache", id: m.id, value }),
          () => send({ type: "cache", id: m.id, value: null }),
        );
        break;
      case "cache-write":
        options.cache.write(m.key, m.choices).finally(() => send({ type: "cache", id: m.id, value: null }));
        break;
      case "tuning-lock": {
        // Held for the worker until it unlocks: no other lane's tuner measures meanwhile.
        const section = () =>
          new Promise<void>((release) => {
            unlocks.set(m.id, release);
            send({ type: "cache", id: m.id, value: null });
          });
        void options.cache.exclusive(section);
        break;
      }
      case "tuning-unlock":
        unlocks.get(m.id)?.();
        unlocks.delete(m.id);
        break;
      case "note":
        options.note(m.line);
        break;
      case "disposed":
        disposed?.();
        break;
    }
  };
  worker.onerror = (e: ErrorEvent) => {
    // An uncaught error in the worker (a defect): every run waiting on it fails with it.
    e.preventDefault();
    crashed = new Error(`gallery lane worker: ${e.message}`);
    for (const run of pending.values()) run.reject(crashed);
    pending.clear();
    // A measuring section it held would block every other lane's tuner.
    for (const release of unlocks.values()) release();
    unlocks.clear();
    disposed?.();
  };
  send({ type: "init", cwd: options.cwd, debug: options.debug });
  return {
    runScenario(path, run) {
      if (crashed) return Promise.reject(crashed);
      const id = nextId++;
      const { source: _source, progress, ...crossing } = run;
      return new Promise<Report>((resolve, reject) => {
        pending.set(id, { resolve, reject, progress });
        send({ type: "run", id, path, options: crossing });
      });
    },
    checkData: (o) => options.main.checkData(o),
    audit: (o) => options.main.audit(o),
    async dispose() {
      if (!crashed) {
        // Let the worker destroy its GPU context before the thread goes.
        const done = new Promise<void>((resolve) => (disposed = resolve));
        send({ type: "dispose" });
        await done;
      }
      worker.terminate();
    },
  };
}

function laneError(e: unknown): LaneError {
  if (e instanceof InputError) return { kind: "input", problem: e.problem, location: e.location };
  const error = e instanceof Error ? e : new Error(String(e));
  return { kind: "other", name: error.name, message: error.message, stack: error.stack };
}

function reviveError(e: LaneError): Error {
  if (e.kind === "input") return new InputError(e.problem, e.location);
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  return error;
}

/** The worker's side: one engines object, runs one at a time as the main thread sends them. */
function serveLane(scope: {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}): void {
  const post = (message: FromWorker) => scope.postMessage(message);
  const replies = new Map<number, (value: TunedChoices | null) => void>();
  let nextId = 0;
  type Request =
    | { type: "cache-read"; key: string }
    | { type: "cache-write"; key: string; choices: TunedChoices }
    | { type: "tuning-lock" };
  const ask = (message: Request, id = nextId++) =>
    new Promise<TunedChoices | null>((resolve) => {
      replies.set(id, resolve);
      post({ ...message, id });
    });
  // The main thread's cache, through messages: its one file and its one measuring section.
  const cache: TuningCache = {
    read: (key) => ask({ type: "cache-read", key }),
    write: async (key, choices) => void await ask({ type: "cache-write", key, choices }),
    exclusive: async (measure) => {
      const id = nextId++;
      await ask({ type: "tuning-lock" }, id);
      try {
        return await measure();
      } finally {
        post({ type: "tuning-unlock", id });
      }
    },
  };
  let engines: ReturnType<typeof createAppEngines> | null = null;
  let source: FileSource | null = null;
  scope.onmessage = async (e) => {
    const m = e.data;
    switch (m.type) {
      case "init": {
        const display = (path: string) => displayPath(path, m.cwd);
        source = denoFileSource({ display });
        engines = createAppEngines({
          createGpu: () => createGpuContext({ label: "fitcheck gallery lane" }),
          metricHost: denoMetricHost({ display }),
          tuningCache: cache,
          tuningLog: m.debug ? (line) => post({ type: "note", line: `fitcheck: ${line}` }) : undefined,
        });
        break;
      }
      case "cache":
        replies.get(m.id)?.(m.value);
        replies.delete(m.id);
        break;
      case "run": {
        try {
          const report = await engines!.runScenario(m.path, {
            ...m.options,
            source: source!,
            progress: (event) => post({ type: "progress", id: m.id, event }),
          });
          post({ type: "done", id: m.id, report });
        } catch (error) {
          post({ type: "failed", id: m.id, error: laneError(error) });
        }
        break;
      }
      case "dispose":
        await engines?.dispose();
        post({ type: "disposed" });
        break;
    }
  };
}

// Only a worker's global scope has WorkerGlobalScope: the main thread, importing workerLane, never serves.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  serveLane(self as unknown as Parameters<typeof serveLane>[0]);
}
