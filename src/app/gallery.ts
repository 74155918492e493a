/**
 * The gallery: every scenario of a directory, trained and diagnosed, each compared with the findings
 * its file says it should produce (`expect.findings`). Runtime-neutral: the directory listing and the
 * file reads are injected.
 *
 * @module
 */
import { InputError, isInputError } from "../errors.ts";
import { type FileSource, joinPath } from "../io.ts";
import type { GalleryDocument, GalleryEntry, Report } from "../report/types.ts";
import { runAuditCase } from "./audit_gallery.ts";
import type { Engines, ProgressSink } from "./types.ts";

/** Options of {@linkcode runGallery}. */
export interface GalleryOptions {
  source: FileSource;
  /** Names (not paths) of the entries of `dir`; the gallery keeps the `*.json` ones. */
  listDir(dir: string): Promise<string[]>;
  /** Overrides every scenario's `training.epochs`. */
  epochs?: number;
  verify?: boolean;
  /** Time limit of each metric-module call, in ms (default 10 s). */
  metricTimeoutMs?: number;
  /** `--budget` and `--no-tune` for every scenario (RunOptions). */
  budget?: number | null;
  tune?: boolean;
  /** Called before each scenario runs (`index` 0-based). */
  onStart?(info: { index: number; total: number; name: string; path: string }): void;
  /** Called after each scenario, with its entry and report (null when it could not run). */
  onDone?(info: { index: number; total: number; entry: GalleryEntry; report: Report | null }): void;
  /** Receives the training progress of the scenario being run. */
  progress?: ProgressSink;
  /** Text recorded for a scenario that failed with an InputError. Default: its message. */
  describe?(error: InputError): string;
  /** A directory of audit cases (`examples/audits`), run after the scenarios (audit_gallery.ts). */
  auditsDir?: string;
  /**
   * Entries run at once (default 1), each lane on engines of its own (`engines.fork`, a GPU context
   * each; without `fork`, one lane). A run spends much of its time waiting on the GPU queue (a
   * readback's round trip, pipeline creation) with the CPU idle: other lanes fill those gaps (the CLI's
   * run in worker threads: src/cli/lane_worker.ts, `galleryLanes` in src/cli/program.ts). Every
   * run is seeded and the matmul variants are bit-identical, so the lanes change no entry's result.
   */
  lanes?: number;
}

/** The gallery document and, index for index, the report of each scenario (null where it failed). */
export interface GalleryResult {
  document: GalleryDocument;
  reports: (Report | null)[];
}

/**
 * Runs every `*.json` scenario of `dir` in name order and checks each against `expect.findings`.
 *
 * A scenario whose file is bad input (InputError) is recorded as failed with its message and the
 * gallery goes on; any other error (no adapter, a defect) stops the gallery (the other lanes finish
 * the entry they are on) and propagates.
 *
 * @example
 * ```ts ignore
 * const { document } = await runGallery("/repo/examples/scenarios", engines, { source, listDir });
 * const failed = document.scenarios.filter((s) => !s.ok);
 * ```
 */
