/**
 * Kernel definition of `reduce_forward.wgsl` and the multi-pass deterministic reduction built on
 * it: sum, mean, sum of squares, max, min and L2 norm over 1 .. ~67M f32 values, with the result
 * written as a pair (value, non-finite count) at any offset of any buffer (a per-step record).
 *
 * @module
 */
import code from "../../shaders/reduce_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { reduceF64, type ReduceOp, reduceTreeF32 } from "../reference/reductions.ts";
import {
  type BoundBuffer,
  type KernelDef,
  MAX_WORKGROUPS_PER_DIMENSION,
  type PreparedOp,
  prepareKernel,
} from "./kernel.ts";

export type { ReduceOp } from "../reference/reductions.ts";

const CHUNK = 1024;

/** `reduce_forward.wgsl`: one pass of the tree; see the shader's header. */
export const reduceForward: KernelDef<"n" | "outOffset" | "scale"> = {
  name: "reduce_forward",
  code,
  bindings: [{ name: "input", access: "read" }, { name: "output", access: "read-write" }],
  uniforms: [{ name: "n", type: "u32" }, { name: "outOffset", type: "u32" }, { name: "scale", type: "f32" }],
  overrides: { OP: 0, FIRST: 1, FINAL: 1 },
  dispatch: (u) => [Math.ceil(u.n / CHUNK), 1, 1],
  twins: [reduceF64, reduceTreeF32],
};

const OP_CODES: Record<ReduceOp, number> = { sum: 0, mean: 0, sumsq: 1, max: 2, min: 3, norm: 4 };

/** A prepared multi-pass reduction: encode it into a pass like any {@linkcode PreparedOp}. */
export interface PreparedReduce {
  readonly label: string;
  readonly op: ReduceOp;
  readonly n: number;
  /**
   * Changes the count (<= maxN), the destination pair index, or the scale (default 1, and 1/n for
   * "mean"). Takes effect at the next submit.
   */
  set(values: { n?: number; outOffset?: number; scale?: number }): void;
  encode(pass: GPUComputePassEncoder): void;
  release(): void;
}

/** Options of {@linkcode prepareReduce}. */
export interface ReduceOptions {
  label: string;
  op: ReduceOp;
  /** f32 values (n of them are read), or n pairs with `inputPairs`. */
  input: BoundBuffer;
  /**
   * The input holds n pairs (value, non-finite count) of an earlier first pass (the loss step's)
   * rather than raw values. Give `scale` then: "mean" would otherwise divide by the pairs' count.
   */
  inputPairs?: boolean;
  n: number;
  /** Largest n this op will be set to (default n): fixes the number of passes and scratch sizes. */
  maxN?: number;
  /** Receives the pair (value f32 bits, non-finite count u32) at word 2·outOffset. */
  output: GPUBuffer;
  outOffset?: number;
  /** Multiplies sum / sumsq, or sits under the sqrt of norm; default 1 (1/n for mean). */
  scale?: number;
}

/**
 * Prepares the passes of a reduction of `n` values. Any non-finite input makes the value NaN and
 * is counted. Bit-identical run to run (fixed order, no float atomics).
 *
 * @example
 * ```ts
 * const loss = await prepareReduce(ctx, { label: "loss", op: "mean", input: perRow, n: rows, output: record, outOffset: step });
 * ctx.submit("step", (pass) => { lossForward.encode(pass); loss.encode(pass); });
 * ```
 */
export async function prepareReduce(ctx: GpuContext, options: ReduceOptions): Promise<PreparedReduce> {
  const maxN = options.maxN ?? options.n;
  if (!(options.n >= 1) || options.n > maxN) {
    throw new RangeError(`reduce ${options.label}: n must be in 1..${maxN}, got ${options.n}`);
  }
  if (Math.ceil(maxN / CHUNK) > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new RangeError(
      `reduce ${options.label}: ${maxN} values exceed ${CHUNK * MAX_WORKGROUPS_PER_DIMENSION}`,
    );
  }
  // Pass i reads sizes[i] items and writes ceil(sizes[i] / 1024) partials; the last writes one.
  const passCount = countPasses(maxN);
  const scratch: GPUBuffer[] = [];
  for (let i = 0; i < passCount - 1; i++) {
    scratch.push(ctx.storage(`${options.label} partials ${i}`, 2 * Math.ceil(countAfter(maxN, i + 1))));
  }
  let n = options.n;
  let outOffset = options.outOffset ?? 0;
  let scale = options.scale;
  const passes: PreparedOp<"n" | "outOffset" | "scale">[] = [];
  for (let i = 0; i < passCount; i++) {
    const final = i === passCount - 1;
    passes.push(
      await prepareKernel(ctx, reduceForward, {
        label: `${options.label} pass ${i}`,
        buffers: {
          input: i === 0 ? options.input : scratch[i - 1],
          output: final ? options.output : scratch[i],
        },
        uniforms: { n: 1, outOffset: 0, scale: 1 },
        overrides: {
          OP: OP_CODES[options.op],
          FIRST: i === 0 && !options.inputPairs ? 1 : 0,
          FINAL: final ? 1 : 0,
        },
      }),
    );
  }
  const apply = () => {
    let items = n;
    passes.forEach((p, i) => {
      const final = i === passes.length - 1;
      const s = scale ?? (options.op === "mean" ? 1 / n : 1);
      p.set({ n: items, outOffset: final ? outOffset : 0, scale: final ? s : 1 });
      items = Math.ceil(items / CHUNK);
    });
  };
  apply();
  return {
    label: options.label,
    op: options.op,
    get n() {
      return n;
    },
    set(values) {
      if (values.n !== undefined) {
        if (!(values.n >= 1 && values.n <= maxN)) {
          throw new RangeError(`reduce ${options.label}: n must be in 1..${maxN}, got ${values.n}`);
        }
        n = values.n;
      }
      if (values.outOffset !== undefined) outOffset = values.outOffset;
      if (values.scale !== undefined) scale = values.scale;
      apply();
    },
    encode(pass) {
      for (const p of passes) p.encode(pass);
    },
    release() {
      for (const p of passes) p.release();
      for (const b of scratch) ctx.pool.release(b);
    },
  };
}

function countPasses(n: number): number {
  let passes = 1;
  for (let m = Math.ceil(n / CHUNK); m > 1; m = Math.ceil(m / CHUNK)) passes++;
  return passes;
}

function countAfter(n: number, passes: number): number {
  let m = n;
  for (let i = 0; i < passes; i++) m = Math.ceil(m / CHUNK);
  return m;
}
