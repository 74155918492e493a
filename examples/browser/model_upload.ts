/**
 * The playground's optional model file (CONTRACT §7.1 in the page): the chosen files (a `.keras`, `.h5`,
 * `.onnx`, or a tfjs `model.json` with its `.bin` shards) are held in memory under /upload/ and run as
 * `run --model` runs them, through the same import code (src/import/) and engines.
 *
 * @module
 */
import { type PlaygroundForm, uploadPath } from "../../src/browser/form_scenario.ts";
import type { ModelRunOptions } from "../../src/app/model_file.ts";
import { byId } from "./dom.ts";

/** The chosen model files, by upload path, and the path of the model itself; null when none is chosen. */
export async function readModelUpload(): Promise<
  { model: string; files: Record<string, Uint8Array> } | null
> {
  const input = byId("model-file", HTMLInputElement);
  const chosen = [...(input.files ?? [])];
  if (chosen.length === 0) return null;
  const files: Record<string, Uint8Array> = {};
  for (const f of chosen) files[uploadPath(f.name)] = new Uint8Array(await f.arrayBuffer());
  const main = chosen.find((f) => /\.(keras|h5|hdf5|onnx|json)$/i.test(f.name));
  if (!main) {
    throw new Error("choose the model file itself (.keras, .h5, .onnx or model.json), not only .bin shards");
  }
  return { model: uploadPath(main.name), files };
}

/** The `run --model` flags of the form: its data, target and training settings; loss and optimizer for ONNX. */
export function modelFlags(form: PlaygroundForm, model: string): Omit<ModelRunOptions, "source" | "gpu"> {
  const onnx = model.toLowerCase().endsWith(".onnx");
  const number = (v: string | number | undefined) => (v === undefined || v === "" ? undefined : Number(v));
  const metrics = (form.metrics ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
  return {
    model,
    train: uploadPath(form.csvName),
    target: form.target,
    ...(form.task ? { task: form.task } : {}),
    ...(onnx
      ? {
        loss: form.loss,
        fromLogits: form.fromLogits,
        optimizer: form.optimizer,
        learningRate: number(form.learningRate),
      }
      : {}),
    epochs: number(form.epochs),
    batchSize: number(form.batchSize),
    ...(metrics.length > 0 ? { metrics } : {}),
  };
}
