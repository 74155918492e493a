/**
 * Adapter and device acquisition. Runtime-neutral: uses `navigator.gpu`, present in Deno and in
 * Chrome with WebGPU enabled.
 */
import type { AdapterReport } from "../report/types.ts";
import { NoAdapterError } from "./errors.ts";

/** Options of {@linkcode acquireGpu}. */
export interface AcquireGpuOptions {
  /** The WebGPU entry point; defaults to `navigator.gpu`. Tests and other runtimes may inject one. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** A label for the device (shows in validation messages). */
  label?: string;
}

/** What {@linkcode acquireGpu} returns. */
export interface AcquiredGpu {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
  identity: AdapterIdentity;
}

/**
 * Limits we raise to the adapter's maximum: fitcheck keeps whole datasets and activations in single
 * storage buffers, and the matmul kernel binds five storage buffers. Everything else stays default.
 */
const RAISED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupsPerDimension",
] as const;

/**
 * Requests an adapter and a device with raised storage limits.
 *
 * @throws {NoAdapterError} when WebGPU is absent or no adapter is found.
 * @example
 * ```ts
 * const { device, report } = await acquireGpu();
 * console.log(report.description, report.isFallbackAdapter);
 * ```
 */
export async function acquireGpu(options: AcquireGpuOptions = {}): Promise<AcquiredGpu> {
  const gpu = options.gpu ?? (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) throw new NoAdapterError("this runtime has no navigator.gpu");
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) throw new NoAdapterError();
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ label: options.label ?? "fitcheck", requiredLimits });
  return { adapter, device, report: describeAdapter(adapter), identity: adapterIdentity(adapter) };
}

/**
 * What identifies an adapter and its driver as far as WebGPU tells (it exposes no driver version;
 * Mesa's description carries its LLVM version), plus the runtime (its WebGPU implementation compiles
 * the shaders): the key of the matmul tuning cache (src/kernels/tuning.ts).
 */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `navigator.userAgent`: Deno's version, or the browser's. */
  runtime: string;
}

/** The {@linkcode AdapterIdentity} of `adapter`. */
export function adapterIdentity(adapter: GPUAdapter): AdapterIdentity {
  const info = (adapter.info ?? {}) as Partial<GPUAdapterInfo>;
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    runtime: (globalThis.navigator as { userAgent?: string } | undefined)?.userAgent ?? "",
  };
}

/**
 * The adapter as the report shows it. Deno 2.9 (and the current spec) expose `isFallbackAdapter` on
 * `adapter.info`; older runtimes on the adapter itself: read both.
 */
export function describeAdapter(adapter: GPUAdapter): AdapterReport {
  const info = (adapter.info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const fallback = info.isFallbackAdapter ??
    (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const description = info.description || [info.vendor, info.architecture, info.device]
    .filter((s) => s).join(" ") ||
    "unknown adapter";
  const report: AdapterReport = { description, isFallbackAdapter: fallback };
  if (info.vendor) report.vendor = info.vendor;
  if (info.architecture) report.architecture = info.architecture;
  return report;
}