export async function runGallery(
  dir: string,
  engines: Engines,
  options: GalleryOptions,
): Promise<GalleryResult> {
  const jsonIn = async (d: string) =>
    (await options.listDir(d)).filter((n) => n.endsWith(".json")).sort(compareNames).map((file) => ({
      file,
      path: joinPath(d, file),
    }));
  const jobs = [
    ...(await jsonIn(dir)).map((j) => ({ ...j, kind: "scenario" as const })),
    ...(options.auditsDir ? await jsonIn(options.auditsDir) : []).map((j) => ({
      ...j,
      kind: "audit" as const,
    })),
  ];
  const names = jobs.map((j) => j.file);
  const scenarios: GalleryEntry[] = new Array(jobs.length);
  const reports: (Report | null)[] = new Array(jobs.length);
  const runEntry = async (index: number, lane: Engines): Promise<void> => {
    const { file, path, kind } = jobs[index];
    const fallbackName = file.slice(0, -".json".length);
    options.onStart?.({ index, total: names.length, name: fallbackName, path });
    const started = performance.now();
    let entry: GalleryEntry;
    let report: Report | null = null;
    try {
      if (kind === "audit") {
        const done = await runAuditCase(path, lane, options.source);
        report = done.report;
        entry = { ...done.entry, ms: Math.round(performance.now() - started) };
      } else {
        const expected = await readExpectation(path, options.source);
        report = await lane.runScenario(path, {
          source: options.source,
          epochs: options.epochs,
          verify: options.verify,
          budget: options.budget,
          tune: options.tune,
          progress: options.progress,
          metricTimeoutMs: options.metricTimeoutMs,
        });
        entry = {
          name: report.scenario?.name ?? fallbackName,
          expected,
          found: foundCodes(report),
          ok: meetsExpectation(expected, report),
          ms: Math.round(performance.now() - started),
        };
      }
    } catch (e) {
      if (!isInputError(e)) throw e;
      entry = {
        name: fallbackName,
        expected: [],
        found: [],
        ok: false,
        ms: Math.round(performance.now() - started),
        error: options.describe ? options.describe(e) : e.message,
      };
    }
    scenarios[index] = entry;
    reports[index] = report;
    options.onDone?.({ index, total: names.length, entry, report });
  };
  // Each lane takes the next entry in name order; the document keeps name order whatever finishes first.
  const forks = Array.from(
    { length: Math.max(0, Math.min(options.lanes ?? 1, jobs.length) - 1) },
    () => engines.fork?.(),
  ).filter((f) => f !== undefined);
  let next = 0;
  let failure: { error: unknown } | null = null;
  // The other lanes start once the first entry is done: its kernels are compiled by then, and the
  // driver's shader cache holds them, so the lanes do not all compile the same pipelines at once.
  let firstDone = () => {};
  const first = new Promise<void>((resolve) => (firstDone = resolve));
  const lane = async (on: Engines) => {
    if (on !== engines) await first;
    while (failure === null && next < jobs.length) {
      const index = next++;
      try {
        await runEntry(index, on);
      } catch (error) {
        failure ??= { error };
      }
      firstDone();
    }
    firstDone();
  };
  try {
    await Promise.all([engines, ...forks].map(lane));
  } finally {
    await Promise.all(forks.map((f) => f.dispose()));
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return { document: { schema: "fitcheck.gallery/v1", scenarios }, reports };
}

/** Codes of the findings that count for the gallery: errors and warnings (info is commentary). */
export function foundCodes(report: Report): string[] {
  return report.findings.filter((f) => f.severity !== "info").map((f) => f.code);
}

/**
 * Every expected code must be among the error and warning findings; a scenario that expects nothing
 * is a healthy setup and must produce no error and no warning (info notes are allowed): a warning is a
 * harm claimed, and a healthy setup has none.
 */
export function meetsExpectation(expected: readonly string[], report: Report): boolean {
  if (expected.length === 0) return !report.findings.some((f) => f.severity !== "info");
  const found = new Set(foundCodes(report));
  return expected.every((code) => found.has(code));
}

/** Reads `expect.findings` from the raw scenario file (the schema itself is the scenario loader's job). */
async function readExpectation(path: string, source: FileSource): Promise<string[]> {
  const text = await source.readText(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file: path });
  }
  const expect = (json as { expect?: { findings?: unknown } } | null)?.expect;
  if (expect === undefined) return [];
  const findings = expect?.findings;
  if (!Array.isArray(findings) || !findings.every((c) => typeof c === "string")) {
    throw new InputError(`expected an array of finding codes, got ${JSON.stringify(findings)}`, {
      file: path,
      field: "expect.findings",
    });
  }
  return findings;
}

// Code-point order, not locale order: the gallery runs in the same order on every machine.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
