/**
 * Shared GPU test helpers: one context per test file, f32 test data from seeded streams, and
 * "run prepared ops on inputs and read back".
 */
import { describe } from "vitest";
import { createGpuContext, type GpuContext, readbackF32 } from "../../src/gpu/mod.ts";
import { Rng } from "../../src/random.ts";

let shared: Promise<GpuContext> | null = null;

/** The test file's GPU context, created on first use (vitest isolates files, so one per file). */
export function testContext(): Promise<GpuContext> {
  shared ??= createGpuContext({ label: "fitcheck tests" });
  return shared;
}

/** Destroys the shared context (call from afterAll). */
export async function releaseTestContext(): Promise<void> {
  if (!shared) return;
  const ctx = await shared;
  shared = null;
  ctx.destroy();
}

/**
 * `n` float32-representable values: uniform in [-scale, scale) from the named stream. Values are
 * rounded to float32 here, so the float64 twin sees exactly what the GPU sees.
 */
export function randomF32(
  seed: string,
  n: number,
  options: { scale?: number; min?: number } = {},
): Float32Array {
  const rng = Rng.fromSeed(1234).stream(seed);
  const scale = options.scale ?? 1;
  const lo = options.min ?? -scale;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, scale);
  return out;
}

/** Float32 data widened to float64 for a twin (exact). */
export function f64(data: Float32Array): Float64Array {
  return Float64Array.from(data);
}

/**
 * Submits `ops` in one compute pass (in order), then reads `outputs` back in one readback.
 *
 * @example
 * ```ts
 * const [y] = await runOps(ctx, [op], [yBuffer]);
 * ```
 */
export async function runOps(
  ctx: GpuContext,
  ops: readonly { encode(pass: GPUComputePassEncoder): void }[],
  outputs: readonly GPUBuffer[],
  options: { byteLengths?: readonly number[] } = {},
): Promise<Float32Array[]> {
  ctx.submit("test ops", (pass) => {
    for (const op of ops) op.encode(pass);
  });
  return await readbackF32(
    ctx,
    outputs.map((buffer, i) => ({ buffer, byteLength: options.byteLengths?.[i] })),
  );
}

/**
 * `describe` for the equivalence cases of one kernel. The coverage test finds these calls by their
 * literal first argument, so write the kernel name as a string literal.
 */
export function describeKernel(name: string, body: () => void): void {
  describe(`kernel ${name}`, body);
}

/**
 * `describe` for equivalence cases that exercise several kernels together (a loss forward and its
 * gradient, argmax feeding the confusion matrix). The coverage test reads the names from the literal
 * array, so list them as string literals.
 */
export function describeKernels(names: readonly string[], title: string, body: () => void): void {
  describe(`kernels ${names.join(", ")}: ${title}`, body);
}
