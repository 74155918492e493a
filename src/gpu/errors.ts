/**
 * Errors of the GPU layer. Both are defects or environment problems, never user input problems
 * (those are `InputError`): the CLI maps `NoAdapterError` to exit 3 and `GpuError` to a crash report.
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

/** One compiler message as `file:line:col: type: text`, the form editors and terminals link. */
export function formatCompilationMessage(file: string, message: GPUCompilationMessage): string {
  // Naga repeats the location and a source excerpt inside `message`: keep its headline and its
  // "= ..." notes (which carry the actual reason), drop the excerpt drawing.
  const lines = message.message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const notes = lines.filter((l) => l.startsWith("= ")).map((l) => l.slice(2));
  const text = [lines[0] ?? "", ...notes].join("; ");
  return `${file}:${message.lineNum}:${message.linePos}: ${message.type}: ${text}`;
}
