/**
 * The pipelines behind the model-file commands (CONTRACT §7.1): `run --model` (import, build the scenario,
 * train it through the ordinary run pipeline), `init` (the same scenario as JSON text) and `audit --model`
 * (the file's own weights predict the data on WebGPU, checked against the float64 forward, then the
 * ordinary audit). Runtime-neutral: files come through a FileSource, the GPU context is injected.
 *
 * @module
 */
import { audit, type AuditOptions } from "../audit/mod.ts";
import type { Dataset } from "../data/dataset.ts";
import { loadDataSpec } from "../data/load.ts";
import { orderFindings, summarize } from "../diagnose/order.ts";
import { InputError } from "../errors.ts";
import type { GpuContext } from "../gpu/context.ts";
import { readbackF32 } from "../gpu/readback.ts";
import { importedForward } from "../import/forward.ts";
import { importModel } from "../import/mod.ts";
import { type ModelFlags, modelScenario, type Provenance } from "../import/scenario.ts";
import type { ImportedModel } from "../import/types.ts";
import { basename, type FileSource, memoryFileSource } from "../io.ts";
import { modelShape, outputUnits } from "../train/model.ts";
import { prepareEvaluation, uploadParameters } from "../train/gpu_network.ts";
import { cellText } from "../report/format.ts";
import type { ConsistencyEntry, Report } from "../report/types.ts";
import { parseScenario } from "../scenario/load.ts";
import type { DataSpec, Task } from "../scenario/types.ts";
import { runScenario } from "./run.ts";
import type { ProgressSink } from "./types.ts";

export type { ModelFlags } from "../import/scenario.ts";

/** Options of {@linkcode runModelFile}. */
export interface ModelRunOptions extends ModelFlags {
  /** The model file (absolute). */
  model: string;
  /** Start from the file's saved weights instead of a fresh initialisation. */
  initialWeights?: boolean;
  verify?: boolean;
  source: FileSource;
  gpu: () => Promise<GpuContext>;
  progress?: ProgressSink;
}

/** What the report adds about the model file: what came from it and what from flags. */
export interface ModelImportReport {
  file: string;
  format: string;
  settings: Provenance[];
  weights: "fresh initialisation" | "the file's saved weights";
  notes: string[];
}

/** `run --model`: the file's setup trained on the flags' data, diagnosed as any scenario. */
export async function runModelFile(options: ModelRunOptions): Promise<Report> {
  const model = await importModel(options.model, options.source);
  const built = modelScenario(model, options);
  const scenario = parseScenario(JSON.stringify(built.json), options.model, options.source);
  const initialParameters = options.initialWeights ? built.weights() : undefined;
  const report = await runScenario(scenario, {
    source: options.source,
    gpu: options.gpu,
    epochs: options.epochs,
    verify: options.verify,
    progress: options.progress,
    initialParameters,
    checkData: (data) => checkInputWidth(model, data.train),
  });
  const imported: ModelImportReport = {
    file: options.model,
    format: model.format,
    settings: built.provenance,
    weights: options.initialWeights ? "the file's saved weights" : "fresh initialisation",
    notes: options.initialWeights && model.layers.some((l) => l.type === "batchnorm")
      ? [
        ...built.notes,
        "batchnorm's moving statistics are state: they start at mean 0, variance 1, not the file's",
      ]
      : [...built.notes],
  };
  // initial-loss-anomaly compares the first loss with an untrained model's: it cannot apply to a run that
  // starts from the file's trained weights.
  const findings = options.initialWeights
    ? report.findings.filter((f) => f.code !== "initial-loss-anomaly")
    : report.findings;
  if (findings.length !== report.findings.length) {
    imported.notes.push("initial-loss-anomaly left out: training started from the file's trained weights");
  }
  return {
    ...report,
    summary: summarize(findings),
    findings,
    model: imported,
    notes: [...(report.notes as string[] ?? []), ...provenanceLines(imported)],
  };
}

/** One line per setting: "loss mse (from m.keras config.json compile_config.loss)". */
export function provenanceLines(m: ModelImportReport): string[] {
  return [
    `model from ${basename(m.file)} (${m.format}), trained from ${m.weights}`,
    ...m.settings.map((s) => `${s.setting} ${cellText(s.value)} (from ${s.from})`),
    ...m.notes,
  ];
}

/** Options of {@linkcode initModelFile}. */
export interface ModelInitOptions extends ModelFlags {
  model: string;
  source: FileSource;
  /** Writes a data path as it should appear in the file (relative to where it will be saved). */
  relative(path: string): string;
  /** Where the scenario will be saved (absolute), to validate its relative paths; the model file otherwise. */
  out?: string;
}

