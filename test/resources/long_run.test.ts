/**
 * 10,000 training steps on one context: GPU memory and pipelines stay flat after the first epoch,
 * the run returns every buffer to the pool, and destroying the context destroys every buffer it made.
 */
import { describe, expect, it } from "vitest";
import { createGpuContext } from "../../src/gpu/mod.ts";
import { trainOnGpu } from "../../src/train/train.ts";
import { inlineJob, trainOptions } from "./_scenario.ts";

/** 10,000 as issue 8 asks; FITCHECK_LONG_RUN_STEPS shortens it while working on this file. */
const STEPS = Number(Deno.env.get("FITCHECK_LONG_RUN_STEPS") ?? 10_000);

describe("a long run", () => {
  it(`keeps buffers and pipelines flat over ${STEPS} steps and frees everything`, async () => {
    // 50 training rows (validation takes 10 of 60) in batches of 8: 6 full batches and one of 2 per epoch,
    // so the uneven-batch path runs every epoch; dropout draws a fresh mask every step.
    const rowsTrain = 50, batch = 8;
    const stepsPerEpoch = Math.ceil(rowsTrain / batch);
    const epochs = Math.ceil(STEPS / stepsPerEpoch);
    const job = await inlineJob("long-run", {
      data: { generate: { kind: "blobs", samples: 60, features: 4, classes: 3 } },
      validation: { fraction: 1 / 6, shuffle: true, stratify: false },
      model: {
        layers: [{ units: 8, activation: "relu", dropout: 0.25 }, { units: 3, activation: "softmax" }],
      },
      loss: "categorical-crossentropy",
      optimizer: { name: "adam", learningRate: 0.01 },
      training: { epochs, batchSize: batch },
    });
    expect(job.train.x.rows).toBe(rowsTrain);
    expect(job.plan.stepsPerEpoch).toBe(stepsPerEpoch);
    const ctx = await createGpuContext({ label: "long run" });
    try {
      const before = ctx.pool.stats();
      const samples: {
        epoch: number;
        liveBuffers: number;
        liveBytes: number;
        created: number;
        pipelines: number;
      }[] = [];
      const started = performance.now();
      const records = await trainOnGpu(
        ctx,
        trainOptions(job, {
          onEpoch: ({ epoch }) => {
            const s = ctx.pool.stats();
            samples.push({
              epoch,
              liveBuffers: s.liveBuffers,
              liveBytes: s.liveBytes,
              created: s.created,
              pipelines: ctx.pipelines.size,
            });
          },
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${records.steps.length} steps in ${seconds.toFixed(1)} s: ${
          (records.steps.length / seconds).toFixed(0)
        } steps/s`,
      );
      expect(records.phase.status).toBe("completed");
      expect(records.steps.length).toBe(epochs * stepsPerEpoch);
      const warm = samples.find((s) => s.epoch === 1)!;
      for (const s of samples.filter((s) => s.epoch >= 1)) {
        expect(s, `epoch ${s.epoch} against epoch 1`).toEqual({ ...warm, epoch: s.epoch });
      }
      // ctx.scoped returned every buffer of the run; only the shared placeholders (made on first use,
      // kept for the context's life by design) are still handed out.
      const after = ctx.pool.stats();
      const left = ctx.pool.live();
      expect(left.every((b) => ctx.isPlaceholder(b))).toBe(true);
      expect(after.liveBuffers - left.length).toBe(before.liveBuffers);
      console.log(JSON.stringify({ before, warm, after }));
      // A second run on the same context (the gallery, --verify) is served from the pool entirely.
      const again = await trainOnGpu(ctx, trainOptions(job, { epochs: 2 }));
      expect(again.steps.length).toBe(2 * stepsPerEpoch);
      expect(ctx.pool.stats()).toMatchObject({ created: after.created, liveBuffers: after.liveBuffers });
    } finally {
      ctx.destroy();
    }
    const end = ctx.pool.stats();
    expect(end.destroyed).toBe(end.created);
  });
});
