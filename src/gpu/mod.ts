/**
 * The GPU host: adapter and device, buffer pool, pipeline cache, readback, errors.
 *
 * @example
 * ```ts
 * import { createGpuContext, readbackF32 } from "./mod.ts";
 * const ctx = await createGpuContext();
 * const x = ctx.upload("x", new Float32Array([1, 2]));
 * const [back] = await readbackF32(ctx, [x]);
 * ```
 * @module
 */
export {
  type AcquiredGpu,
  acquireGpu,
  type AcquireGpuOptions,
  type AdapterIdentity,
  adapterIdentity,
  describeAdapter,
} from "./device.ts";
export { BufferPool, type BufferPoolStats } from "./buffer_pool.ts";
export {
  type BindingAccess,
  type CachedPipeline,
  type OverrideConstants,
  PipelineCache,
  type ShaderSource,
} from "./pipeline_cache.ts";
export { readback, readbackF32, type ReadbackSource, readbackU32 } from "./readback.ts";
export { createGpuContext, GpuContext, STORAGE_USAGE } from "./context.ts";
export {
  DeviceLostError,
  formatBytes,
  formatCompilationMessage,
  GpuError,
  GpuLimitError,
  NoAdapterError,
} from "./errors.ts";
export { DeviceLossWatch, LOSS_GRACE_MS, watchDeviceLoss } from "./device_loss.ts";
