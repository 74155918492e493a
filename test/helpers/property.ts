/**
 * fast-check settings shared by the property tests: a fixed seed (from $FITCHECK_PROPERTY_SEED, else
 * a constant), so that CI runs the same cases every time and a failure seen there reproduces here.
 * fast-check's failure message carries the seed, the shrink path and the minimal counterexample; the
 * seed is also printed on failure through `reporter` below, in the form to paste back into the env.
 */
import fc from "fast-check";

/** The default seed: any fixed integer; changing it is how one explores other cases on purpose. */
const DEFAULT_SEED = 20260806;

/** The seed of this run: $FITCHECK_PROPERTY_SEED (an integer) under Deno or Node, else the default. */
export function propertySeed(): number {
  const deno = (globalThis as { Deno?: { env: { get(k: string): string | undefined } } }).Deno;
  const node = (globalThis as { process?: { env: Record<string, string | undefined> } }).process;
  const raw = deno?.env.get("FITCHECK_PROPERTY_SEED") ?? node?.env.FITCHECK_PROPERTY_SEED;
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`FITCHECK_PROPERTY_SEED must be an integer, got "${raw}"`);
  }
  return seed;
}

/**
 * Parameters for `fc.assert`: the run's seed, `numRuns` cases, and a reporter that puts the seed to
 * reproduce with in front of fast-check's own report (counterexample, shrink path).
 */
export function propertyParams<T>(numRuns: number): fc.Parameters<T> {
  const seed = propertySeed();
  return {
    seed,
    numRuns,
    includeErrorInReport: true,
    reporter(details) {
      if (!details.failed) return;
      throw new Error(
        `property failed; reproduce with FITCHECK_PROPERTY_SEED=${seed}\n${fc.defaultReportMessage(details)}`,
      );
    },
  };
}

/** `fc.assert` with {@linkcode propertyParams}. */
export function checkProperty<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  fc.assert(property, propertyParams<Ts>(numRuns));
}

/** `fc.assert` with {@linkcode propertyParams}, for async properties. */
export async function checkAsyncProperty<Ts>(
  property: fc.IAsyncProperty<Ts>,
  numRuns: number,
): Promise<void> {
  await fc.assert(property, propertyParams<Ts>(numRuns));
}
