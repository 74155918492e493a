/**
 * `diagnosis-latency`: the wall time from a scenario to its report through the same pipeline as
 * `diagnose run` (src/app/run.ts: data generation, data checks, training with every record, float64
 * consistency, detectors), with the default diagnosis budget, on a generated setup of issue 20: 200,000
 * rows × 32 features, a 64-64-1 MLP, 5 epochs, batch 256. One run, not repeated: this is a latency,
 * and the first use on the adapter (shader compilation, matmul tuning) is part of what a user waits for.
 *
 * @module
 */
import { runScenario } from "../src/app/run.ts";
import type { GpuContext } from "../src/gpu/context.ts";
import { memoryFileSource } from "../src/io.ts";
import { parseScenario } from "../src/scenario/load.ts";
import type { Check, LatencyCase } from "./schema.ts";

/** Issue 20's target: a diagnosis of 200,000 × 32 rows in at most this many seconds of wall time. */
export const LATENCY_TARGET_S = 20;

/** Runs the case on `rows` × `features` (smaller with --quick). */
export async function benchDiagnosisLatency(
  ctx: GpuContext,
  options: { rows: number; features: number; epochs: number; seed: number; progress: (line: string) => void },
): Promise<LatencyCase> {
  const { rows, features, epochs } = options;
  const json = {
    name: "diagnosis-latency",
    seed: options.seed,
    data: {
      generate: { kind: "blobs", samples: rows, features, classes: 2, spread: 3 },
      transforms: [{ op: "standardize-features" }],
    },
    validation: { fraction: 0.2, shuffle: true, stratify: true },
    model: {
      layers: [
        { units: 64, activation: "relu" },
        { units: 64, activation: "relu" },
        { units: 1, activation: "sigmoid" },
      ],
    },
    loss: "binary-crossentropy",
    optimizer: { name: "adam", learningRate: 0.001 },
    training: { epochs, batchSize: 256, shuffle: true },
    metrics: ["accuracy"],
  };
  const source = memoryFileSource({});
  const setup = `${rows} × ${features} generated blobs (binary), 64-64-1 relu/relu/sigmoid, ` +
    `binary cross-entropy, Adam(1e-3), ${epochs} epochs, batch 256, 20% stratified validation`;
  options.progress(`diagnosis-latency: ${setup}`);
  const started = performance.now();
  const scenario = parseScenario(JSON.stringify(json), "/bench/diagnosis-latency.json", source);
  const report = await ctx.scoped(() => runScenario(scenario, { source, gpu: () => Promise.resolve(ctx) }));
  const seconds = (performance.now() - started) / 1000;
  options.progress(`diagnosis-latency: ${seconds.toFixed(1)} s${report.budget ? " (budget engaged)" : ""}`);
  const failed = report.consistency.filter((c) => !c.ok);
  const checks: Check[] = [
    {
      name: "the run trained and every engine number agrees with float64",
      ok: report.history.length > 0 && failed.length === 0,
      detail: `${report.history.length} epochs trained; ${report.consistency.length} consistency checks, ` +
        `${failed.length} outside tolerance`,
    },
    {
      name: "a healthy setup: no error finding",
      ok: !report.findings.some((f) => f.severity === "error"),
      detail: `findings: ${report.findings.map((f) => `${f.code} (${f.severity})`).join(", ") || "none"}`,
    },
  ];
  return {
    name: "diagnosis-latency",
    unit: "s",
    fitcheck: seconds,
    target: {
      description: `a diagnosis of ${rows} × ${features} rows in at most ${LATENCY_TARGET_S} s of wall time`,
      quantity: "seconds from scenario to report",
      comparison: "<=",
      threshold: LATENCY_TARGET_S,
      achieved: seconds,
    },
    met: seconds <= LATENCY_TARGET_S,
    setup,
    rows,
    features,
    epochs,
    budget: report.budget ? { ...report.budget } : null,
    trainS: Math.max(1e-3, report.timings.trainMs / 1000),
    findings: report.findings.map((f) => f.code),
    checks,
  };
}
