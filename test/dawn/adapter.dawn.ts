/**
 * The Dawn run must really run on Dawn's SwiftShader adapter: a test run that silently fell back to
 * another WebGPU (or another driver) would "prove" the shaders on the wrong implementation.
 * Named .dawn.ts, not .test.ts, so the Deno suite (vitest.config.ts takes every .test.ts) leaves it
 * to vitest.dawn.config.ts.
 */
import process from "node:process";
import { afterAll, describe, expect, it } from "vitest";
import { globals } from "webgpu";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { noAdapterHint, selectVulkanDriver, SWIFTSHADER_ICD } from "./dawn_gpu.ts";

afterAll(releaseTestContext);

const dawn = globals as unknown as { GPU: abstract new () => GPU; GPUAdapter: abstract new () => GPUAdapter };

describe("the second implementation: Dawn on SwiftShader", () => {
  it("runs in Node, not Deno, with Vulkan pointed at SwiftShader", () => {
    expect((globalThis as { Deno?: unknown }).Deno).toBeUndefined();
    expect(process.versions.node).toMatch(/^\d+\./);
    expect(process.env.VK_ICD_FILENAMES).toBe(SWIFTSHADER_ICD);
  });

  it("navigator.gpu is Dawn's GPU and gives a Dawn adapter", async () => {
    const gpu = (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu;
    expect(gpu).toBeInstanceOf(dawn.GPU);
    const adapter = await gpu.requestAdapter();
    expect(adapter).toBeInstanceOf(dawn.GPUAdapter);
    // Dawn names the vendor and architecture in words; wgpu reports PCI ids and the driver's name
    // ("SwiftShader Device (Subzero)"), so these fields also tell the two implementations apart.
    expect(adapter!.info.vendor).toBe("google");
    expect(adapter!.info.architecture).toBe("swiftshader");
    expect(adapter!.info.description).toMatch(/^SwiftShader driver/);
  });

  it("the context the kernel tests use is on that adapter", async () => {
    const ctx = await testContext();
    expect(ctx.adapter).toMatchObject({
      vendor: "google",
      architecture: "swiftshader",
      isFallbackAdapter: true,
    });
    expect(ctx.adapter.description).toMatch(/^SwiftShader driver/);
    // fitcheck keeps whole datasets in one storage buffer: the context raises this limit (SwiftShader
    // under Dawn offers 1 GiB, wgpu on lavapipe 128 MiB).
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });
});

describe("Dawn setup helpers", () => {
  it("selectVulkanDriver fills in SwiftShader only when no driver was chosen", () => {
    const unset: Record<string, string | undefined> = {};
    expect(selectVulkanDriver(unset)).toBe(SWIFTSHADER_ICD);
    expect(unset.VK_ICD_FILENAMES).toBe(SWIFTSHADER_ICD);
    const empty: Record<string, string | undefined> = { VK_ICD_FILENAMES: "" };
    expect(selectVulkanDriver(empty)).toBe(SWIFTSHADER_ICD);
    const chosen: Record<string, string | undefined> = { VK_ICD_FILENAMES: "/opt/icd.json" };
    expect(selectVulkanDriver(chosen)).toBe("/opt/icd.json");
  });

  it("the no-adapter line names the driver tried and the fix, on one line", () => {
    const missing = noAdapterHint(SWIFTSHADER_ICD);
    expect(missing).toContain(`VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
    expect(missing).toContain("chromium");
    const other = noAdapterHint("/opt/icd.json");
    expect(other).toContain("VK_ICD_FILENAMES=/opt/icd.json");
    expect(other).toContain(`unset it to use SwiftShader (${SWIFTSHADER_ICD}`);
    for (const line of [missing, other]) expect(line).not.toContain("\n");
  });
});
