// src/app/engines.ts, the wiring shared by the CLI and the playground: one GPU context made lazily and
// shared by every run, the per-epoch metrics on progress events that the live charts draw, and
// dispose(). Runs on Deno's own WebGPU adapter.
import { describe, expect, test } from "vitest";
import type { ProgressEvent } from "../../src/app/types.ts";
import { createEngines } from "../../src/app/engines.ts";
import { createGpuContext, type GpuContext } from "../../src/gpu/mod.ts";
import { memoryFileSource } from "../../src/io.ts";
import { parseScenario } from "../../src/scenario/load.ts";

const SCENARIO = JSON.stringify({
  name: "tiny-blobs",
  seed: 3,
  data: { generate: { kind: "blobs", samples: 120, features: 2, classes: 3 } },
  model: { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] },
  loss: "sparse-categorical-crossentropy",
  optimizer: { name: "adam", learningRate: 0.01 },
  training: { epochs: 3, batchSize: 32 },
  metrics: ["accuracy"],
});

describe("createEngines", () => {
  test("one lazily made GPU context for every run; progress carries each epoch's metrics", async () => {
    let made = 0;
    let destroyed = 0;
    const engines = createEngines({
      createGpu: async () => {
        made++;
        const ctx: GpuContext = await createGpuContext({ label: "engines-test" });
        const destroy = ctx.destroy.bind(ctx);
        ctx.destroy = () => {
          destroyed++;
          destroy();
        };
        return ctx;
      },
    });
    const source = memoryFileSource({ "/s/tiny.json": SCENARIO });
    expect(made).toBe(0);

    const events: ProgressEvent[] = [];
    const byPath = await engines.runScenario("/s/tiny.json", { source, progress: (e) => events.push(e) });
    const parsed = parseScenario(SCENARIO, "/s/tiny.json", source);
    const byObject = await engines.runParsed(parsed, { source });
    expect(made).toBe(1);

    // Same scenario, same seed, same adapter: the same numbers, whichever way it came in.
    expect(byObject.history).toEqual(byPath.history);
    const epochs = events.filter((e) => e.phase === "train" && e.metrics);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // The live chart's points are the report's history, number for number.
    for (const e of epochs) {
      const h = byPath.history.find((x) => x.epoch === e.epoch)!;
      expect(e.metrics!.train).toEqual(h.train);
      expect(e.metrics!.validation).toEqual(h.validation);
      expect(typeof e.metrics!.train.accuracy).toBe("number");
    }

    await engines.dispose();
    expect(destroyed).toBe(1);
    await engines.dispose(); // nothing left to destroy
    expect(destroyed).toBe(1);
  });
});
