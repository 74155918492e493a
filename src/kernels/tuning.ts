/**
 * Matmul variants chosen by measurement. At the first prepare of a product class on an adapter, the
 * variants that can run it (src/kernels/matmul.ts: blocked 4×4, vec4 8×8, tiled, texture) are timed
 * briefly, interleaved and paired, and the fastest is kept, in memory and in a {@linkcode TuningCache}
 * the front end supplies (on disk for the CLI, src/cli/tuning_cache.ts; in memory in the browser).
 * Every variant computes each output with the same f32 operations in the same order (tested bit for
 * bit, test/kernels/matmul.test.ts and test/kernels/tuning.test.ts), so the choice changes the speed
 * of a run, never one of its numbers. Runtime-neutral: no `Deno.*`, only `performance.now()`.
 *
 * @module
 */
import type { GpuContext } from "../gpu/context.ts";
import type { AdapterIdentity } from "../gpu/device.ts";
import { TOOL_VERSION } from "../report/types.ts";
import { chooseMatmulVariant, matmulCandidates, type MatmulVariant, prepareMatmul } from "./matmul.ts";

/** Bumped when the measurement or the candidate set changes, so older cached choices are dropped. */
export const TUNING_VERSION = 1;

/** A product as the tuner sees it: op(A) m×k times op(B) k×n, unfused epilogue. */
export interface MatmulProduct {
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

/** One product class's measured choice, as cached. */
export interface TunedChoice {
  variant: MatmulVariant;
  /** Median ms per product of each candidate timed (of the capped measurement shape). */
  medianMs: Partial<Record<MatmulVariant, number>>;
  /** Paired rounds timed. */
  rounds: number;
}

/** The choices of one adapter key, by product class ({@linkcode productClass}). */
export type TunedChoices = Record<string, TunedChoice>;

/**
 * Where tuned choices persist. The CLI's lives on disk (src/cli/tuning_cache.ts); the playground's
 * in memory. `read` of a missing or unreadable entry gives null (a corrupt file is the store's note
 * to make, never an error of the run).
 */
export interface TuningCache {
  read(key: string): Promise<TunedChoices | null>;
  write(key: string, choices: TunedChoices): Promise<void>;
  /**
   * Runs `measure` while no other tuner sharing this cache measures (the gallery's lanes, each on a
   * context of its own): a class is then measured once, not once per lane, and two tuners never time
   * against each other. Absent: the tuner measures when it needs to.
   */
  exclusive?<T>(measure: () => Promise<T>): Promise<T>;
}

/**
 * `cache` for tuners that share it: writes one at a time (concurrent writers would race on the
 * file's temporary) and an {@linkcode TuningCache.exclusive} section for measuring.
 */
export function sharedTuningCache(cache: TuningCache): Required<TuningCache> {
  const writes = oneAtATime(), measuring = oneAtATime();
  return {
    read: (key) => cache.read(key),
    write: (key, choices) => writes(() => cache.write(key, choices)),
    exclusive: (measure) => measuring(measure),
  };
}

/** Runs the tasks given to it one after another, in call order, whatever each one's outcome. */
function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (task) => {
    const done = last.then(task);
    last = done.catch(() => {});
    return done;
  };
}

/** A {@linkcode TuningCache} in memory (the browser; tests). */
export class MemoryTuningCache implements TuningCache {
  readonly entries = new Map<string, TunedChoices>();
  read(key: string): Promise<TunedChoices | null> {
    const found = this.entries.get(key);
    return Promise.resolve(found ? structuredClone(found) : null);
  }
  write(key: string, choices: TunedChoices): Promise<void> {
    this.entries.set(key, structuredClone(choices));
    return Promise.resolve();
  }
}

/**
 * The cache key of an adapter: vendor, architecture, device, description (Mesa's carries the LLVM
 * version), the runtime (its WebGPU implementation compiles the shaders), fitcheck's version and the
 * tuning version. A change of any of them measures again.
 */
export function tuningKey(identity: AdapterIdentity, version: string = TOOL_VERSION): string {
  return JSON.stringify([
    identity.vendor,
    identity.architecture,
    identity.device,
    identity.description,
    identity.runtime,
    `fitcheck ${version}`,
    `tuning ${TUNING_VERSION}`,
  ]);
}

/** The cache's name for a product class: `m×n×k` and which operands are transposed. */
export function productClass(p: MatmulProduct): string {
  return `${p.m}x${p.n}x${p.k}${p.transposeA ? " tA" : ""}${p.transposeB ? " tB" : ""}`;
}

/**
 * What `prepareMatmul` asks for an unfused product when a context has one (`ctx.matmulTuner`): the
 * measuring {@linkcode MatmulTuner}, or a test's forcing double.
 */
