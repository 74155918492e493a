// What the playground says when WebGPU is missing: each cause named, each with how to get WebGPU.
import { describe, expect, test } from "vitest";
import { checkWebGpu, WEBGPU_HOW_TO } from "../../src/browser/webgpu_support.ts";

const gpuWith = (requestAdapter: () => Promise<GPUAdapter | null>) => ({ requestAdapter }) as unknown as GPU;

describe("checkWebGpu", () => {
  test("an insecure context is named first, with the origin: navigator.gpu is hidden there", async () => {
    const r = await checkWebGpu({ isSecureContext: false, origin: "http://192.168.1.5:8000" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.missing).toBe("secure-context");
    expect(r.message).toContain("http://192.168.1.5:8000");
    expect(r.message).toContain(WEBGPU_HOW_TO);
  });

  test("no navigator.gpu", async () => {
    const r = await checkWebGpu({ isSecureContext: true });
    expect(r).toMatchObject({ ok: false, missing: "navigator.gpu" });
    if (!r.ok) expect(r.message).toContain("--enable-unsafe-webgpu");
  });

  test("requestAdapter() gives null, or throws: no adapter, with the reason", async () => {
    const none = await checkWebGpu({ isSecureContext: true, gpu: gpuWith(() => Promise.resolve(null)) });
    expect(none).toMatchObject({ ok: false, missing: "adapter" });
    const threw = await checkWebGpu({
      isSecureContext: true,
      gpu: gpuWith(() => Promise.reject(new Error("blocklisted"))),
    });
    expect(threw).toMatchObject({ ok: false, missing: "adapter" });
    if (!threw.ok) expect(threw.message).toContain("(blocklisted)");
  });

  test("an adapter: ok", async () => {
    const adapter = {} as GPUAdapter;
    const r = await checkWebGpu({ isSecureContext: true, gpu: gpuWith(() => Promise.resolve(adapter)) });
    expect(r).toEqual({ ok: true });
  });
});
