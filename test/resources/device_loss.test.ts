/**
 * A lost device surfaces as DeviceLostError from the next readback or check, within a bounded time:
 * mid-run, before the first submit, during a readback, and (with a fake device) when a map never
 * settles. The CLI turns it into exit 3 and one line.
 */
import { describe, expect, it } from "vitest";
import {
  createGpuContext,
  DeviceLossWatch,
  DeviceLostError,
  type GpuContext,
  LOSS_GRACE_MS,
  readbackF32,
} from "../../src/gpu/mod.ts";
import { runCli } from "../../src/cli/program.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { fakeEngines, memoryIo } from "../cli/_fake.ts";
import { inlineJob, trainOptions } from "./_scenario.ts";

/**
 * Bound on how long a lost device may take to surface: the loss is seen at the next readback (one
 * epoch of a tiny model: milliseconds) plus at most LOSS_GRACE_MS waiting for `device.lost`; 3 s more
 * covers a loaded 2-core machine. A hang would hit the test timeout instead of this assertion.
 */
const SURFACE_MS = LOSS_GRACE_MS + 3000;

const job = () =>
  inlineJob("device-loss", {
    data: { generate: { kind: "blobs", samples: 40, features: 3, classes: 2 } },
    model: { layers: [{ units: 6, activation: "tanh", dropout: 0.2 }, { units: 2, activation: "softmax" }] },
    loss: "categorical-crossentropy",
    optimizer: { name: "sgd", learningRate: 0.1 },
    training: { epochs: 6, batchSize: 7 },
  });

async function withContext(body: (ctx: GpuContext) => Promise<void>): Promise<void> {
  const ctx = await createGpuContext({ label: "device loss test" });
  try {
    await body(ctx);
  } finally {
    ctx.destroy();
  }
}

/**
 * Runs `body`, expecting DeviceLostError within SURFACE_MS of the loss (`lostAt()`, a
 * performance.now() time; the call's start when the device is lost before it).
 */
async function expectLoss(body: () => Promise<unknown>, lostAt?: () => number): Promise<DeviceLostError> {
  const started = performance.now();
  const error = await body().then(() => null, (e) => e);
  const ms = performance.now() - Math.max(started, lostAt?.() ?? started);
  console.log(`DeviceLostError ${ms.toFixed(0)} ms after the loss`);
  expect(error, String(error?.stack)).toBeInstanceOf(DeviceLostError);
  expect(ms).toBeLessThan(SURFACE_MS);
  expect(error.name).toBe("DeviceLostError");
  expect(error.message).toMatch(/^the WebGPU device was lost \(destroyed: .+\); .*Run again/);
  return error;
}

describe("a lost device", { timeout: 20_000 }, () => {
  it("mid-run (destroyed from onEpoch) fails the run with DeviceLostError and frees its buffers", async () => {
    const j = await job();
    await withContext(async (ctx) => {
      const epochsSeen: number[] = [];
      let lostAt = 0;
      const run = () =>
        trainOnGpu(
          ctx,
          trainOptions(j, {
            onEpoch: ({ epoch }) => {
              epochsSeen.push(epoch);
              if (epoch === 2) {
                lostAt = performance.now();
                ctx.device.destroy();
              }
            },
          }),
        );
      await expectLoss(run, () => lostAt);
      // Epoch 3's readback is the one that notices; nothing after it runs.
      expect(epochsSeen).toEqual([0, 1, 2]);
      expect(() => ctx.check()).toThrow(DeviceLostError);
      expect(ctx.pool.live().every((b) => ctx.isPlaceholder(b))).toBe(true);
    });
  });

  it("before the first submit fails the run with DeviceLostError, not a shader error", async () => {
    const j = await job();
    await withContext(async (ctx) => {
      ctx.device.destroy();
      await expectLoss(() => trainOnGpu(ctx, trainOptions(j)));
    });
  });

  it("during a readback rejects that readback, and every later one", async () => {
    await withContext(async (ctx) => {
      const x = ctx.upload("x", new Float32Array([1, 2, 3, 4]));
      const pending = readbackF32(ctx, [x]);
      ctx.device.destroy();
      await expectLoss(() => pending);
      await expectLoss(() => readbackF32(ctx, [x]));
    });
  });

  it("destroyed on purpose (ctx.destroy) records no error", async () => {
    const ctx = await createGpuContext({ label: "deliberate destroy" });
    ctx.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.error).toBeNull();
  });
});

