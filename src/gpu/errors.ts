/**
 * Errors of the GPU layer. All are defects or environment problems, never user input problems
 * (those are `InputError`): the CLI maps `NoAdapterError` and `DeviceLostError` to exit 3 (by name),
 * and `GpuError` to a crash report.
 */

/** No WebGPU adapter could be obtained. The message says how to get one. */
export class NoAdapterError extends Error {
  override name = "NoAdapterError";
  constructor(detail = "navigator.gpu.requestAdapter() returned null") {
    super(
      `no WebGPU adapter (${detail}). On Debian/Ubuntu install a Vulkan driver: ` +
        "`apt-get install -y mesa-vulkan-drivers` (software adapter: lavapipe); in Chrome, enable WebGPU " +
        "(chrome://flags/#enable-unsafe-webgpu, or --enable-unsafe-webgpu) and serve the page from http://127.0.0.1.",
    );
  }
}

/**
 * A failure reported by the WebGPU device: a shader that does not compile, a validation error, an
 * uncaptured error or a lost device. `kernel` names the kernel when one is known.
 */
export class GpuError extends Error {
  override name = "GpuError";
  readonly kernel: string | undefined;
  constructor(message: string, options: { kernel?: string; cause?: unknown } = {}) {
    super(options.kernel ? `kernel ${options.kernel}: ${message}` : message, { cause: options.cause });
    this.kernel = options.kernel;
  }
}

/**
 * The device was lost mid-run: driver reset or timeout, GPU memory exhausted, the device destroyed.
 * Surfaced by the next readback or {@linkcode GpuContext.check} (never a hang: every wait on the GPU
 * races `device.lost`). The run cannot continue on this device; running again gets a new one.
 */
export class DeviceLostError extends GpuError {
  override name = "DeviceLostError";
  /** `GPUDeviceLostInfo.reason`: "destroyed" or "unknown". */
  readonly reason: string;
  constructor(info: { reason: string; message: string }, options: { cause?: unknown } = {}) {
    super(
      `the WebGPU device was lost (${info.reason}: ${info.message.trim() || "no message"}); ` +
        "the driver reset it or it ran out of memory, or something destroyed it mid-run. Run again; if it " +
        "recurs, use a smaller batch size or model, close other programs using the GPU, or update the " +
        "GPU driver",
      options,
    );
    this.reason = info.reason;
  }
}

/**
 * A buffer larger than the device allows to bind (`maxStorageBufferBindingSize`) or to create
 * (`maxBufferSize`), refused before it is created so the user reads which buffer and which limit
 * instead of a validation error later. Too much data for this adapter, not a defect.
 */
export class GpuLimitError extends GpuError {
  override name = "GpuLimitError";
  /** The buffer's label, e.g. "validation layer 0 Z". */
  readonly buffer: string;
  readonly bytes: number;
  readonly limitName: string;
  readonly limit: number;
  constructor(details: { buffer: string; bytes: number; limitName: string; limit: number }) {
    super(
      `GPU buffer "${details.buffer}" needs ${formatBytes(details.bytes)}, over this adapter's ` +
        `${details.limitName} of ${formatBytes(details.limit)}; use fewer rows or a narrower model`,
    );
    this.buffer = details.buffer;
    this.bytes = details.bytes;
    this.limitName = details.limitName;
    this.limit = details.limit;
  }
}

/** `134217728` -> "128 MiB (134217728 bytes)": a unit to read, the exact bytes to compare. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 2 ** 20 ? [bytes / 1024, "KiB"] : [bytes / 2 ** 20, "MiB"];
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, "");
  return `${shown} ${unit} (${bytes} bytes)`;
}

/** One compiler message as `file:line:col: type: text`, the form editors and terminals link. */
export function formatCompilationMessage(file: string, message: GPUCompilationMessage): string {
  // Naga repeats the location and a source excerpt inside `message`: keep its headline and its
  // "= ..." notes (which carry the actual reason), drop the excerpt drawing.
  const lines = message.message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const notes = lines.filter((l) => l.startsWith("= ")).map((l) => l.slice(2));
  const text = [lines[0] ?? "", ...notes].join("; ");
  return `${file}:${message.lineNum}:${message.linePos}: ${message.type}: ${text}`;
}
