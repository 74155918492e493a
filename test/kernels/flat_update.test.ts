/**
 * The one optimizer dispatch over the flat parameter buffer (src/train/parameters.ts) against one
 * dispatch per tensor: bit-identical weights and state after several steps, padding still zero.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { GpuContext } from "../../src/gpu/context.ts";
import { readbackF32 } from "../../src/gpu/readback.ts";
import type { PreparedOp } from "../../src/kernels/kernel.ts";
import { prepareAdam, prepareRmsprop, prepareSgd } from "../../src/kernels/optimizers.ts";
import { parameterLayout, sliceOf, unflatten } from "../../src/train/parameters.ts";
import { prepareDenseForward } from "../../src/kernels/dense.ts";
import { randomF32, releaseTestContext, runOps, testContext } from "../helpers/gpu.ts";

afterAll(async () => {
  await releaseTestContext();
});

describe("parameterLayout", () => {
  it("places each tensor at a multiple of the alignment, in order, without overlap", () => {
    const layout = parameterLayout([
      { weights: new Float32Array(70), biases: new Float32Array(3) },
      { weights: new Float32Array(64), biases: new Float32Array(1) },
    ], 256);
    expect(layout.weights.map((p) => p.offset)).toEqual([0, 192]);
    expect(layout.biases.map((p) => p.offset)).toEqual([128, 256]);
    expect(layout.length).toBe(260); // rounded up to whole vec4s
  });
});

/** Tensor sizes of a small model: an awkward W, a 1-element b, a W that fills its alignment exactly. */
const SIZES = [[7 * 13, 13], [13 * 64, 1], [64, 5]];

type Optimizer = "adam" | "sgd" | "rmsprop";

/** Prepares `name` over w, g with zeroed state buffers of `count` elements. */
async function prepare(ctx: GpuContext, name: Optimizer, w: GPUBuffer, g: GPUBuffer, count: number) {
  const zeros = (label: string) => ctx.upload(label, new Float32Array(count));
  const state: GPUBuffer[] = [];
  let op: PreparedOp<string> & { setStep?(t: number): void };
  if (name === "adam") {
    state.push(zeros("m"), zeros("v"));
    op = await prepareAdam(ctx, { label: "adam", w, g, m: state[0], v: state[1], count, learningRate: 0.01 });
  } else if (name === "sgd") {
    state.push(zeros("velocity"));
    op = await prepareSgd(ctx, {
      label: "sgd",
      w,
      g,
      velocity: state[0],
      count,
      learningRate: 0.05,
      momentum: 0.9,
    });
  } else {
    state.push(zeros("ms"));
    op = await prepareRmsprop(ctx, { label: "rmsprop", w, g, ms: state[0], count, learningRate: 0.01 });
  }
  return { op, state };
}

