/**
 * The GPU context every host API takes: device, buffer pool, pipeline cache, readback counter and
 * the sticky error state of the device.
 */
import type { AdapterReport } from "../report/types.ts";
import { BufferPool } from "./buffer_pool.ts";
import type { MatmulChooser } from "../kernels/tuning.ts";
import { acquireGpu, type AcquireGpuOptions, type AdapterIdentity } from "./device.ts";
import { type DeviceLossWatch, watchDeviceLoss } from "./device_loss.ts";
import { DeviceLostError, GpuError } from "./errors.ts";
import { PipelineCache } from "./pipeline_cache.ts";

/** Usage of the storage buffers kernels read and write: bindable, uploadable, readable back. */
export const STORAGE_USAGE: GPUBufferUsageFlags = 0x80 /* STORAGE */ | 0x08 /* COPY_DST */ |
  0x04 /* COPY_SRC */;

/**
 * @example
 * ```ts
 * const ctx = await createGpuContext();
 * const x = ctx.upload("x", new Float32Array([1, 2, 3]));
 * const [values] = await readbackF32(ctx, [x]);
 * ctx.destroy();
 * ```
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterReport;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** The adapter's identity (the tuning cache's key); absent for a context made from a bare device. */
  readonly identity: AdapterIdentity | null;
  /**
   * Chooses matmul variants by measurement (src/kernels/tuning.ts); null: the fixed rule,
   * `chooseMatmulVariant`. Set by the front end (the CLI, the playground), never by a test by default.
   */
  matmulTuner: MatmulChooser | null = null;
  #readbacks = 0;
  #error: GpuError | null = null;
  #placeholders = new Map<string, GPUBuffer>();
  #destroyed = false;
  #loss: DeviceLossWatch;

  constructor(device: GPUDevice, adapter: AdapterReport, identity: AdapterIdentity | null = null) {
    this.device = device;
    this.adapter = adapter;
    this.identity = identity;
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.#loss = watchDeviceLoss(device);
    // Surfaced, never swallowed: the first error is kept and thrown by the next readback or check().
    device.addEventListener("uncapturederror", (event) => {
      const message = (event as GPUUncapturedErrorEvent).error?.message ?? "unknown error";
      this.#record(new GpuError(`uncaptured WebGPU error: ${message.trim()}`));
    });
    device.lost.then((info) => {
      if (this.#destroyed && info.reason === "destroyed") return;
      // A loss replaces an earlier error (kept as its cause): operations on a lost device can report
      // validation errors before `lost` resolves, and what the user must do is about the loss.
      if (!(this.#error instanceof DeviceLostError)) {
        this.#error = new DeviceLostError(info, { cause: this.#error ?? undefined });
      }
    });
  }

  /** Readbacks done so far (each costs >= 10 ms in Deno; the benchmark reports this). */
  get readbacks(): number {
    return this.#readbacks;
  }

  /** @internal Called by the readback helper. */
  countReadback(): void {
    this.#readbacks++;
  }

  /** The recorded device error, if any. */
  get error(): GpuError | null {
    return this.#error;
  }

  /** Throws the recorded device error (uncaptured error or lost device), if any. */
  check(): void {
    if (this.#error) throw this.#error;
  }

  /**
   * Awaits a GPU promise (`mapAsync`, `onSubmittedWorkDone`, ...) without ever hanging on a lost
   * device: throws {@linkcode DeviceLostError} as soon as the device is lost, also when the loss shows
   * first as the promise's rejection (see src/gpu/device_loss.ts for what Deno and Dawn do).
   */
  async whileAlive<T>(promise: Promise<T>): Promise<T> {
    try {
      return await this.#loss.guard(promise);
    } catch (e) {
      if (e instanceof DeviceLostError) this.#error = e;
      throw e;
    }
  }

  /**
   * A storage buffer filled with `data`.
   *
   * @throws {GpuLimitError} naming `label` and the limit when `data` is larger than one binding.
   */
  upload(label: string, data: Float32Array | Uint32Array | Int32Array, usage = STORAGE_USAGE): GPUBuffer {
    const buffer = this.pool.acquire(label, data.byteLength, usage);
    // Deno 2.9 panics on a zero-length writeBuffer: an empty upload writes nothing.
    if (data.byteLength > 0) {
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return buffer;
  }

  /**
   * An uninitialised storage buffer of `count` 32-bit elements.
   *
   * @throws {GpuLimitError} naming `label` and the limit when it is larger than one binding.
   */
  storage(label: string, count: number, usage = STORAGE_USAGE): GPUBuffer {
    return this.pool.acquire(label, count * 4, usage);
  }

  /**
   * A small buffer bound where a kernel's binding is unused (no bias, no pre-activation output):
   * WebGPU requires every binding to be bound. One per `role`, so a read and a read-write
   * placeholder never alias within a dispatch.
   */
  placeholder(role: string): GPUBuffer {
    let buffer = this.#placeholders.get(role);
    if (!buffer) {
      buffer = this.pool.acquire(`unused ${role}`, 16, STORAGE_USAGE);
      this.#placeholders.set(role, buffer);
    }
    return buffer;
  }

  /** Whether `buffer` is one of the shared placeholders (never released by a run). */
  isPlaceholder(buffer: GPUBuffer): boolean {
    for (const b of this.#placeholders.values()) if (b === buffer) return true;
    return false;
  }

  /**
   * Runs `body` and then returns to the pool every buffer it acquired (placeholders aside), also when
   * it throws: a training run in a long process (the gallery, --verify) leaves no GPU memory behind.
   */
  async scoped<T>(body: () => Promise<T>): Promise<T> {
    const before = new Set(this.pool.live());
    try {
      return await body();
    } finally {
      for (const b of this.pool.live()) if (!before.has(b) && !this.isPlaceholder(b)) this.pool.release(b);
    }
  }

  /** Encodes `encode` into one compute pass and submits it. */
  submit(label: string, encode: (pass: GPUComputePassEncoder) => void): void {
    const encoder = this.device.createCommandEncoder({ label });
    const pass = encoder.beginComputePass({ label });
    encode(pass);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys every pooled buffer and the device. */
  destroy(): void {
    this.#destroyed = true;
    this.pool.destroyAll();
    this.#placeholders.clear();
    this.device.destroy();
  }

  #record(error: GpuError): void {
    this.#error ??= error;
  }
}

/**
 * Acquires an adapter and device and wraps them in a context.
 *
 * @throws {NoAdapterError} when there is no adapter.
 */
export async function createGpuContext(options: AcquireGpuOptions = {}): Promise<GpuContext> {
  const { device, report, identity } = await acquireGpu(options);
  return new GpuContext(device, report, identity);
}