export interface MatmulChooser {
  choose(product: MatmulProduct): Promise<MatmulVariant>;
}

/** Options of {@linkcode MatmulTuner}. */
export interface MatmulTunerOptions {
  cache: TuningCache;
  /** Total measuring time for the context's life, ms; then the rule decides. Default 2000. */
  budgetMs?: number;
  /** Receives one line per measured class (the CLI prints them under DEBUG). */
  log?: (line: string) => void;
}

/**
 * Products below this many multiply-adds are not timed: their time is the dispatch's overhead, alike
 * for every variant, and timing them would cost more (a pipeline compile per candidate) than it saves.
 */
export const MIN_TUNED_WORK = 2 ** 19;
/** At most this long timing one product class (its pipelines' compilation aside), ms. */
const CLASS_BUDGET_MS = 400;
/** Paired rounds per class (after a warm-up round), at least MIN_ROUNDS. */
const MAX_ROUNDS = 7;
const MIN_ROUNDS = 3;
/** About this many multiply-adds per timed repetition, so a repetition outlasts the submit overhead. */
const WORK_PER_REP = 2 ** 23;
/** Each dimension is measured at most this large: speed per row is flat well before. */
const MEASURE_CAP = 1024;
/** A rival replaces the rule's variant only when its paired median ratio is below this (noise margin). */
const WIN_RATIO = 0.9;
/** A candidate whose warm-up takes this many times the fastest one's is dropped after it. */
const PRUNE_RATIO = 3;

/**
 * Chooses matmul variants by measurement for one context: `choose` answers from memory, else from
 * the cache, else measures (within the budget) and writes the cache; past the budget, or when the
 * measurement cannot separate the candidates, the rule ({@linkcode chooseMatmulVariant}) decides.
 *
 * @example
 * ```ts ignore
 * ctx.matmulTuner = new MatmulTuner(ctx, { cache: new MemoryTuningCache() });
 * const op = await prepareMatmul(ctx, { label: "x·w", a, b, y, m: 256, n: 64, k: 256 });
 * ```
 */
export class MatmulTuner implements MatmulChooser {
  readonly #ctx: GpuContext;
  readonly #cache: TuningCache;
  readonly #key: string | null;
  readonly #log: (line: string) => void;
  #budgetLeft: number;
  #choices: TunedChoices | null = null;
  readonly #queue = oneAtATime();
  /** Product classes measured by this tuner (not answered from memory or the cache). */
  readonly measured: string[] = [];

