/**
 * `run --model`, `init` and `audit --model` through the CLI in-process, with the real engines on this
 * machine's WebGPU adapter and the committed fixtures: the seeds' Keras examples give their finding, a
 * PyTorch export with a Softmax before CrossEntropyLoss gives double-softmax, a healthy model gives no
 * error, flags override the file (and the report says which came from where), `--initial-weights` starts
 * from the file's trained weights, `init` writes a scenario that `run` trains to the same findings, and
 * `audit --model` predicts on the GPU in agreement with the float64 forward.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createEngines } from "../../src/app/engines.ts";
import { checkReadableFile, denoFileSource } from "../../src/cli/deno_file_source.ts";
import { type CliIo, runCli } from "../../src/cli/program.ts";
import { createGpuContext } from "../../src/gpu/mod.ts";
import type { Report } from "../../src/report/types.ts";

const ROOT = Deno.cwd();
const engines = createEngines({ createGpu: () => createGpuContext({ label: "model commands test" }) });
afterAll(() => engines.dispose());

async function cli(
  argv: string[],
): Promise<{ code: number; out: string; err: string; written: Map<string, string> }> {
  let out = "", err = "";
  const written = new Map<string, string>();
  const io: CliIo = {
    cwd: ROOT,
    env: () => undefined,
    writeOut: (t) => void (out += t),
    writeErr: (t) => void (err += t),
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    columns: 80,
    galleryDir: `${ROOT}/examples/scenarios`,
    source: denoFileSource(),
    listDir: () => Promise.resolve([]),
    writeFile: (path, text) => (written.set(path, text), Promise.resolve()),
    checkReadable: (path, shown) => checkReadableFile(path, { display: () => shown }),
    checkWritable: () => Promise.resolve(),
    chartLibraries: () => Promise.reject(new Error("no charts in this test")),
    readDoc: () => Promise.reject(new Error("no docs in this test")),
  };
  const code = await runCli(argv, io, engines);
  return { code, out, err, written };
}

const codes = (r: Report) => r.findings.filter((f) => f.severity !== "info").map((f) => f.code);
const MODELS = "examples/scenarios/models";
const THREE = ["--train", "examples/scenarios/data/three_class_onehot.csv", "--target", "c0,c1,c2"];
const IRIS = ["--train", "test/fixtures/models/data/iris.csv", "--target", "species"];

interface ModelSection {
  settings: { setting: string; value: unknown; from: string }[];
  weights: string;
}

describe("run --model", () => {
  it("seed 001 example 2 as a .keras file: loss-task-mismatch, loss and optimizer from compile_config", async () => {
    const r = await cli([
      "run",
      "--model",
      `${MODELS}/seed-001-ex2-mse-softmax-hidden.keras`,
      ...THREE,
      "--epochs",
      "3",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as Report & { model: ModelSection };
    expect(codes(report)[0]).toBe("loss-task-mismatch");
    const from = Object.fromEntries(report.model.settings.map((s) => [s.setting, s.from]));
    expect(from.loss).toContain("config.json compile_config.loss");
    expect(from.optimizer).toContain("config.json compile_config.optimizer");
    expect(from["training.epochs"]).toBe("--epochs");
    expect(report.model.weights).toBe("fresh initialisation");
  });
  it("a flag overrides the file, and the report says so", async () => {
    const r = await cli([
      "run",
      "--model",
      `${MODELS}/seed-001-ex2-mse-softmax-hidden.keras`,
      ...THREE,
      "--loss",
      "categorical-crossentropy",
      "--epochs",
      "2",
      "--json",
    ]);
    const report = JSON.parse(r.out) as Report & { model: ModelSection };
    const loss = report.model.settings.find((s) => s.setting === "loss")!;
    expect(loss).toEqual({ setting: "loss", value: { name: "categorical-crossentropy" }, from: "--loss" });
    expect(codes(report)).not.toContain("loss-task-mismatch");
  });

  it("the terminal report reads the settings in words: no object literal (issue 17)", async () => {
    const r = await cli([
      "run",
      "--model",
      `${MODELS}/seed-001-ex2-mse-softmax-hidden.keras`,
      ...THREE,
      "--loss",
      "categorical-crossentropy",
      "--epochs",
      "2",
    ]);
    expect(r.out).toMatch(/loss: name categorical-crossentropy \(from --loss\)/);
    expect(r.out).not.toMatch(/[{}]|\[object/);
  });
  it("a PyTorch export with Softmax before CrossEntropyLoss: double-softmax", async () => {
    const r = await cli([
      "run",
      "--model",
      "test/fixtures/models/onnx/mlp-iris-softmax.onnx",
      ...IRIS,
      "--loss",
      "sparse-categorical-crossentropy",
      "--from-logits",
      "--optimizer",
      "adam",
      "--epochs",
      "3",
      "--json",
    ]);
    expect(codes(JSON.parse(r.out))[0]).toBe("double-softmax");
  });
  it("a healthy tfjs model gives no error; --initial-weights starts from its trained weights", async () => {
    const args = [
      "run",
      "--model",
      "test/fixtures/models/tfjs/mlp-iris-healthy/model.json",
      ...IRIS,
      "--epochs",
      "2",
    ];
    const fresh = JSON.parse((await cli([...args, "--json"])).out) as Report;
    expect(fresh.findings.filter((f) => f.severity === "error")).toEqual([]);
    const saved = JSON.parse((await cli([...args, "--initial-weights", "--json"])).out) as Report & {
      model: ModelSection;
    };
    expect(saved.model.weights).toBe("the file's saved weights");
    // An untrained 3-class softmax starts near ln 3 = 1.10; the file's weights were fitted by tfjs to iris.
    expect(fresh.symptoms!.initialLoss!).toBeGreaterThan(0.7);
    expect(saved.symptoms!.initialLoss!).toBeLessThan(0.5);
  });
});

describe("run --model on images", () => {
  const D = "test/fixtures/models/data";
  it("an ONNX CNN on NCHW .npy data: channels-last data, converted Conv/Gemm weights", async () => {
    const args = [
      "run",
      "--model",
      "test/fixtures/models/onnx/cnn-digits.onnx",
      "--train",
      `${D}/digits150_nchw_x.npy`,
      "--target",
      `${D}/digits150_y.npy`,
      "--loss",
      "sparse-categorical-crossentropy",
      "--from-logits",
      "--optimizer",
      "adam",
      "--epochs",
      "1",
      "--json",
    ];
    const fresh = JSON.parse((await cli(args)).out) as Report;
    const saved = JSON.parse((await cli([...args, "--initial-weights"])).out) as Report;
    // Fresh: about ln 10 = 2.30. The file's weights give cross-entropy 1.30 on these 150 rows (float64
    // forward of the import, which matches torch's outputs): a wrong layout would be near or above ln 10.
    expect(fresh.symptoms!.initialLoss!).toBeGreaterThan(2.1);
    expect(saved.symptoms!.initialLoss!).toBeGreaterThan(1.0);
    expect(saved.symptoms!.initialLoss!).toBeLessThan(1.6);
  });
  it("a Keras CNN on NHWC .npy data starts from its saved weights", async () => {
    const r = await cli([
      "run",
      "--model",
      "test/fixtures/models/keras/cnn-digits.keras",
      "--train",
      `${D}/digits150_nhwc_x.npy`,
      "--target",
      `${D}/digits150_y.npy`,
      "--epochs",
      "1",
      "--initial-weights",
      "--json",
    ]);
    const report = JSON.parse(r.out) as Report;
    // The file's weights: cross-entropy 1.73 on these rows (float64 forward); fresh ≈ 2.30.
    expect(report.symptoms!.initialLoss!).toBeGreaterThan(1.4);
    expect(report.symptoms!.initialLoss!).toBeLessThan(2.0);
  });
});

describe("run --model with the layer registry's other kinds", () => {
  const D = "test/fixtures/models/data";
  it("a tfjs embedding model: --initial-weights starts from its trained table (loss near 0, not ln 2)", async () => {
    const args = [
      "run",
      "--model",
      "test/fixtures/models/tfjs/embedding-tokens/model.json",
      "--train",
      `${D}/tokens.csv`,
    ];
    const fresh = JSON.parse(
      (await cli([...args, "--target", "label", "--epochs", "1", "--json"])).out,
    ) as Report;
    const saved = JSON.parse(
      (await cli([...args, "--target", "label", "--epochs", "1", "--initial-weights", "--json"])).out,
    ) as Report & { model: ModelSection };
    expect(fresh.symptoms!.initialLoss!).toBeGreaterThan(0.6);
    // tfjs fitted this model on exactly these token rows.
    expect(saved.symptoms!.initialLoss!).toBeLessThan(0.05);
    expect(codes(saved)).not.toContain("initial-loss-anomaly");
    const optimizer = saved.model.settings.find((s) => s.setting === "optimizer")!;
    expect(optimizer).toEqual({
      setting: "optimizer",
      value: { name: "sgd", learningRate: 0.1, momentum: 0.9 },
      from: "model.json trainingConfig.optimizer",
    });
  });
  it("a tfjs CNN with batch normalization trains; its notes say the moving statistics start afresh", async () => {
    const r = await cli([
      "run",
      "--model",
      "test/fixtures/models/tfjs/cnn-digits/model.json",
      "--train",
      `${D}/digits150_nhwc_x.npy`,
      "--target",
      `${D}/digits150_y.npy`,
      "--loss",
      "sparse-categorical-crossentropy",
      "--optimizer",
      "adam",
      "--epochs",
      "2",
      "--initial-weights",
      "--json",
    ]);
    expect(r.err).toBe("");
    const report = JSON.parse(r.out) as Report & { model: ModelSection & { notes: string[] } };
    expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(report.model.notes.join(" ")).toMatch(/moving statistics/);
  });
  it("a Keras L2 kernel regularizer and He initializer reach the scenario", async () => {
    const r = await cli(["init", "--model", "test/fixtures/models/keras/l2-he-normal.keras", ...IRIS]);
    const json = JSON.parse(r.out);
    expect(json.model).toEqual({
      layers: [{ units: 4, activation: "relu", l2: 0.0005 }, { units: 3, activation: "softmax" }],
      init: "he-normal",
    });
  });
});

describe("init", () => {
  it("writes the scenario run --model trains; run on it gives the same findings", async () => {
    const model = `${MODELS}/seed-000-ex1-linear-mse.keras`;
    // A directory of its own (not the gallery's, which other tests list), so the data path is relative "../..".
    const dir = await Deno.makeTempDir({ dir: `${ROOT}/test/fixtures/models`, prefix: "init-" });
    const out = `${dir}/imported.json`;
    const shown = out.slice(ROOT.length + 1);
    const init = await cli(["init", "--model", model, ...THREE, "--epochs", "3", "--out", shown]);
    expect(init.code).toBe(0);
    const text = init.written.get(out)!;
    const json = JSON.parse(text);
    expect(json.data).toEqual({
      csv: "../../../../examples/scenarios/data/three_class_onehot.csv",
      target: ["c0", "c1", "c2"],
    });
    expect(json.model.layers).toEqual([{ units: 64, activation: "relu" }, {
      units: 3,
      activation: "linear",
    }]);
    expect(json.loss).toBe("mse");
    const direct = JSON.parse(
      (await cli(["run", "--model", model, ...THREE, "--epochs", "3", "--json"])).out,
    ) as Report;
    await Deno.writeTextFile(out, text);
    try {
      const ran = await cli(["run", shown, "--json"]);
      expect(ran.err).toBe("");
      const viaFile = JSON.parse(ran.out) as Report;
      expect(codes(viaFile)).toEqual(codes(direct));
      expect(viaFile.history.at(-1)).toEqual(direct.history.at(-1));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  it("stdout without --out, paths relative to the working directory", async () => {
    const r = await cli(["init", "--model", "test/fixtures/models/keras/legacy-tanh-softmax.h5", ...IRIS]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.data.csv).toBe("test/fixtures/models/data/iris.csv");
    expect(json.optimizer).toEqual({
      name: "adam",
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(json.metrics).toEqual(["accuracy"]);
  });
});

describe("audit --model", () => {
  it("a PyTorch CNN on NCHW data: the engine's conv/pool/dense evaluation agrees with the float64 forward", async () => {
    const D = "test/fixtures/models/data";
    const r = await cli([
      "audit",
      "--model",
      "test/fixtures/models/onnx/cnn-view-default-opset.onnx",
      "--data",
      `${D}/digits150_nchw_x.npy`,
      "--target",
      `${D}/digits150_y.npy`,
      "--json",
    ]);
    expect(r.err).toBe("");
    const report = JSON.parse(r.out) as Report;
    const check = report.consistency.find((c) => c.quantity.startsWith("predictions"))!;
    expect(check.quantity).toContain("150x10");
    expect(check.ok).toBe(true);
  });
  it("predicts on WebGPU with the file's weights, in agreement with the float64 forward", async () => {
    const r = await cli([
      "audit",
      "--model",
      "test/fixtures/models/keras/healthy-logits-sparse.keras",
      "--data",
      "examples/scenarios/data/three_class_onehot.csv",
      "--target",
      "c0,c1,c2",
      "--json",
    ]);
    const report = JSON.parse(r.out) as Report;
    const check = report.consistency.find((c) => c.quantity.startsWith("predictions"))!;
    expect(check.ok).toBe(true);
    expect(report.adapter).not.toBeNull();
    expect(codes(report)).not.toContain("gpu-reference-divergence");
  });
});
