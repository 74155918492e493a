/**
 * Float64 element-wise activations and their derivatives, Keras semantics. Written from the
 * definitions, independently of the WGSL kernels.
 *
 * - `leaky-relu`: tf.keras / Keras 3 `activations.leaky_relu` defaults to negative_slope 0.2 (the
 *   `LeakyReLU` layer defaults to 0.3, but a Dense layer's `activation="leaky_relu"` uses 0.2;
 *   PyTorch's `leaky_relu` defaults to 0.01: Keras's default is kept, a deliberate difference).
 * - `elu`: alpha 1.0; derivative alpha·e^z for z <= 0 (continuous at 0 when alpha = 1). The value
 *   below 0 is alpha·expm1(z); TF's and PyTorch's kernels take exp(z) - 1, which loses the digits
 *   of small |z| (a deliberate difference: both agree within 2^-53 absolute).
 * - Derivatives at the kinks follow TensorFlow's gradients: relu'(0) = 0, leaky'(0) = slope, elu'(0) = alpha.
 * @module
 */
import type { Activation } from "../scenario/types.ts";

/** The activations applied element by element (softmax is row-wise: see softmax.ts). */
export type ElementwiseActivation = Exclude<Activation, "softmax">;

/** Keras `activations.leaky_relu` default negative slope. */
export const LEAKY_RELU_SLOPE = 0.2;
/** Keras `activations.elu` default alpha. */
export const ELU_ALPHA = 1.0;

/** The parameter an activation takes (negative slope or alpha), Keras's default when not given. */
export function defaultActivationParameter(activation: ElementwiseActivation): number {
  return activation === "leaky-relu" ? LEAKY_RELU_SLOPE : activation === "elu" ? ELU_ALPHA : 0;
}

/** act(z). NaN stays NaN; ±Inf map to the activation's limits. */
export function activate(z: number, activation: ElementwiseActivation, parameter?: number): number {
  const p = parameter ?? defaultActivationParameter(activation);
  switch (activation) {
    case "linear":
      return z;
    case "relu":
      return Number.isNaN(z) ? z : z > 0 ? z : 0;
    case "leaky-relu":
      return z > 0 ? z : z * p;
    case "elu":
      return z > 0 ? z : p * Math.expm1(z);
    case "sigmoid":
      // 1/(1+e^-z) for z >= 0, e^z/(1+e^z) below: neither form overflows.
      return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    case "tanh":
      return Math.tanh(z);
  }
}

/** d act / dz at z. */
export function activationDerivative(
  z: number,
  activation: ElementwiseActivation,
  parameter?: number,
): number {
  const p = parameter ?? defaultActivationParameter(activation);
  if (Number.isNaN(z)) return z;
  switch (activation) {
    case "linear":
      return 1;
    case "relu":
      return z > 0 ? 1 : 0;
    case "leaky-relu":
      return z > 0 ? 1 : p;
    case "elu":
      return z > 0 ? 1 : p * Math.exp(z);
    case "sigmoid": {
      const s = activate(z, "sigmoid");
      return s * (1 - s);
    }
    case "tanh": {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
  }
}

/** act applied to every element. */
export function activateAll(
  z: ArrayLike<number>,
  activation: ElementwiseActivation,
  parameter?: number,
): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = activate(z[i], activation, parameter);
  return out;
}

/** dZ = dY ⊙ act'(Z), element by element. */
export function activationBackward(
  dy: ArrayLike<number>,
  z: ArrayLike<number>,
  activation: ElementwiseActivation,
  parameter?: number,
): Float64Array {
  if (dy.length !== z.length) {
    throw new RangeError(`activationBackward: ${dy.length} gradients for ${z.length} values`);
  }
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = dy[i] * activationDerivative(z[i], activation, parameter);
  return out;
}