describe("DeviceLossWatch", () => {
  type Probe = "alive" | "refused" | "silent";
  /** A stand-in device: `lost` (resolved by `lose`) and a probe buffer answering as `probe` says. */
  function fakeDevice(probe: Probe = "silent") {
    let lose!: (info: GPUDeviceLostInfo) => void;
    const lost = new Promise<GPUDeviceLostInfo>((r) => (lose = r));
    const info = { reason: "unknown", message: "driver reset" } as GPUDeviceLostInfo;
    const mapAsync = () =>
      probe === "alive"
        ? Promise.resolve()
        : probe === "refused"
        ? Promise.reject(new Error("validation error occurred"))
        : new Promise<void>(() => {});
    const device = { lost, createBuffer: () => ({ mapAsync, destroy: () => {} }) } as unknown as GPUDevice;
    return { device, lose: () => lose(info) };
  }
  const mapError = new Error("OperationError: validation error occurred");

  it("a wait that never settles ends with DeviceLostError when the device is lost", async () => {
    const { device, lose } = fakeDevice();
    const watch = new DeviceLossWatch(device);
    setTimeout(lose, 20);
    const error = await watch.guard(new Promise<never>(() => {})).catch((e) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.message).toMatch(/^the WebGPU device was lost \(unknown: driver reset\);/);
    // Once lost, every later wait fails at once.
    await expect(watch.guard(Promise.resolve(1))).rejects.toBeInstanceOf(DeviceLostError);
  });

  it("a rejection followed by the loss (wgpu's order) is the loss, with the rejection as cause", async () => {
    const { device, lose } = fakeDevice();
    const watch = new DeviceLossWatch(device);
    setTimeout(lose, 30);
    const error = await watch.guard(Promise.reject(mapError)).catch((e) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.cause).toBe(mapError);
  });

  it("a rejection on a live device (the probe maps) is rethrown as it is, without waiting", async () => {
    const watch = new DeviceLossWatch(fakeDevice("alive").device);
    const started = performance.now();
    await expect(watch.guard(Promise.reject(mapError))).rejects.toBe(mapError);
    expect(performance.now() - started).toBeLessThan(LOSS_GRACE_MS / 2);
    expect(await watch.guard(Promise.resolve("value"))).toBe("value");
  });

  it("a refused probe is a loss even when device.lost never says why", async () => {
    const watch = new DeviceLossWatch(fakeDevice("refused").device, { graceMs: 50 });
    const error = await watch.guard(Promise.reject(mapError)).catch((e) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.message).toMatch(/^the WebGPU device was lost \(unknown: the device refuses new work/);
  });

  it("when neither device.lost nor the probe answers, the rejection is rethrown after the grace period", async () => {
    const watch = new DeviceLossWatch(fakeDevice("silent").device, { graceMs: 50 });
    const started = performance.now();
    await expect(watch.guard(Promise.reject(mapError))).rejects.toBe(mapError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe("the CLI on a lost device", () => {
  it("exits 3 with the loss on one line", async () => {
    const c = memoryIo({ "/u/s.json": "{}" });
    const lost = new DeviceLostError({ reason: "unknown", message: "VK_ERROR_DEVICE_LOST" });
    expect(await runCli(["run", "s.json"], c.io, fakeEngines(lost))).toBe(3);
    const lines = c.err().split("\n").filter((l) => l.length > 0);
    expect(lines).toEqual([
      expect.stringMatching(/^fitcheck: the WebGPU device was lost \(unknown: VK_ERROR_DEVICE_LOST\); /),
    ]);
    expect(c.out()).toBe("");
  });
});
