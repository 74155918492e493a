/**
 * Progress on stderr: bars (cli-progress) when stderr is a terminal; otherwise one plain line per
 * gallery scenario as it finishes, so CI logs show the gallery advancing without carriage-return noise
 * or a "training (20 epochs)" line before every scenario.
 *
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";
import type { ProgressSink } from "../app/types.ts";

/** A progress display for one run or a whole gallery. */
export interface Progress {
  /** Receives a run's epoch events. */
  sink: ProgressSink;
  /** A gallery scenario starts (`index` 0-based). */
  scenario(index: number, total: number, name: string): void;
  /** A gallery scenario finished; `line` is its one-line outcome. */
  scenarioDone(index: number, total: number, line: string): void;
  /** Removes the bars; call before anything else is printed. */
  stop(): void;
}

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Bars when true; plain lines through `log` otherwise. */
  terminal: boolean;
  /** Writes one line to stderr (non-terminal mode). */
  log: (line: string) => void;
  /** No output at all (used with `--quiet`-like situations and tests). */
  silent?: boolean;
}

/** Creates the progress display. */
export function createProgress(options: ProgressOptions): Progress {
  if (options.silent) return { sink: () => {}, scenario: () => {}, scenarioDone: () => {}, stop: () => {} };
  return options.terminal ? barProgress() : lineProgress(options.log);
}

function lineProgress(log: (line: string) => void): Progress {
  return {
    // Epochs and phases would repeat the same words for every scenario: the outcome line says it all.
    sink: () => {},
    scenario: () => {},
    scenarioDone: (index, total, line) => log(`[${index + 1}/${total}] ${line}`),
    stop: () => {},
  };
}

function barProgress(): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
      format: " {label} |{bar}| {value}/{total} {detail}",
      barsize: 24,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let scenarios: cliProgress.SingleBar | null = null;
  // Counted, not indexed: the gallery's lanes finish entries out of order.
  let done = 0;
  let epochs: cliProgress.SingleBar | null = null;
  return {
    sink: (e) => {
      if (e.epoch !== undefined && e.epochs !== undefined) {
        const detail = [e.loss !== undefined ? `loss ${e.loss.toPrecision(4)}` : "", e.message ?? ""].filter((
          s,
        ) => s).join(" ");
        if (!epochs) epochs = multi.create(e.epochs, 0, { label: e.phase.padEnd(8), detail });
        epochs.setTotal(e.epochs);
        epochs.update(e.epoch, { label: e.phase.padEnd(8), detail });
      } else if (e.message) {
        multi.log(`${e.message}\n`);
      }
    },
    scenario: (_index, total, name) => {
      if (epochs) {
        multi.remove(epochs);
        epochs = null;
      }
      if (!scenarios) scenarios = multi.create(total, 0, { label: "gallery ", detail: name });
      scenarios.update(done, { detail: name });
    },
    scenarioDone: (_index, _total, line) => {
      multi.log(`${line}\n`);
      scenarios?.update(++done);
    },
    stop: () => multi.stop(),
  };
}
