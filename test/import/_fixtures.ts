/** The committed model fixtures (test/fixtures/models/, examples/scenarios/models/) and a FileSource over them. */
import { type FileSource, memoryFileSource } from "../../src/io.ts";

const ROOT = new URL("../fixtures/models/", import.meta.url).pathname;

/** One fixture: the model file, its framework predictions, its format. */
export interface ModelFixture {
  name: string;
  format: "keras" | "keras-h5" | "tfjs" | "onnx";
  path: string;
  expected: string;
}

const onnx = (name: string): ModelFixture => ({
  name,
  format: "onnx",
  path: `${ROOT}onnx/${name}.onnx`,
  expected: `${ROOT}onnx/${name}.expected.json`,
});
const tfjs = (name: string): ModelFixture => ({
  name,
  format: "tfjs",
  path: `${ROOT}tfjs/${name}/model.json`,
  expected: `${ROOT}tfjs/${name}.expected.json`,
});
const keras = (name: string, ext = ".keras"): ModelFixture => ({
  name,
  format: ext === ".h5" ? "keras-h5" : "keras",
  path: `${ROOT}keras/${name}${ext}`,
  expected: `${ROOT}keras/${name}.expected.json`,
});

/** Every fixture with framework predictions. */
export const MODELS: ModelFixture[] = [
  onnx("mlp-iris-logits"),
  onnx("mlp-iris-softmax"),
  onnx("matmul-add-iris"),
  onnx("cnn-digits"),
  onnx("embedding-tokens"),
  onnx("cnn-view-default-opset"),
  onnx("mlp-batchnorm-binary"),
  tfjs("mlp-iris-healthy"),
  tfjs("mlp-iris-mse"),
  tfjs("mlp-iris-no-training-config"),
  tfjs("functional-iris"),
  tfjs("cnn-digits"),
  tfjs("embedding-tokens"),
  keras("seed-001-ex2-mse-softmax-hidden"),
  keras("seed-000-ex1-linear-mse"),
  keras("healthy-logits-sparse"),
  keras("legacy-tanh-softmax", ".h5"),
  keras("cnn-digits"),
  keras("cnn-digits-rescaling"),
];

/** A FileSource holding every file under test/fixtures/models/ (read once). */
export async function fixtureSource(): Promise<FileSource> {
  const files: Record<string, Uint8Array> = {};
  const { readdir, readFile } = await import("node:fs/promises");
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = `${dir}${e.name}`;
      if (e.isDirectory()) await walk(`${p}/`);
      else files[p] = new Uint8Array(await readFile(p));
    }
  };
  await walk(ROOT);
  return memoryFileSource(files);
}

/** The fixtures' root directory. */
export const MODELS_ROOT = ROOT;