/** `init`: the scenario `run --model` would train, as JSON text (validated against the scenario schema). */
export async function initModelFile(options: ModelInitOptions): Promise<string> {
  const model = await importModel(options.model, options.source);
  const built = modelScenario(model, options, options.relative);
  const text = JSON.stringify(built.json, null, 2) + "\n";
  try {
    parseScenario(text, options.out ?? options.model, options.source);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // Nothing was written: speak about the model file and the scenario key, not lines of unwritten text.
    throw new InputError(
      `the scenario imported from it is not valid: ${e.location.field ?? ""}: ${e.problem}`,
      {
        file: options.model,
      },
    );
  }
  return text;
}

/** Options of {@linkcode auditModelFile}. */
export interface ModelAuditOptions {
  model: string;
  data: string;
  target: string[];
  history?: string;
  epoch?: number;
  split: "validation" | "train";
  task?: Task;
  loss?: string;
  fromLogits?: boolean;
  source: FileSource;
  gpu: () => Promise<GpuContext>;
}

/**
 * `audit --model`: the file's weights compute the predictions of `data` on WebGPU, those are checked
 * against the float64 forward (a `consistency` entry per output, `gpu-reference-divergence` if off), then
 * audited as if the user had saved them.
 */
export async function auditModelFile(options: ModelAuditOptions): Promise<Report> {
  const model = await importModel(options.model, options.source);
  // Predictions that are not the file's own would audit a different model.
  const inexact = [
    ...(model.inexact ?? []),
    ...(model.layers.some((l) => l.type === "batchnorm")
      ? ["batchnorm's moving statistics cannot be loaded into the engine's evaluation"]
      : []),
  ];
  if (inexact.length > 0) {
    throw new InputError(`audit --model cannot reproduce this model's predictions: ${inexact.join("; ")}`, {
      file: options.model,
    });
  }
  const dataset = await loadAuditData(options.data, options.target, options.source);
  checkInputWidth(model, dataset);
  // The model's own input rescaling (Keras Rescaling) is part of its forward pass here.
  const scale = model.inputScale ?? 1;
  const rows = toFitcheckLayout(dataset, model).map((r) => (scale === 1 ? r : r.map((v) => v * scale)));
  const reference = importedForward(model, rows);
  const gpu = await gpuForward(await options.gpu(), model, rows);
  const consistency = compareOutputs(gpu, reference);
  const labels = tableCsv(
    dataset.targetNames,
    dataset.rows,
    (r, c) => dataset.targets[r * dataset.targetNames.length + c],
  );
  const width = gpu.cols;
  const predictions = tableCsv(
    Array.from({ length: width }, (_, j) => `p${j}`),
    gpu.rows,
    (r, c) => gpu.data[r * width + c],
  );
  const memory = memoryFileSource({
    "/fitcheck/labels.csv": labels,
    "/fitcheck/predictions.csv": predictions,
  });
  const source: FileSource = {
    ...options.source,
    readText: (p) => p.startsWith("/fitcheck/") ? memory.readText(p) : options.source.readText(p),
    readBytes: (p) => p.startsWith("/fitcheck/") ? memory.readBytes(p) : options.source.readBytes(p),
    stream: (p) => p.startsWith("/fitcheck/") ? memory.stream(p) : options.source.stream(p),
  };
  const report = await audit(
    {
      labels: "/fitcheck/labels.csv",
      predictions: "/fitcheck/predictions.csv",
      history: options.history,
      epoch: options.epoch,
      split: options.split,
      task: options.task,
      loss: options.loss,
      fromLogits: options.fromLogits ? true : undefined,
    } satisfies AuditOptions,
    source,
  );
  const ctx = await options.gpu();
  const divergent = consistency.filter((c) => !c.ok);
  // A divergence is fitcheck's own defect: it joins the audit's findings in their order, and the
  // summary is recomputed so that it never says "ok" beside an error.
  const findings = divergent.length
    ? orderFindings([...report.findings, {
      code: "gpu-reference-divergence",
      severity: "error" as const,
      title: "fitcheck's GPU forward pass differs from its float64 reference on the model's own weights",
      message: `${divergent.length} predictions of ${
        basename(options.model)
      } differ beyond tolerance: a defect of fitcheck, not of the model`,
      evidence: { worst: divergent[0] },
      fix: "report it to fitcheck with the model file",
    }])
    : report.findings;
  return {
    ...report,
    adapter: ctx.adapter,
    summary: summarize(findings),
    consistency: [...report.consistency, ...consistency],
    findings,
    model: {
      file: options.model,
      format: model.format,
      settings: [{
        setting: "predictions",
        value: `${gpu.rows}x${width}`,
        from: "the file's weights on WebGPU",
      }],
      weights: "the file's saved weights",
      notes: model.notes,
    } satisfies ModelImportReport,
  };
}

