// `deno task adapter`: prints the WebGPU adapter the tests and the CLI will use (CI logs it).
const adapter = await navigator.gpu?.requestAdapter();
if (!adapter) {
  console.error("no WebGPU adapter: install a Vulkan driver (apt-get install mesa-vulkan-drivers)");
  Deno.exit(3);
}
const info = adapter.info;
console.log(
  `${info.description || info.device || "unknown"} (vendor ${info.vendor}, architecture ${info.architecture}), ` +
    `fallback: ${(info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter}, maxStorageBufferBindingSize: ${adapter.limits.maxStorageBufferBindingSize}`,
);
