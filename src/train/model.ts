/**
 * The model a scenario describes: a stack of dense layers, and its initial parameters. The GPU
 * trainer and the float64 reference trainer both start from `initialParameters`, so their
 * trajectories can be compared step for step.
 */
import { Rng } from "../random.ts";
import type { Activation, Init, Scenario } from "../scenario/types.ts";
import type { LayerWeights } from "./records.ts";

export interface DenseLayerShape {
  inputs: number;
  units: number;
  activation: Activation;
  dropout: number;
}

export interface ModelShape {
  inputs: number;
  layers: DenseLayerShape[];
}

/** The layer shapes of `scenario` for data with `inputs` feature columns. */
export function modelShape(scenario: Scenario, inputs: number): ModelShape {
  const layers: DenseLayerShape[] = [];
  let width = inputs;
  for (const l of scenario.model.layers) {
    layers.push({ inputs: width, units: l.units, activation: l.activation, dropout: l.dropout });
    width = l.units;
  }
  return { inputs, layers };
}

export function parameterCount(shape: ModelShape): number {
  return shape.layers.reduce((n, l) => n + l.inputs * l.units + l.units, 0);
}

export function outputUnits(shape: ModelShape): number {
  return shape.layers[shape.layers.length - 1].units;
}

/**
 * Initial weights (row-major inputs x units) and zero biases, as Keras initialises a Dense layer.
 * Each layer draws from its own named stream of the scenario seed, so changing one layer's width does
 * not change another layer's weights.
 */
export function initialParameters(shape: ModelShape, init: Init, seed: number): LayerWeights[] {
  const root = Rng.fromSeed(seed).stream("init");
  return shape.layers.map((layer, i) => {
    const rng = root.stream(`layer-${i}`);
    const weights = new Float64Array(layer.inputs * layer.units);
    for (let k = 0; k < weights.length; k++) weights[k] = sampleInit(init, layer.inputs, layer.units, rng);
    return { weights, biases: new Float64Array(layer.units), inputs: layer.inputs, units: layer.units };
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