/** A model whose input width differs from the data's is bad input naming both. */
function checkInputWidth(model: ImportedModel, data: Dataset): void {
  const want = model.inputShape.reduce((a, b) => a * b, 1);
  const have = data.featureNames.length;
  if (want !== have) {
    const shape = model.fileInputShape ?? model.inputShape;
    throw new InputError(
      `the model ${
        basename(model.file)
      } takes inputs of shape [${shape}] (${want} values per row) but the data has ${have} feature columns`,
      { file: data.source },
    );
  }
}

async function loadAuditData(path: string, target: string[], source: FileSource): Promise<Dataset> {
  const lower = path.toLowerCase();
  let spec: DataSpec;
  if (lower.endsWith(".npy")) {
    if (target.length !== 1 || !target[0].toLowerCase().endsWith(".npy")) {
      throw new InputError("with a .npy features file, --target names the .npy file of the targets", {
        file: "<argv>",
        field: "--target",
      });
    }
    spec = { kind: "npy", features: path, target: target[0], transforms: [] };
  } else spec = { kind: "csv", path, target, transforms: [] };
  return (await loadDataSpec(spec, source)).dataset;
}

/** The data rows in fitcheck's layout (an ONNX image graph reads [C, H, W]: permuted to [H, W, C]). */
function toFitcheckLayout(data: Dataset, model: ImportedModel): number[][] {
  const width = data.featureNames.length;
  const rows: number[][] = [];
  for (let r = 0; r < data.rows; r++) {
    const row = Array.from(data.features.subarray(r * width, (r + 1) * width));
    const fs = model.fileInputShape;
    if (!fs) {
      rows.push(row);
      continue;
    }
    const [c, h, w] = fs;
    const out = new Array<number>(width);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) out[(y * w + x) * c + ch] = row[(ch * h + y) * w + x];
      }
    }
    rows.push(out);
  }
  return rows;
}

/**
 * The model's outputs on WebGPU with the file's weights: the engine's own evaluation pass (every layer
 * kind's forward kernels, dropout off) over the imported model, its loss ignored.
 */
async function gpuForward(ctx: GpuContext, model: ImportedModel, rows: number[][]) {
  const built = modelScenario(model, {
    train: "/fitcheck/none.csv",
    target: ["y"],
    loss: "mse",
    optimizer: "adam",
  });
  const scenario = parseScenario(JSON.stringify(built.json), model.file, memoryFileSource({}));
  const n = rows.length, width = rows[0]?.length ?? 0;
  const shape = modelShape(scenario, width, model.inputShape);
  const k = outputUnits(shape);
  const params = built.weights();
  return await ctx.scoped(async () => {
    const evaluation = await prepareEvaluation(ctx, uploadParameters(ctx, params), {
      label: "audit --model",
      shape,
      loss: scenario.loss,
      x: ctx.upload("audit --model X", Float32Array.from(rows.flat())),
      y: ctx.upload("audit --model Y (unused)", new Float32Array(n * k)),
      rows: n,
      targetCols: k,
      metrics: [],
    });
    const encoder = ctx.device.createCommandEncoder({ label: "audit --model forward" });
    evaluation.encode(encoder);
    ctx.device.queue.submit([encoder.finish()]);
    const [out] = await readbackF32(ctx, [evaluation.outputs]);
    return { data: Float64Array.from(out.subarray(0, n * k)), rows: n, cols: k };
  });
}

/**
 * GPU outputs against the float64 forward. Tolerance: f32 weights and activations, dot products of at most a
 * few hundred terms: |gpu - ref| <= 1e-4 + 1e-4·|ref| (u = 6e-8 per operation, n·u·Σ|x·w| well under 1e-4 for
 * the inputs and weights of a trained model; softmax outputs in [0, 1]).
 */
function compareOutputs(
  gpu: { data: Float64Array; cols: number },
  reference: number[][],
): ConsistencyEntry[] {
  let worst = { i: 0, j: 0, err: -1 };
  reference.forEach((row, i) =>
    row.forEach((ref, j) => {
      const err = Math.abs(gpu.data[i * gpu.cols + j] - ref) - 1e-4 * Math.abs(ref);
      if (err > worst.err) worst = { i, j, err };
    })
  );
  const ref = reference[worst.i]?.[worst.j] ?? 0;
  const engine = gpu.data[worst.i * gpu.cols + worst.j] ?? 0;
  return [{
    quantity: `predictions[${worst.i}][${worst.j}] (worst of ${reference.length}x${gpu.cols})`,
    epoch: 0,
    engine,
    reference: ref,
    absError: Math.abs(engine - ref),
    tolerance: 1e-4 + 1e-4 * Math.abs(ref),
    ok: Math.abs(engine - ref) <= 1e-4 + 1e-4 * Math.abs(ref),
  }];
}

function tableCsv(header: string[], rows: number, at: (r: number, c: number) => number): string {
  const lines = [header.join(",")];
  for (let r = 0; r < rows; r++) lines.push(header.map((_, c) => String(at(r, c))).join(","));
  return lines.join("\n") + "\n";
}
