import { afterAll, describe, expect, it } from "vitest";
import {
  acquireGpu,
  BufferPool,
  GpuError,
  NoAdapterError,
  readbackF32,
  STORAGE_USAGE,
} from "../../src/gpu/mod.ts";
import { prepareKernel } from "../../src/kernels/kernel.ts";
import type { KernelDef } from "../../src/kernels/kernel.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

/** A throwaway kernel used only to exercise the host: doubles each element plus a uniform offset. */
const scaleDef: KernelDef<"count" | "offset"> = {
  name: "host_test_scale",
  code: `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct Params { count: u32, offset: f32 }
@group(0) @binding(2) var<uniform> params: Params;
override FACTOR: f32 = 2.0;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < params.count) { y[gid.x] = FACTOR * x[gid.x] + params.offset; }
}`,
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read-write" }],
  uniforms: [{ name: "count", type: "u32" }, { name: "offset", type: "f32" }],
  overrides: { FACTOR: 2 },
  dispatch: (u) => [Math.ceil(u.count / 64), 1, 1],
  twins: [],
};

describe("acquireGpu", () => {
  it("reports the adapter with its fallback flag", async () => {
    const ctx = await testContext();
    expect(ctx.adapter.description.length).toBeGreaterThan(0);
    expect(typeof ctx.adapter.isFallbackAdapter).toBe("boolean");
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });

  it("throws NoAdapterError with install advice when there is no adapter", async () => {
    const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
    const error = await acquireGpu({ gpu: noAdapter }).catch((e) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect(error.message).toContain("apt-get install -y mesa-vulkan-drivers");
    expect(error.message).toContain("Chrome");
  });
});

describe("BufferPool", () => {
  it("accounts live and peak bytes and reuses released buffers of the same size and usage", async () => {
    const { device } = await testContext();
    const pool = new BufferPool(device);
    const a = pool.acquire("a", 100, STORAGE_USAGE); // rounded to 112
    const b = pool.acquire("b", 64, STORAGE_USAGE);
    expect(pool.stats()).toMatchObject({ liveBuffers: 2, liveBytes: 176, peakBytes: 176, created: 2 });
    pool.release(a);
    expect(pool.stats()).toMatchObject({ liveBuffers: 1, liveBytes: 64, pooledBuffers: 1, pooledBytes: 112 });
    const c = pool.acquire("c", 110, STORAGE_USAGE);
    expect(c).toBe(a);
    expect(pool.labelOf(c)).toBe("c");
    expect(pool.stats()).toMatchObject({ reused: 1, created: 2, pooledBuffers: 0 });
    const d = pool.acquire("d", 110, STORAGE_USAGE | 0x40);
    expect(d).not.toBe(a);
    expect(() => pool.release(b)).not.toThrow();
    expect(() => pool.release(b)).toThrow(/released twice/);
    expect(pool.stats()).toMatchObject({ created: 3, destroyed: 0 });
    pool.destroyAll();
    expect(pool.stats()).toMatchObject({
      liveBuffers: 0,
      liveBytes: 0,
      peakBytes: 288,
      created: 3,
      destroyed: 3,
    });
    // Destroyed means destroyed on the device: a copy from one fails validation.
    device.pushErrorScope("validation");
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(a, 0, d, 0, 16);
    device.queue.submit([encoder.finish()]);
    expect(await device.popErrorScope()).not.toBeNull();
  });
});

describe("pipeline cache and prepared ops", () => {
  it("prepares once, encodes many times, updates uniforms, caches per override set", async () => {
    const ctx = await testContext();
    const x = ctx.upload("x", new Float32Array([1, 2, 3, 4, 5]));
    const y = ctx.storage("y", 5);
    const before = ctx.pipelines.size;
    const op = await prepareKernel(ctx, scaleDef, {
      label: "scale",
      buffers: { x, y },
      uniforms: { count: 5, offset: 0.5 },
    });
    await prepareKernel(ctx, scaleDef, {
      label: "scale again",
      buffers: { x, y },
      uniforms: { count: 5, offset: 0 },
    });
    expect(ctx.pipelines.size).toBe(before + 1);
    const op3 = await prepareKernel(ctx, scaleDef, {
      label: "scale by 3",
      buffers: { x, y },
      uniforms: { count: 5, offset: 0 },
      overrides: { FACTOR: 3 },
    });
    expect(ctx.pipelines.size).toBe(before + 2);
    ctx.submit("t", (pass) => op.encode(pass));
    const readsBefore = ctx.readbacks;
    const [first] = await readbackF32(ctx, [{ buffer: y, byteLength: 20 }]);
    expect(Array.from(first)).toEqual([2.5, 4.5, 6.5, 8.5, 10.5]);
    op.set({ count: 2, offset: -1 });
    ctx.submit("t", (pass) => op.encode(pass));
    const z = ctx.storage("z", 5);
    const op3z = await prepareKernel(ctx, scaleDef, {
      label: "into z",
      buffers: { x, y: z },
      uniforms: { count: 5, offset: 0 },
      overrides: { FACTOR: 3 },
    });
    ctx.submit("t", (pass) => op3z.encode(pass));
    // Two buffers, one readback.
    const [second, third] = await readbackF32(ctx, [{ buffer: y, byteLength: 20 }, {
      buffer: z,
      byteLength: 12,
    }]);
    expect(Array.from(second)).toEqual([1, 3, 6.5, 8.5, 10.5]);
    expect(Array.from(third)).toEqual([3, 6, 9]);
    expect(ctx.readbacks - readsBefore).toBe(2);
    op3.release();
  });

  it("turns a compile error into a message with the kernel name and line:col", async () => {
    const ctx = await testContext();
    const broken = {
      ...scaleDef,
      name: "host_test_broken",
      code: scaleDef.code.replace("FACTOR * x", "FACTOR * 1u * x"),
    };
    const error = await prepareKernel(ctx, broken, {
      label: "broken",
      buffers: { x: ctx.placeholder("x"), y: ctx.placeholder("y") },
      uniforms: { count: 1, offset: 0 },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect(error.message).toMatch(
      /kernel host_test_broken: shader does not compile:\nshaders\/host_test_broken\.wgsl:8:\d+: error: .*Multiply can't work with/,
    );
  });

  it("turns a layout that contradicts the shader into a validation GpuError", async () => {
    const ctx = await testContext();
    const wrongAccess = {
      ...scaleDef,
      name: "host_test_wrong_access",
      bindings: [{ name: "x", access: "read" as const }, { name: "y", access: "read" as const }],
    };
    const error = await prepareKernel(ctx, wrongAccess, {
      label: "wrong access",
      buffers: { x: ctx.placeholder("x"), y: ctx.placeholder("y") },
      uniforms: { count: 1, offset: 0 },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect(error.message).toContain("kernel host_test_wrong_access: pipeline creation failed");
  });
});

describe("device errors", () => {
  it("records an uncaptured error and throws it at the next readback and check()", async () => {
    const { createGpuContext } = await import("../../src/gpu/mod.ts");
    const ctx = await createGpuContext({ label: "error test" });
    try {
      const x = ctx.upload("x", new Float32Array([1]));
      // MAP_READ may not be combined with STORAGE: a validation error outside any error scope.
      ctx.device.createBuffer({ label: "invalid", size: 4, usage: 0x01 | 0x80 });
      await ctx.device.queue.onSubmittedWorkDone();
      await new Promise((r) => setTimeout(r, 20));
      expect(ctx.error).toBeInstanceOf(GpuError);
      expect(() => ctx.check()).toThrow(/uncaptured WebGPU error: .*MAP/);
      await expect(readbackF32(ctx, [x])).rejects.toThrow(/uncaptured WebGPU error/);
    } finally {
      ctx.destroy();
    }
  });
});
