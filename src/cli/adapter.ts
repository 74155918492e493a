// `deno task adapter`: prints the WebGPU adapter the tests and the CLI will use (CI logs it).
import { acquireGpu, NoAdapterError } from "../gpu/mod.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

const cleanup = await ensureRuntimeDir();
try {
  const { device, report } = await acquireGpu({ label: "fitcheck adapter probe" });
  const limits = device.limits;
  console.log(
    `${report.description} (vendor ${report.vendor ?? "?"}, architecture ${report.architecture || "?"}), ` +
      `fallback: ${report.isFallbackAdapter}`,
  );
  console.log(
    `limits: maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxBufferSize ${limits.maxBufferSize}, ` +
      `maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}, ` +
      `maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, ` +
      `maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize}`,
  );
  device.destroy();
  await cleanup();
} catch (error) {
  if (error instanceof NoAdapterError) {
    console.error(error.message);
    Deno.exit(3);
  }
  throw error;
}
