/**
 * What every model-file reader produces: the model as scenario JSON (CONTRACT §2 / §7.2 layer entries),
 * the file's weights in fitcheck's layout, and what the file says about compiling it (loss, optimizer,
 * metrics, initializer), each value tagged with where it came from. Readers (keras.ts, tfjs.ts, onnx.ts)
 * fill it in through their mapping tables; scenario.ts turns it plus the command-line flags into a scenario.
 *
 * @module
 */

/** The model formats fitcheck imports (CONTRACT §7.1). */
export type ModelFormat = "keras" | "keras-h5" | "tfjs" | "onnx";

/** A layer entry of scenario JSON, as CONTRACT §7.2 writes it (`type` always present). */
export type LayerJson = { type: string } & Record<string, unknown>;

/**
 * One layer's parameters in fitcheck's layout (channels last, Keras's kernel layouts): dense kernel
 * [inputs, units], conv2d kernel [kh, kw, in, out], conv1d [k, in, out], embedding table [inputDim,
 * outputDim], batchnorm gamma/beta/movingMean/movingVariance. Row-major.
 */
export interface LayerParams {
  arrays: Record<string, { shape: number[]; data: Float64Array }>;
}

/** A compile setting and where it came from. */
export interface Sourced<T> {
  value: T;
  /** "model.json trainingConfig.loss", "config.json compile_config.optimizer", ... */
  from: string;
}

/** The settings a file may carry beside the architecture, as scenario JSON values. */
export interface CompileSettings {
  loss?: Sourced<{ name: string; fromLogits?: boolean }>;
  optimizer?: Sourced<Record<string, unknown> & { name: string }>;
  metrics?: Sourced<string[]>;
  init?: Sourced<unknown>;
  /**
   * Settings the file has but fitcheck cannot train as written (an Adagrad optimizer, a custom loss), by
   * setting: the reason. An error only when no command-line flag replaces them.
   */
  unsupported: { loss?: string; optimizer?: string };
}

/** A model file, imported. */
export interface ImportedModel {
  format: ModelFormat;
  /** The file as given (absolute). */
  file: string;
  /** Per-row input shape in fitcheck's layout (channels last); [features] for flat inputs. */
  inputShape: number[];
  /**
   * The per-row input shape in the file's own layout when it differs (ONNX images: [C, H, W]); the data
   * is then read in that layout and permuted to `inputShape` (see `inputPermutation`).
   */
  fileInputShape?: number[];
  /** A factor the model multiplies its inputs by first (a Keras Rescaling layer): a data transform here. */
  inputScale?: number;
  /** The layers as scenario JSON, in order, `type` on every entry. */
  layers: LayerJson[];
  /** Per entry of `layers`: its parameters, or null for a layer without any. */
  params: (LayerParams | null)[];
  compile: CompileSettings;
  /**
   * How the file's own output relates to the imported model's: "log" when the file ends in LogSoftmax
   * (imported as softmax; the file's outputs are the log of fitcheck's).
   */
  outputTransform?: "log";
  /**
   * Why fitcheck's forward pass is not exactly the file's (a LeakyRelu slope fitcheck does not have): training
   * the setup is still meaningful, predicting with the file's weights (`audit --model`) is not.
   */
  inexact?: string[];
  /** What the import decided that the user should know (an initializer approximated, a folded layer). */
  notes: string[];
}