  /** The variant of every product class known so far (measured or read from the cache), by class. */
  get choices(): Record<string, MatmulVariant> {
    return Object.fromEntries(Object.entries(this.#choices ?? {}).map(([k, c]) => [k, c.variant]));
  }

  constructor(ctx: GpuContext, options: MatmulTunerOptions) {
    this.#ctx = ctx;
    this.#cache = options.cache;
    this.#key = ctx.identity ? tuningKey(ctx.identity) : null;
    this.#budgetLeft = options.budgetMs ?? 2000;
    this.#log = options.log ?? (() => {});
  }

  /** The variant for an unfused product on this context's adapter. */
  choose(product: MatmulProduct): Promise<MatmulVariant> {
    // One at a time: two concurrent prepares must not time against each other.
    return this.#queue(() => this.#choose(product));
  }

  async #choose(product: MatmulProduct): Promise<MatmulVariant> {
    const candidates = matmulCandidates(this.#ctx, product);
    // What prepareMatmul runs without a tuner: the rule, vec4 where its texture choice does not fit.
    const ruled = chooseMatmulVariant(this.#ctx.adapter, product);
    const rule = candidates.includes(ruled) ? ruled : "vec4";
    const work = product.m * product.n * product.k;
    if (this.#key === null || candidates.length < 2 || work < MIN_TUNED_WORK) return rule;
    const key = this.#key;
    this.#choices ??= (await this.#cache.read(key)) ?? {};
    const name = productClass(product);
    const known = (choices: TunedChoices) => {
      const choice = choices[name];
      return choice && candidates.includes(choice.variant) ? choice.variant : null;
    };
    const remembered = known(this.#choices);
    if (remembered) return remembered;
    if (this.#budgetLeft <= 0) return rule;
    const measure = async (): Promise<MatmulVariant> => {
      // Another tuner sharing the cache may have measured the class while this one waited.
      this.#choices = { ...this.#choices, ...(await this.#cache.read(key)) };
      const shared = known(this.#choices);
      if (shared) return shared;
      const started = performance.now();
      const choice = await measureProduct(this.#ctx, product, candidates, rule, {
        budgetMs: Math.min(CLASS_BUDGET_MS, this.#budgetLeft),
      });
      this.#budgetLeft -= performance.now() - started;
      if (!choice) return rule;
      this.measured.push(name);
      this.#choices[name] = choice;
      this.#log(
        `tuning ${name}: ${choice.variant} (${
          Object.entries(choice.medianMs).map(([v, ms]) => `${v} ${ms!.toFixed(3)} ms`).join(", ")
        }; rule: ${rule})`,
      );
      // Merged with what the others wrote meanwhile: the file keeps every lane's classes.
      await this.#cache.write(key, { ...(await this.#cache.read(key)), ...this.#choices });
      return choice.variant;
    };
    return this.#cache.exclusive ? await this.#cache.exclusive(measure) : await measure();
  }
}

/**
 * Times `candidates` on `product` (each dimension capped at {@linkcode MEASURE_CAP}): one warm-up
 * round, then paired rounds in alternating order until {@linkcode MAX_ROUNDS} or the budget. The
 * winner is the candidate with the smallest median paired ratio to `rule`, if below
 * {@linkcode WIN_RATIO}; else `rule`. Null when fewer than {@linkcode MIN_ROUNDS} rounds fit.
 */
export async function measureProduct(
  ctx: GpuContext,
  product: MatmulProduct,
  candidates: readonly MatmulVariant[],
  rule: MatmulVariant,
  options: { budgetMs: number },
): Promise<TunedChoice | null> {
  if (!candidates.includes(rule)) {
    throw new RangeError(
      `measureProduct: the rule's ${rule} is not among the candidates ${candidates.join(", ")}`,
    );
  }
  const m = Math.min(product.m, MEASURE_CAP), n = Math.min(product.n, MEASURE_CAP);
  const k = Math.min(product.k, MEASURE_CAP);
  const count = Math.max(1, Math.min(64, Math.round(WORK_PER_REP / (m * n * k))));
  // Values in [-1, 1): the timing must not depend on them, but denormals or NaNs could.
  const fill = (length: number, phase: number) =>
    Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + phase));
  const a = ctx.upload("tuning A", fill(m * k, 0));
  const b = ctx.upload("tuning B", fill(k * n, 1));
  const y = ctx.storage("tuning Y", m * n);
  const ops = new Map<MatmulVariant, Awaited<ReturnType<typeof prepareMatmul>>>();
  try {
    for (const variant of candidates) {
      ops.set(
        variant,
        await prepareMatmul(ctx, {
          label: `tuning ${variant}`,
          a,
          b,
          y,
          m,
          n,
          k,
          transposeA: product.transposeA,
          transposeB: product.transposeB,
          variant,
        }),
      );
    }
    // The class's budget counts from here: the compiles above are paid once per pipeline.
    const deadline = performance.now() + options.budgetMs;
    const time = async (variant: MatmulVariant) => {
      const op = ops.get(variant)!;
      const started = performance.now();
      ctx.submit(`tuning ${variant}`, (pass) => {
        for (let i = 0; i < count; i++) op.encode(pass);
      });
      await ctx.whileAlive(ctx.device.queue.onSubmittedWorkDone());
      return (performance.now() - started) / count;
    };
    let live = [...candidates];
    const warm = new Map<MatmulVariant, number>();
    for (const v of live) warm.set(v, await time(v));
    const fastest = Math.min(...warm.values());
    // The rule's variant always stays: it is what the ratios are taken against.
    live = live.filter((v) => v === rule || warm.get(v)! <= PRUNE_RATIO * fastest);
    const samples = new Map<MatmulVariant, number[]>(live.map((v) => [v, []]));
    let rounds = 0;
    while (rounds < MAX_ROUNDS) {
      const order = rounds % 2 === 0 ? live : [...live].reverse();
      const roundStart = performance.now();
      for (const v of order) samples.get(v)!.push(await time(v));
      rounds++;
      const roundMs = performance.now() - roundStart;
      if (rounds >= MIN_ROUNDS && performance.now() + roundMs > deadline) break;
      // A round longer than the whole budget: stop, undecided (the rule decides, nothing is cached).
      if (rounds < MIN_ROUNDS && performance.now() > deadline + options.budgetMs) break;
    }
    if (rounds < MIN_ROUNDS) return null;
    const base = samples.get(rule)!;
    let best = rule, bestRatio = WIN_RATIO;
    for (const v of live) {
      if (v === rule) continue;
      const ratio = median(samples.get(v)!.map((t, i) => t / base[i]));
      if (ratio < bestRatio) [best, bestRatio] = [v, ratio];
    }
    const medianMs: Partial<Record<MatmulVariant, number>> = {};
    for (const [v, s] of samples) medianMs[v] = median(s);
    return { variant: best, medianMs, rounds };
  } finally {
    for (const op of ops.values()) op.release();
    for (const buffer of [a, b, y]) ctx.pool.release(buffer);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
