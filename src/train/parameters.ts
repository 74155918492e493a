/**
 * The model's parameters on the GPU as ONE flat f32 buffer: every layer's W and then its b, each
 * tensor starting at a byte offset aligned to the device's `minStorageBufferOffsetAlignment`, so
 * each binds as a slice ({@linkcode BufferSlice}). The gradients, the optimizer's state (Adam m, v;
 * SGD velocity; RMSprop ms) and the instrumented step's "W before step" copy are buffers of the same
 * {@linkcode ParameterLayout}: the optimizer updates all parameters in one dispatch over the flat
 * length, a copy of the whole buffer is one copy, and the end-of-run readback is one buffer.
 *
 * The padding between tensors is zero in every buffer of the layout and stays zero: no kernel writes
 * it except the optimizer, whose update of a zero parameter with a zero gradient and zero state is
 * zero (see the update shaders' headers).
 *
 * @module
 */
import type { GpuContext } from "../gpu/context.ts";
import type { BufferSlice } from "../kernels/kernel.ts";
import type { LayerWeights } from "./records.ts";

/** Where one tensor lives in a flat buffer: its first element and its element count. */
export interface TensorPlace {
  offset: number;
  count: number;
}

/** The placement of every layer's W and b in a flat buffer (in f32 elements). */
export interface ParameterLayout {
  /** Per parameter layer (the order of LayerWeights): W, then b. */
  weights: TensorPlace[];
  biases: TensorPlace[];
  /** Elements of the whole buffer, padding included. */
  length: number;
}

/**
 * Lays out `params` (only their sizes are read) with each tensor at a multiple of `alignBytes`
 * (the device's `minStorageBufferOffsetAlignment`, a power of two >= 4).
 */
export function parameterLayout(
  params: readonly { weights: ArrayLike<number>; biases: ArrayLike<number> }[],
  alignBytes: number,
): ParameterLayout {
  const align = Math.max(1, alignBytes / 4);
  let next = 0;
  const place = (count: number): TensorPlace => {
    const offset = Math.ceil(next / align) * align;
    next = offset + count;
    return { offset, count };
  };
  const weights: TensorPlace[] = [], biases: TensorPlace[] = [];
  for (const p of params) {
    weights.push(place(p.weights.length));
    biases.push(place(p.biases.length));
  }
  return { weights, biases, length: Math.max(4, Math.ceil(next / 4) * 4) };
}

/**
 * The slice of `buffer` (a buffer of `layout`) that holds the tensor at `place`, its size rounded up
 * to 16 bytes: kernels that read an operand as `array<vec4f>` (matmul_vec4_forward) load its last
 * partial vec4, which must be in the binding (as the buffer pool's 16-byte rounding guarantees for
 * a whole buffer). The rounding stays within the zero padding before the next aligned tensor.
 */
export function sliceOf(buffer: GPUBuffer, place: TensorPlace): BufferSlice {
  return { buffer, offset: place.offset * 4, size: Math.ceil(Math.max(1, place.count) / 4) * 16 };
}

/** A buffer of a parameter layout, and its tensors' slices. */
export interface FlatTensors {
  buffer: GPUBuffer;
  /** Per parameter layer: the slice of its W, of its b. */
  weights: BufferSlice[];
  biases: BufferSlice[];
}

/** The model's parameters on the GPU (f32): one flat buffer of {@linkcode ParameterLayout}. */
export interface GpuParameters extends FlatTensors {
  layout: ParameterLayout;
}

/** A zero-filled buffer of `layout` (gradients, optimizer state), with its slices. */
export function flatZeros(ctx: GpuContext, label: string, layout: ParameterLayout): FlatTensors {
  // Pooled buffers are not cleared on reuse, so the padding's zeros are written explicitly.
  return slices(ctx.upload(label, new Float32Array(layout.length)), layout);
}

/** The slices of `buffer` (of `layout`). */
export function slices(buffer: GPUBuffer, layout: ParameterLayout): FlatTensors {
  return {
    buffer,
    weights: layout.weights.map((p) => sliceOf(buffer, p)),
    biases: layout.biases.map((p) => sliceOf(buffer, p)),
  };
}

/** Uploads `params` (float64, rounded to f32) into one flat buffer. */
export function uploadParameters(ctx: GpuContext, params: LayerWeights[]): GpuParameters {
  const layout = parameterLayout(params, ctx.device.limits.minStorageBufferOffsetAlignment);
  const flat = new Float32Array(layout.length);
  params.forEach((p, i) => {
    flat.set(p.weights, layout.weights[i].offset);
    flat.set(p.biases, layout.biases[i].offset);
  });
  return { ...slices(ctx.upload("parameters (W, b of every layer)", flat), layout), layout };
}

/** The parameters held in `flat` (a readback of a buffer of `layout`), as float64 LayerWeights. */
export function unflatten(
  flat: Float32Array,
  layout: ParameterLayout,
  like: readonly { inputs: number; units: number }[],
): LayerWeights[] {
  const read = (p: TensorPlace) => Float64Array.from(flat.subarray(p.offset, p.offset + p.count));
  return like.map((p, i) => ({
    inputs: p.inputs,
    units: p.units,
    weights: read(layout.weights[i]),
    biases: read(layout.biases[i]),
  }));
}
