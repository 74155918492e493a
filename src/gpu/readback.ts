/**
 * The one readback helper. Deno's `mapAsync` waits in a loop with a fixed 10 ms sleep, so each
 * readback costs >= 10 ms: this copies any number of buffers into MAP_READ staging buffers in one
 * submit and maps them together, and the context counts how often it happens.
 */
import type { GpuContext } from "./context.ts";

/** A buffer to read, whole or its first `byteLength` bytes (from `offset`). */
export type ReadbackSource = GPUBuffer | { buffer: GPUBuffer; byteLength?: number; offset?: number };

const MAP_READ_USAGE = 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */;

/**
 * Copies the sources to staging buffers in one submit, maps them together and returns copies of
 * their bytes. Throws the context's recorded device error, if any, after the map completes.
 *
 * @throws {DeviceLostError} when the device is lost before or while mapping (never hangs on it).
 */
export async function readback(ctx: GpuContext, sources: readonly ReadbackSource[]): Promise<ArrayBuffer[]> {
  ctx.check();
  const encoder = ctx.device.createCommandEncoder({ label: "readback" });
  const staged = sources.map((source) => {
    const { buffer, offset = 0, byteLength } = source instanceof GPUBuffer ? { buffer: source } : source;
    const length = byteLength ?? buffer.size - offset;
    // copyBufferToBuffer needs 4-byte multiples.
    const copyLength = Math.ceil(length / 4) * 4;
    const staging = ctx.pool.acquire(`readback of ${buffer.label}`, copyLength, MAP_READ_USAGE);
    if (copyLength > 0) encoder.copyBufferToBuffer(buffer, offset, staging, 0, copyLength);
    return { staging, length };
  });
  ctx.device.queue.submit([encoder.finish()]);
  ctx.countReadback();
  try {
    await ctx.whileAlive(Promise.all(staged.map(({ staging }) => staging.mapAsync(1 /* GPUMapMode.READ */))));
    ctx.check();
    return staged.map(({ staging, length }) => staging.getMappedRange().slice(0, length));
  } finally {
    for (const { staging } of staged) {
      if (staging.mapState === "mapped") staging.unmap();
      ctx.pool.release(staging);
    }
  }
}

/** {@linkcode readback}, each result viewed as float32. */
export async function readbackF32(
  ctx: GpuContext,
  sources: readonly ReadbackSource[],
): Promise<Float32Array[]> {
  return (await readback(ctx, sources)).map((bytes) => new Float32Array(bytes));
}

/** {@linkcode readback}, each result viewed as uint32. */
export async function readbackU32(
  ctx: GpuContext,
  sources: readonly ReadbackSource[],
): Promise<Uint32Array[]> {
  return (await readback(ctx, sources)).map((bytes) => new Uint32Array(bytes));
}
