/**
 * The float64 forward pass of an imported model on its own weights, in inference mode (dropout off,
 * batchnorm on its moving statistics): the check that an import is right (it must reproduce the
 * framework's predictions on the same rows) and the reference `audit --model` holds the GPU's
 * predictions against. Plain loops written from the layer definitions (channels last), no GPU import.
 *
 * @module
 */
import { activate, type ElementwiseActivation } from "../reference/activations.ts";
import type { ImportedModel, LayerJson, LayerParams } from "./types.ts";

/** Keras's batchnorm epsilon (CONTRACT §7.2). */
const BATCHNORM_EPSILON = 1e-3;

/** Outputs of `model` for `rows` (each row flattened in fitcheck's layout: `model.inputShape`, channels last). */
export function importedForward(
  model: Pick<ImportedModel, "inputShape" | "layers" | "params">,
  rows: number[][],
): number[][] {
  return rows.map((row) => {
    let x: Float64Array = Float64Array.from(row);
    let shape = model.inputShape;
    model.layers.forEach((layer, i) => {
      [x, shape] = forwardLayer(layer, model.params[i], x, shape);
    });
    return Array.from(x);
  });
}

type Step = [Float64Array, number[]];

function forwardLayer(
  layer: LayerJson,
  p: LayerParams | null,
  x: Float64Array,
  shape: number[],
): Step {
  const a = p?.arrays ?? {};
  switch (layer.type) {
    case "dense": {
      const units = layer.units as number, n = x.length;
      const k = a.kernel.data, b = a.bias.data;
      const z = new Float64Array(units);
      for (let u = 0; u < units; u++) {
        let s = b[u];
        for (let i = 0; i < n; i++) s += x[i] * k[i * units + u];
        z[u] = s;
      }
      return [activateVector(z, layer.activation as string), [units]];
    }
    case "dropout":
      return [x, shape];
    case "activation":
      return activateChannels(x, shape, layer.activation as string);
    case "flatten":
      return [x, [x.length]];
    case "conv2d":
      return conv2d(layer, a, x, shape);
    case "maxpool2d":
    case "avgpool2d":
      return pool2d(layer, x, shape);
    case "global-avgpool2d": {
      const [h, w, c] = shape;
      const out = new Float64Array(c);
      for (let i = 0; i < h * w; i++) for (let ch = 0; ch < c; ch++) out[ch] += x[i * c + ch] / (h * w);
      return [out, [c]];
    }
    case "batchnorm": {
      const c = shape[shape.length - 1];
      const eps = (layer.epsilon as number | undefined) ?? BATCHNORM_EPSILON;
      const out = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const ch = i % c;
        out[i] =
          a.gamma.data[ch] * (x[i] - a.movingMean.data[ch]) / Math.sqrt(a.movingVariance.data[ch] + eps) +
          a.beta.data[ch];
      }
      return [out, shape];
    }
    case "embedding": {
      const d = layer.outputDim as number, v = layer.inputDim as number;
      const out = new Float64Array(x.length * d);
      x.forEach((t, s) => {
        const token = Math.round(t);
        if (token < 0 || token >= v) throw new RangeError(`token ${t} outside the embedding's 0..${v - 1}`);
        out.set(a.embeddings.data.subarray(token * d, (token + 1) * d), s * d);
      });
      return [out, [x.length, d]];
    }
    case "global-avgpool1d": {
      const [steps, c] = shape;
      const out = new Float64Array(c);
      for (let s = 0; s < steps; s++) for (let ch = 0; ch < c; ch++) out[ch] += x[s * c + ch] / steps;
      return [out, [c]];
    }
    default:
      throw new RangeError(`importedForward: no float64 forward for layer type ${layer.type}`);
  }
}

function pairOf(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number];
}

function conv2d(layer: LayerJson, a: LayerParams["arrays"], x: Float64Array, shape: number[]): Step {
  const [h, w, cin] = shape;
  const [kh, kw] = pairOf(layer.kernelSize);
  const [sh, sw] = pairOf(layer.strides ?? 1);
  const f = layer.filters as number;
  const same = layer.padding === "same";
  const oh = same ? Math.ceil(h / sh) : Math.floor((h - kh) / sh) + 1;
  const ow = same ? Math.ceil(w / sw) : Math.floor((w - kw) / sw) + 1;
  // Keras's "same": total padding max((o-1)·s + k - n, 0), the smaller half before.
  const top = same ? Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2) : 0;
  const left = same ? Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2) : 0;
  const out = new Float64Array(oh * ow * f);
  const k = a.kernel.data, b = a.bias.data;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < f; o++) {
        let s = b[o];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx - left;
            if (ix < 0 || ix >= w) continue;
            for (let c = 0; c < cin; c++) {
              s += x[(iy * w + ix) * cin + c] * k[((ky * kw + kx) * cin + c) * f + o];
            }
          }
        }
        out[(oy * ow + ox) * f + o] = s;
      }
    }
  }
  return activateChannels(out, [oh, ow, f], layer.activation as string);
}

function pool2d(layer: LayerJson, x: Float64Array, shape: number[]): Step {
  const [h, w, c] = shape;
  const [ph, pw] = pairOf(layer.poolSize);
  const [sh, sw] = pairOf(layer.strides ?? layer.poolSize);
  const oh = Math.floor((h - ph) / sh) + 1, ow = Math.floor((w - pw) / sw) + 1;
  const max = layer.type === "maxpool2d";
  const out = new Float64Array(oh * ow * c);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = max ? -Infinity : 0;
        for (let y = 0; y < ph; y++) {
          for (let xx = 0; xx < pw; xx++) {
            const v = x[((oy * sh + y) * w + ox * sw + xx) * c + ch];
            acc = max ? Math.max(acc, v) : acc + v / (ph * pw);
          }
        }
        out[(oy * ow + ox) * c + ch] = acc;
      }
    }
  }
  return [out, [oh, ow, c]];
}

/** An activation over the last axis (softmax) or element-wise. */
function activateChannels(x: Float64Array, shape: number[], activation: string): Step {
  if (activation !== "softmax") return [activateVector(x, activation), shape];
  const c = shape[shape.length - 1];
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / c; r++) {
    out.set(activateVector(x.subarray(r * c, (r + 1) * c), "softmax"), r * c);
  }
  return [out, shape];
}

function activateVector(z: Float64Array, activation: string): Float64Array {
  if (activation === "softmax") {
    let m = -Infinity;
    for (const v of z) m = Math.max(m, v);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((acc, v) => acc + v, 0);
    return e.map((v) => v / s);
  }
  return z.map((v) => activate(v, activation as ElementwiseActivation));
}
