/**
 * A pool of labelled GPU buffers with byte and count accounting.
 *
 * Training allocates its buffers once and reuses them every step; the pool makes that visible
 * (live count, live bytes, peak) and recycles released buffers of the same size and usage, so
 * repeated runs in one process (the gallery, `--verify`) do not grow GPU memory.
 */
import { GpuLimitError } from "./errors.ts";

/** Accounting of a {@linkcode BufferPool}. */
export interface BufferPoolStats {
  /** Buffers handed out and not released. */
  liveBuffers: number;
  /** Bytes of those buffers. */
  liveBytes: number;
  /** Highest `liveBytes` seen. */
  peakBytes: number;
  /** Buffers created on the device (live, released or pooled). */
  created: number;
  /** Buffers destroyed (by {@linkcode BufferPool.destroyAll}); equal to `created` after it. */
  destroyed: number;
  /** Acquisitions served from released buffers. */
  reused: number;
  /** Released buffers kept for reuse, and their bytes. */
  pooledBuffers: number;
  pooledBytes: number;
}

interface Entry {
  label: string;
  size: number;
  usage: number;
  live: boolean;
}

/** Buffer sizes are rounded up to this: copies need 4-byte multiples, and 16 keeps vec4 views legal. */
const SIZE_ALIGN = 16;

const STORAGE = 0x80, UNIFORM = 0x40;

/**
 * Refuses a buffer the device could not create or bind whole (fitcheck binds whole buffers), naming
 * the buffer and the limit; WebGPU would otherwise report a validation error at a later submit.
 */
function checkLimits(limits: GPUSupportedLimits, label: string, size: number, usage: number): void {
  const over = (
    limitName: "maxBufferSize" | "maxStorageBufferBindingSize" | "maxUniformBufferBindingSize",
  ) => {
    const limit = limits[limitName];
    if (size > limit) throw new GpuLimitError({ buffer: label, bytes: size, limitName, limit });
  };
  if (usage & STORAGE) over("maxStorageBufferBindingSize");
  if (usage & UNIFORM) over("maxUniformBufferBindingSize");
  over("maxBufferSize");
}

/**
 * Labelled buffers with reuse by (size, usage).
 *
 * WebGPU labels are fixed at creation in Deno, so a reused buffer keeps its first GPU label; the
 * pool's own label (see {@linkcode BufferPool.labelOf}) is the current one.
 *
 * @example
 * ```ts
 * const pool = new BufferPool(device);
 * const x = pool.acquire("x", 1024, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
 * pool.release(x);
 * ```
 */
export class BufferPool {
  readonly device: GPUDevice;
  #entries = new Map<GPUBuffer, Entry>();
  #free = new Map<string, GPUBuffer[]>();
  #stats: BufferPoolStats = {
    liveBuffers: 0,
    liveBytes: 0,
    peakBytes: 0,
    created: 0,
    destroyed: 0,
    reused: 0,
    pooledBuffers: 0,
    pooledBytes: 0,
  };

  constructor(device: GPUDevice) {
    this.device = device;
  }

  /**
   * A buffer of at least `byteSize` bytes (rounded up to 16) with exactly `usage`.
   *
   * @throws {GpuLimitError} when the buffer exceeds `maxBufferSize`, or a storage (uniform) buffer
   * exceeds `maxStorageBufferBindingSize` (`maxUniformBufferBindingSize`).
   */
  acquire(label: string, byteSize: number, usage: GPUBufferUsageFlags): GPUBuffer {
    if (!(byteSize >= 0) || !Number.isFinite(byteSize)) {
      throw new RangeError(`buffer "${label}": invalid byte size ${byteSize}`);
    }
    const size = Math.max(SIZE_ALIGN, Math.ceil(byteSize / SIZE_ALIGN) * SIZE_ALIGN);
    checkLimits(this.device.limits, label, size, usage);
    const key = `${usage}:${size}`;
    let buffer = this.#free.get(key)?.pop();
    if (buffer) {
      this.#stats.reused++;
      this.#stats.pooledBuffers--;
      this.#stats.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ label, size, usage });
      this.#stats.created++;
    }
    this.#entries.set(buffer, { label, size, usage, live: true });
    this.#stats.liveBuffers++;
    this.#stats.liveBytes += size;
    this.#stats.peakBytes = Math.max(this.#stats.peakBytes, this.#stats.liveBytes);
    return buffer;
  }

  /** Returns a buffer to the pool for reuse. Releasing twice or a foreign buffer is a defect. */
  release(buffer: GPUBuffer): void {
    const entry = this.#entries.get(buffer);
    if (!entry) throw new Error(`buffer "${buffer.label}" does not belong to this pool`);
    if (!entry.live) throw new Error(`buffer "${entry.label}" released twice`);
    entry.live = false;
    this.#stats.liveBuffers--;
    this.#stats.liveBytes -= entry.size;
    const key = `${entry.usage}:${entry.size}`;
    const list = this.#free.get(key) ?? [];
    list.push(buffer);
    this.#free.set(key, list);
    this.#stats.pooledBuffers++;
    this.#stats.pooledBytes += entry.size;
  }

  /** The label the buffer was last acquired under. */
  labelOf(buffer: GPUBuffer): string | undefined {
    return this.#entries.get(buffer)?.label;
  }

  /** The buffers handed out and not released, so a caller can release what a run acquired. */
  live(): GPUBuffer[] {
    return [...this.#entries].filter(([, e]) => e.live).map(([b]) => b);
  }

  /** A snapshot of the accounting. */
  stats(): BufferPoolStats {
    return { ...this.#stats };
  }

  /** Destroys every buffer, live or pooled, and resets the counts (peak, created, destroyed are kept). */
  destroyAll(): void {
    for (const buffer of this.#entries.keys()) {
      buffer.destroy();
      this.#stats.destroyed++;
    }
    this.#entries.clear();
    this.#free.clear();
    Object.assign(this.#stats, { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0 });
  }
}
