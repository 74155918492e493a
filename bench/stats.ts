/**
 * Summaries of repeated timings, and the interleaving loop every timed case uses.
 *
 * @module
 */

/** min / median / max of one engine's repetitions, with the raw samples in run order. */
export interface Summary {
  min: number;
  median: number;
  max: number;
  samples: number[];
}

/**
 * The summary of `samples` (at least one). The median of an even count is the mean of the middle two.
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]).median; // 2
 * ```
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError("summarize needs at least one sample, got none");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], samples: [...samples] };
}

/** One contender of an interleaved measurement: `run` does one repetition and returns its figure. */
export interface Contender {
  name: string;
  run(rep: number): Promise<number>;
}

/** Options of {@linkcode interleave}. */
export interface InterleaveOptions {
  /** Repetitions after the warm-up. */
  reps: number;
  /** Untimed repetitions first (pipeline compilation, allocator and JIT warm-up); default 1. */
  warmup?: number;
  /**
   * Reverse the order on every other repetition (A B, B A, ...), so that neither contender always
   * runs right after the other: a cache or clock state left by one then favours neither.
   */
  alternate?: boolean;
  /** Called after each repetition of each contender (progress). */
  onRep?: (name: string, rep: number, value: number) => void;
}

/**
 * Runs the contenders in turn, `reps` times, after `warmup` untimed rounds, and returns each one's
 * samples in repetition order. Interleaving (rather than all repetitions of one, then the other)
 * spreads background load from the other processes on the machine evenly over all contenders.
 */
export async function interleave(
  contenders: readonly Contender[],
  options: InterleaveOptions,
): Promise<Record<string, number[]>> {
  const warmup = options.warmup ?? 1;
  for (let w = 0; w < warmup; w++) {
    for (const c of contenders) await c.run(-1 - w);
  }
  const samples: Record<string, number[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let rep = 0; rep < options.reps; rep++) {
    const order = options.alternate && rep % 2 === 1 ? [...contenders].reverse() : contenders;
    for (const c of order) {
      const value = await c.run(rep);
      samples[c.name].push(value);
      options.onRep?.(c.name, rep, value);
    }
  }
  return samples;
}

/** The median of the per-repetition ratios a[i] / b[i] (paired, so slow drifts in load cancel). */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  if (a.length !== b.length) {
    throw new RangeError(`paired samples differ in length: ${a.length} vs ${b.length}`);
  }
  return summarize(a.map((x, i) => x / b[i]));
}