describe("one optimizer dispatch over the flat parameter buffer", () => {
  for (const name of ["adam", "sgd", "rmsprop"] as const) {
    it(`${name}: bit-identical to one dispatch per tensor over 3 steps; padding stays zero`, async () => {
      const ctx = await testContext();
      const tensors = SIZES.flatMap(([w, b], i) => [randomF32(`flat w${i}`, w), randomF32(`flat b${i}`, b)]);
      const params = SIZES.map((_, i) => ({ weights: tensors[2 * i], biases: tensors[2 * i + 1] }));
      const layout = parameterLayout(params, ctx.device.limits.minStorageBufferOffsetAlignment);
      const places = layout.weights.flatMap((p, i) => [p, layout.biases[i]]);
      const flatW0 = new Float32Array(layout.length);
      tensors.forEach((t, i) => flatW0.set(t, places[i].offset));

      const flatW = ctx.upload("flat w", flatW0), flatG = ctx.storage("flat g", layout.length);
      const flat = await prepare(ctx, name, flatW, flatG, layout.length);
      const each = await Promise.all(tensors.map(async (t) => {
        const w = ctx.upload("w", t), g = ctx.storage("g", t.length);
        return { w, g, ...(await prepare(ctx, name, w, g, t.length)) };
      }));
      for (let step = 1; step <= 3; step++) {
        // The flat gradient holds each tensor's gradient at its place and zeros in the padding.
        const flatGrad = new Float32Array(layout.length);
        tensors.forEach((t, i) => {
          const grad = randomF32(`flat g${i} step ${step}`, t.length).map((x, j) => x * 10 ** -(j % 5));
          flatGrad.set(grad, places[i].offset);
          ctx.device.queue.writeBuffer(each[i].g, 0, grad);
        });
        ctx.device.queue.writeBuffer(flatG, 0, flatGrad);
        flat.op.setStep?.(step);
        for (const e of each) e.op.setStep?.(step);
        ctx.submit("updates", (pass) => {
          flat.op.encode(pass);
          for (const e of each) e.op.encode(pass);
        });
      }
      const [flatWeights, ...flatState] = await readbackF32(ctx, [flatW, ...flat.state]);
      // Pooled buffers may be larger than asked for: read each tensor's own length.
      const perTensor = await readbackF32(
        ctx,
        each.flatMap((e, i) =>
          [e.w, ...e.state].map((buffer) => ({ buffer, byteLength: tensors[i].length * 4 }))
        ),
      );
      const buffersPerTensor = 1 + flat.state.length;
      tensors.forEach((t, i) => {
        const { offset, count } = places[i];
        const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
        expect(bits(flatWeights.subarray(offset, offset + count))).toEqual(
          bits(perTensor[i * buffersPerTensor]),
        );
        flatState.forEach((s, k) =>
          expect(bits(s.subarray(offset, offset + count))).toEqual(
            bits(perTensor[i * buffersPerTensor + 1 + k]),
          )
        );
        // The steps changed every tensor.
        expect(bits(perTensor[i * buffersPerTensor])).not.toEqual(bits(t));
      });
      const inTensor = new Uint8Array(layout.length);
      for (const p of places) inTensor.fill(1, p.offset, p.offset + p.count);
      for (const buffer of [flatWeights, ...flatState]) {
        const padding = buffer.filter((_, j) => !inTensor[j]);
        expect(padding.length).toBeGreaterThan(0);
        expect(padding.every((x) => Object.is(x, 0))).toBe(true);
      }
      // unflatten reads back exactly the tensors at their places.
      const back = unflatten(
        flatWeights,
        layout,
        SIZES.map(([w, b]) => ({ inputs: Math.ceil(w / b), units: b })),
      );
      expect(Array.from(back[1].biases)).toEqual(
        Array.from(flatWeights.subarray(places[3].offset, places[3].offset + 1)),
      );
    });
  }
});

describe("layers reading their slices of the flat parameter buffer", () => {
  // k·n not a multiple of 4: matmul_vec4_forward loads W's last partial vec4, which must lie in the
  // slice (Dawn clamps an out-of-bounds load onto the binding; wgpu happened to read zeros).
  for (const [k, n, activation] of [[9, 1, "sigmoid"], [9, 3, "tanh"], [2, 9, "relu"]] as const) {
    it(`dense forward ${k}×${n} (${activation}) on slices equals it on whole buffers, bit for bit`, async () => {
      const ctx = await testContext();
      const rows = 13;
      const x = ctx.upload("x", randomF32("slice x", rows * k));
      // A tensor in front so that W and b sit at non-zero offsets.
      const params = [
        { weights: randomF32("slice w0", 5), biases: randomF32("slice b0", 1) },
        { weights: randomF32("slice w1", k * n), biases: randomF32("slice b1", n) },
      ];
      const layout = parameterLayout(params, ctx.device.limits.minStorageBufferOffsetAlignment);
      const flat = new Float32Array(layout.length);
      params.forEach((p, i) => {
        flat.set(p.weights, layout.weights[i].offset);
        flat.set(p.biases, layout.biases[i].offset);
      });
      const buffer = ctx.upload("flat parameters", flat);
      const outputs: Float32Array[] = [];
      for (const sliced of [false, true]) {
        const z = ctx.storage("z", rows * n), y = ctx.storage("y", rows * n);
        const op = await prepareDenseForward(ctx, {
          label: "dense",
          rows,
          inputs: k,
          units: n,
          activation,
          x,
          w: sliced ? sliceOf(buffer, layout.weights[1]) : ctx.upload("w", params[1].weights),
          b: sliced ? sliceOf(buffer, layout.biases[1]) : ctx.upload("b", params[1].biases),
          z,
          y,
        });
        outputs.push((await runOps(ctx, [op], [y], { byteLengths: [rows * n * 4] }))[0]);
        op.release();
      }
      expect(Array.from(new Uint32Array(outputs[1].buffer))).toEqual(
        Array.from(new Uint32Array(outputs[0].buffer)),
      );
    });
  }
});
