/**
 * Dawn (the `webgpu` npm package) in Node, set up the way Deno and Chrome present WebGPU: the
 * `GPU*` globals and `navigator.gpu`. Node-only: loaded by vitest.dawn.config.ts, never by src/.
 */
import { create, globals } from "webgpu";

/**
 * The Vulkan driver Dawn finds an adapter on here: SwiftShader, shipped by Debian's `chromium`
 * package. Dawn rejects lavapipe 22.3 (it lacks `shaderUniform*ArrayDynamicIndexing`), so without
 * this Dawn sees no adapter at all on the CPU-only machines.
 */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** What to tell a user whose machine gives Dawn no adapter with the Vulkan driver `icd`. */
export function noAdapterHint(icd: string): string {
  const fix = icd === SWIFTSHADER_ICD
    ? "install Debian's chromium package, which ships that SwiftShader driver (scripts/setup.sh does)"
    : `unset it to use SwiftShader (${SWIFTSHADER_ICD}, from Debian's chromium package)`;
  return `test:dawn: Dawn (npm "webgpu") found no WebGPU adapter with VK_ICD_FILENAMES=${icd}: ${fix}`;
}

/**
 * Points Vulkan at SwiftShader unless the caller chose a driver. The Vulkan loader reads the
 * variable when Dawn creates its instance, so this must run before {@linkcode installDawn}.
 */
export function selectVulkanDriver(env: Record<string, string | undefined>): string {
  env.VK_ICD_FILENAMES ||= SWIFTSHADER_ICD;
  return env.VK_ICD_FILENAMES;
}

/**
 * Creates a Dawn instance and installs it as `navigator.gpu` with the WebGPU globals
 * (GPUBufferUsage, GPUMapMode, GPUShaderStage, ...) on `globalThis`. Idempotent (one instance per
 * worker).
 */
export function installDawn(): GPU {
  const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
  // Only a Dawn GPU counts as installed: any other navigator.gpu (Deno's wgpu) is replaced.
  const DawnGpu = (globals as { GPU: abstract new () => GPU }).GPU;
  if (g.navigator?.gpu instanceof DawnGpu) return g.navigator.gpu;
  Object.assign(globalThis, globals);
  const gpu = create([]);
  // Node 20 has no `navigator`; Node 21+ has one without `gpu` whose getter cannot be replaced by
  // assignment, so define the property on whichever object is there.
  if (g.navigator) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true });
  return gpu;
}

/** The adapter's identity as one line: vendor, architecture, device, description, fallback flag. */
export function describeDawnAdapter(adapter: GPUAdapter): string {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return `Dawn adapter: vendor "${info.vendor}", architecture "${info.architecture}", device "${info.device}", ` +
    `description "${info.description}", fallback ${info.isFallbackAdapter ?? "unknown"}`;
}
