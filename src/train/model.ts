/**
 * The model a scenario describes (its layers walked through the layer registry, src/layers/), and
 * its initial parameters. The GPU trainer and the float64 reference trainer both start from
 * `initialParameters`, so their trajectories can be compared step for step.
 */
import { InputError } from "../errors.ts";
import { buildModel, describeShape, type Model, parameterLayers, sizeOf } from "../layers/mod.ts";
import { Rng } from "../random.ts";
import type { Init, Scenario } from "../scenario/types.ts";
import type { LayerWeights } from "./records.ts";

/** The model's layers and shapes (see src/layers/mod.ts). */
export type ModelShape = Model;

/**
 * The model of `scenario` for data rows of `inputs` values, read as `model.input.shape`. Without it:
 * the rows' own shape `rowShape` when the file had one (a .npy [N, 8, 8, 1] gives [8, 8, 1]) and the
 * layers take it, else the flat [inputs] (an MLP on image files). A flat model.input.shape [inputs]
 * always fits; any other that disagrees with the file's row shape is refused (a PyTorch NCHW array
 * against a channels-last model). A mismatch is an InputError naming the scenario file, the layer
 * (or model.input.shape) and both shapes.
 */
export function modelShape(scenario: Scenario, inputs: number, rowShape?: readonly number[]): ModelShape {
  const fileShape = rowShape && rowShape.length > 1 && sizeOf(rowShape) === inputs ? rowShape : undefined;
  try {
    const given = scenario.model.input?.shape;
    if (given) {
      if (sizeOf(given) !== inputs) {
        throw new InputError(
          `the input shape ${describeShape(given)} holds ${
            sizeOf(given)
          } values per row, but the data has ${inputs} features per row`,
          { field: "model.input.shape" },
        );
      }
      if (fileShape && given.length > 1 && describeShape(fileShape) !== describeShape(given)) {
        throw new InputError(
          `the features have rows of shape ${describeShape(fileShape)} but model.input.shape is ${
            describeShape(given)
          } (channels last, as Keras: a PyTorch [N, C, H, W] array needs np.transpose(x, (0, 2, 3, 1)))`,
          { field: "model.input.shape" },
        );
      }
      return buildModel(given, scenario.model.layers);
    }
    if (fileShape) {
      try {
        return buildModel(fileShape, scenario.model.layers);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        try {
          return buildModel([inputs], scenario.model.layers);
        } catch {
          throw e; // neither reading fits: the file's own shape is the one to explain
        }
      }
    }
    return buildModel([inputs], scenario.model.layers);
  } catch (e) {
    if (e instanceof InputError && e.location.file === undefined) {
      throw new InputError(e.problem, { ...e.location, file: scenario.path });
    }
    throw e;
  }
}

/** Values per row of the model's output. */
export function outputUnits(shape: ModelShape): number {
  return shape.layers[shape.layers.length - 1].outSize;
}

/**
 * Initial weights (row-major inputs x units) and zero biases, as Keras initialises a Dense or Conv
 * layer, one entry per layer with parameters. Each layer draws from its own named stream of the
 * scenario seed (by position), so changing one layer's width does not change another's weights.
 */
export function initialParameters(shape: ModelShape, init: Init, seed: number): LayerWeights[] {
  const root = Rng.fromSeed(seed).stream("init");
  return parameterLayers(shape).map((layer) => {
    const p = layer.parameters!;
    const rng = root.stream(`layer-${layer.position}`);
    const own = layer.def.initialize?.(layer.spec, p, rng);
    if (own) return { ...own, inputs: p.inputs, units: p.units };
    const weights = new Float64Array(p.inputs * p.units);
    for (let k = 0; k < weights.length; k++) weights[k] = sampleInit(init, p.fanIn, p.fanOut, rng);
    return { weights, biases: new Float64Array(p.units), inputs: p.inputs, units: p.units };
  });
}

// Keras's he_normal is a normal truncated at two standard deviations, with its scale divided by
// 0.87962566 (the std of a unit normal truncated to [-2, 2]) so that the result has std sqrt(2/fan_in).
const TRUNCATED_NORMAL_STD = 0.87962566103423978;

function sampleInit(init: Init, fanIn: number, fanOut: number, rng: Rng): number {
  switch (init.kind) {
    case "glorot-uniform": {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return rng.uniform(-limit, limit);
    }
    case "he-normal": {
      const std = Math.sqrt(2 / fanIn) / TRUNCATED_NORMAL_STD;
      for (;;) {
        const z = rng.normal();
        if (Math.abs(z) <= 2) return z * std;
      }
    }
    case "zeros":
      return 0;
    case "constant":
      return init.value;
    case "normal":
      return rng.normal() * init.std;
  }
}

/** A deep copy, so a trainer can own and mutate its parameters. */
export function cloneParameters(params: LayerWeights[]): LayerWeights[] {
  return params.map((p) => ({ ...p, weights: p.weights.slice(), biases: p.biases.slice() }));
}
