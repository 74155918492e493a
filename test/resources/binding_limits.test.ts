/**
 * Buffers over the device's limits are refused up front, with a message naming the buffer (for
 * training data: the split and the tensor) and the limit, never a validation error at a later submit.
 *
 * Reaching the real 128 MiB `maxStorageBufferBindingSize` with training data would take a 128 MiB
 * split (and its float64 copy on the host); instead the training cases run on a context whose device
 * reports a smaller limit (the real device behind it, every other limit unchanged). The allocation
 * check is also run against the real limit once: it refuses before creating anything, so it is cheap.
 */
import { afterAll, describe, expect, it } from "vitest";
import { GpuContext, GpuLimitError, STORAGE_USAGE } from "../../src/gpu/mod.ts";
import { runCli } from "../../src/cli/program.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { EVALUATION_CHUNK_BYTES, evaluationChunkRows } from "../../src/train/gpu_network.ts";
import type { ModelShape } from "../../src/train/model.ts";
import { fakeEngines, memoryIo } from "../cli/_fake.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { inlineJob, trainOptions } from "./_scenario.ts";

afterAll(releaseTestContext);

/** A context over the same device that reports `limits` in place of the device's own. */
function limitedContext(
  real: GpuContext,
  limits: Partial<Record<keyof GPUSupportedLimits, number>>,
): GpuContext {
  const device = real.device;
  const reported = new Proxy(device.limits, {
    get: (
      target,
      key,
    ) => (key in limits ? limits[key as keyof GPUSupportedLimits] : Reflect.get(target, key)),
  });
  const proxy = new Proxy(device, {
    get(target, key) {
      if (key === "limits") return reported;
      const value = Reflect.get(target, key);
      // WebGPU methods check their receiver: call them on the real device.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return new GpuContext(proxy, real.adapter);
}

const MiB = 2 ** 20;

describe("allocation limits", () => {
  it("ctx.storage and ctx.upload over maxStorageBufferBindingSize throw GpuLimitError naming buffer and limit", async () => {
    const ctx = await testContext();
    const limit = ctx.device.limits.maxStorageBufferBindingSize;
    const created = ctx.pool.stats().created;
    const error = (() => {
      try {
        ctx.storage("validation layer 2 activations", limit / 4 + 1);
      } catch (e) {
        return e;
      }
    })() as GpuLimitError;
    expect(error).toBeInstanceOf(GpuLimitError);
    expect(error.message).toContain(`GPU buffer "validation layer 2 activations" needs`);
    expect(error.message).toContain(`maxStorageBufferBindingSize of ${limit / MiB} MiB (${limit} bytes)`);
    expect({ bytes: error.bytes, limit: error.limit }).toEqual({ bytes: limit + 16, limit });
    // One float32 past the limit, really allocated on the host (128 MiB takes ~0.1 s to zero-fill).
    const data = new Float32Array(limit / 4 + 1);
    expect(() => ctx.upload("train x", data)).toThrow(
      /GPU buffer "train x" needs .* over this adapter's maxStorageBufferBindingSize/,
    );
    expect(ctx.pool.stats().created).toBe(created);
    // At the limit is fine (and not created here: 128 MiB of GPU memory for a boundary check).
    expect(() => limitedContext(ctx, { maxStorageBufferBindingSize: 64 }).storage("at limit", 16)).not
      .toThrow();
  });

  it("uniform and plain buffers are checked against their own limits", async () => {
    const ctx = limitedContext(await testContext(), {
      maxUniformBufferBindingSize: 256,
      maxBufferSize: 1024,
    });
    expect(() => ctx.pool.acquire("kernel params", 272, 0x40 | 0x08)).toThrow(
      /"kernel params" needs 272 bytes, over this adapter's maxUniformBufferBindingSize of 256 bytes/,
    );
    expect(() => ctx.pool.acquire("readback of y", 1040, 0x01 | 0x08)).toThrow(
      /"readback of y" needs 1 KiB \(1040 bytes\), over this adapter's maxBufferSize of 1 KiB \(1024 bytes\)/,
    );
    expect(() => ctx.pool.acquire("ok", 1024, STORAGE_USAGE)).not.toThrow();
  });
});

describe("training data over the binding limit", () => {
  // 200 samples, 75% to validation: validation (150 rows) is the larger split, so a limit between
  // the two splits' inputs lets train fit and refuses validation.
  const job = () =>
    inlineJob("binding-limit", {
      data: { generate: { kind: "blobs", samples: 200, features: 5, classes: 3 } },
      validation: { fraction: 0.75, shuffle: true, stratify: false },
      model: { layers: [{ units: 12, activation: "relu" }, { units: 3, activation: "softmax" }] },
      loss: "categorical-crossentropy",
      optimizer: { name: "sgd", learningRate: 0.1 },
      training: { epochs: 2, batchSize: 16 },
    });

  it("is refused before any allocation, naming the split, the tensor and the limit", async () => {
    const j = await job();
    expect({ train: j.train.x.rows, validation: j.validation?.x.rows }).toEqual({
      train: 50,
      validation: 150,
    });
    // The largest whole-split tensor is the inputs: rows × 5 × 4 bytes (layer activations are
    // evaluated in chunks of rows, so they never need a whole split's buffer).
    const limit = 150 * 5 * 4 - 16;
    const ctx = limitedContext(await testContext(), { maxStorageBufferBindingSize: limit });
    const created = ctx.pool.stats().created;
    const error = await trainOnGpu(ctx, trainOptions(j)).catch((e) => e);
    expect(error).toBeInstanceOf(GpuLimitError);
    expect(error.message).toBe(
      `GPU buffer "validation x (150 rows × 5 float32)" needs 2.9 KiB (3000 bytes), ` +
        `over this adapter's maxStorageBufferBindingSize of 2.9 KiB (${limit} bytes); ` +
        "use fewer rows or a narrower model",
    );
    expect(ctx.pool.stats().created).toBe(created);
  });

  it("evaluates in chunks of rows where a split's layer activations exceed the limit: the same numbers", async () => {
    const j = await job();
    // Exactly the validation inputs' buffer (3000 bytes, 3008 as the pool rounds to 16): the 12-unit
    // layer's activations fit 62 rows (3008 / 48), so validation's 150 rows run as 62 + 62 + 26 and
    // train's 50 in one pass.
    const limit = 150 * 5 * 4 + 8;
    const shape = j.shape;
    expect(evaluationChunkRows(shape, 150, limit)).toBe(62);
    expect(evaluationChunkRows(shape, 50, limit)).toBe(50);
    const whole = await trainOnGpu(await testContext(), trainOptions(j));
    const chunked = await trainOnGpu(
      limitedContext(await testContext(), { maxStorageBufferBindingSize: limit }),
      trainOptions(j),
    );
    expect(chunked.phase.status).toBe("completed");
    // Row by row the same operations: every loss, metric and output bit for bit.
    expect(chunked.history).toEqual(whole.history);
    expect(chunked.predictions.map((p) => [p.split, p.epoch, p.outputs, p.logits])).toEqual(
      whole.predictions.map((p) => [p.split, p.epoch, p.outputs, p.logits]),
    );
    expect(chunked.finalWeights).toEqual(whole.finalWeights);
  });
});

describe("evaluation chunks", () => {
  it("the whole split where it fits; else the most rows the binding limit and the memory cap allow", () => {
    const mlp = { inputs: 4, layers: [{ outSize: 8 }, { outSize: 2 }] } as unknown as ModelShape;
    expect(evaluationChunkRows(mlp, 1000, 128 * MiB)).toBe(1000);
    // Widest buffer 8 floats: 32 bytes a row.
    expect(evaluationChunkRows(mlp, 1000, 320)).toBe(10);
    expect(evaluationChunkRows(mlp, 1000, 16)).toBe(1);
    // An image model: 26×26×32 floats a row in the widest layer, (784 + 2·(21632 + 5408 + 10)) in all.
    const cnn = {
      inputs: 784,
      layers: [{ outSize: 21632 }, { outSize: 5408 }, { outSize: 10 }],
    } as unknown as ModelShape;
    const perRow = 4 * (784 + 2 * (21632 + 5408 + 10));
    expect(evaluationChunkRows(cnn, 48_000, 128 * MiB)).toBe(Math.floor(EVALUATION_CHUNK_BYTES / perRow));
  });
});

describe("the CLI on data over the limit", () => {
  it("exits 2 (input too large for this adapter) with the refusal on one line", async () => {
    const c = memoryIo({ "/u/s.json": "{}" });
    const limit = 128 * MiB;
    const refusal = new GpuLimitError({
      buffer: "train x (40000000 rows × 1 float32)",
      bytes: 160_000_000,
      limitName: "maxStorageBufferBindingSize",
      limit,
    });
    expect(await runCli(["run", "s.json"], c.io, fakeEngines(refusal))).toBe(2);
    expect(c.err()).toBe(
      'fitcheck: GPU buffer "train x (40000000 rows × 1 float32)" needs 153 MiB (160000000 bytes), ' +
        "over this adapter's maxStorageBufferBindingSize of 128 MiB (134217728 bytes); " +
        "use fewer rows or a narrower model\n",
    );
    expect(c.out()).toBe("");
  });
});
