/**
 * Whether this page can run fitcheck's kernels, and if not, what is missing and how to get it. The
 * playground shows the answer instead of a blank page or a stack trace.
 *
 * @module
 */

/** The result of {@linkcode checkWebGpu}. */
export type WebGpuSupport =
  | { ok: true }
  | { ok: false; missing: "secure-context" | "navigator.gpu" | "adapter"; message: string };

/** What {@linkcode checkWebGpu} reads; defaults to the page's globals. Tests inject their own. */
export interface WebGpuEnvironment {
  isSecureContext?: boolean;
  gpu?: GPU;
  /** The page's origin, to name it in the message ("http://0.0.0.0:8000"). */
  origin?: string;
}

/** How to get WebGPU, shared by every message. */
export const WEBGPU_HOW_TO = "Use Chrome or Edge 113 or newer on a machine with a GPU (headless Chromium: " +
  "--enable-unsafe-webgpu), and open the page from http://127.0.0.1 or https (npx deno task serve).";

/**
 * Checks the secure context, `navigator.gpu` and `requestAdapter()`, in that order: WebGPU is only
 * exposed in secure contexts, so a page opened from `file://` or a LAN address over http lacks
 * `navigator.gpu` for a reason the user can fix without changing browsers.
 *
 * @example
 * ```ts ignore
 * const support = await checkWebGpu();
 * if (!support.ok) showMessage(support.message);
 * ```
 */
export async function checkWebGpu(env: WebGpuEnvironment = pageEnvironment()): Promise<WebGpuSupport> {
  if (env.isSecureContext === false) {
    return {
      ok: false,
      missing: "secure-context",
      message: `WebGPU needs a secure context, and this page (${env.origin ?? "this origin"}) is not one. ` +
        WEBGPU_HOW_TO,
    };
  }
  if (!env.gpu) {
    return {
      ok: false,
      missing: "navigator.gpu",
      message: `This browser does not expose WebGPU (navigator.gpu is missing). ${WEBGPU_HOW_TO}`,
    };
  }
  let adapter: GPUAdapter | null = null;
  let why = "";
  try {
    adapter = await env.gpu.requestAdapter();
  } catch (e) {
    why = ` (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!adapter) {
    return {
      ok: false,
      missing: "adapter",
      message: `WebGPU is present but no GPU adapter is available${why}: the GPU may be blocklisted or ` +
        `disabled (see chrome://gpu). ${WEBGPU_HOW_TO}`,
    };
  }
  return { ok: true };
}

function pageEnvironment(): WebGpuEnvironment {
  const g = globalThis as { isSecureContext?: boolean; location?: { origin?: string } };
  return {
    isSecureContext: g.isSecureContext,
    gpu: (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu,
    origin: g.location?.origin,
  };
}
