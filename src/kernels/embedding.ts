/**
 * Embedding lookup and its deterministic backward pass on the GPU (Keras `Embedding`): tokens are
 * f32 indices (batch rows × steps), the table vocab × dim. See embedding_backward.wgsl for why
 * the gradient is a per-table-element walk over the tokens rather than a scatter or a host index.
 * @module
 */
import forwardCode from "../../shaders/embedding_forward.wgsl" with { type: "text" };
import backwardCode from "../../shaders/embedding_backward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { embeddingBackward, embeddingForward } from "../reference/embedding.ts";
import {
  type BoundBuffer,
  type KernelDef,
  linearWorkgroups,
  type PreparedOp,
  prepareKernel,
} from "./kernel.ts";

/** Embedding uniforms: token positions in the batch, table rows and width. */
export type EmbeddingUniform = "positions" | "vocab" | "dim";

const UNIFORMS = [
  { name: "positions", type: "u32" },
  { name: "vocab", type: "u32" },
  { name: "dim", type: "u32" },
] as const;

export const embeddingForwardKernel: KernelDef<EmbeddingUniform> = {
  name: "embedding_forward",
  code: forwardCode,
  bindings: [{ name: "tokens", access: "read" }, { name: "table", access: "read" }, {
    name: "y",
    access: "read-write",
  }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.positions * u.dim, 64),
  twins: [embeddingForward],
};

export const embeddingBackwardKernel: KernelDef<EmbeddingUniform> = {
  name: "embedding_backward",
  code: backwardCode,
  bindings: [{ name: "tokens", access: "read" }, { name: "dy", access: "read" }, {
    name: "dtable",
    access: "read-write",
  }],
  uniforms: UNIFORMS,
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.vocab * u.dim, 64),
  twins: [embeddingBackward],
};

/** Options of {@linkcode prepareEmbedding}. */
export interface EmbeddingOptions {
  label: string;
  /** Token indices as f32, `positions` of them (batch rows × steps). */
  tokens: BoundBuffer;
  /** Forward: the table (vocab × dim). Backward: dY (positions × dim). */
  input: BoundBuffer;
  /** Forward: Y (positions × dim). Backward: dTable (vocab × dim), every element written. */
  output: BoundBuffer;
  positions: number;
  vocab: number;
  dim: number;
  pass: "forward" | "backward";
}

/**
 * Prepares the lookup or its gradient; per step `op.set({ positions })` for a partial batch.
 *
 * @example
 * ```ts
 * const lookup = await prepareEmbedding(ctx, { label: "embed", tokens, input: table, output: y, positions: 32 * 20, vocab: 1000, dim: 16, pass: "forward" });
 * ```
 */
export function prepareEmbedding(
  ctx: GpuContext,
  options: EmbeddingOptions,
): Promise<PreparedOp<EmbeddingUniform>> {
  if (options.vocab >= 2 ** 24) {
    throw new RangeError(
      `${options.label}: a vocabulary of ${options.vocab} rows exceeds f32's exact integers`,
    );
  }
  const forward = options.pass === "forward";
  return prepareKernel(ctx, forward ? embeddingForwardKernel : embeddingBackwardKernel, {
    label: options.label,
    buffers: forward
      ? { tokens: options.tokens, table: options.input, y: options.output }
      : { tokens: options.tokens, dy: options.input, dtable: options.output },
    uniforms: { positions: options.positions, vocab: options.vocab, dim: options.dim },
  });
}
