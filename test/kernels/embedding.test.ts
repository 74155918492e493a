/**
 * embedding_forward and embedding_backward against the float64 twin (src/reference/embedding.ts):
 * one token of a one-row table, primes, repeated tokens, a vocabulary most of whose rows the batch
 * never names, token counts around the workgroup size and tile (63, 64, 65, 127, 257), more than
 * 65535 workgroups (folded into y), invalid tokens, and determinism.
 *
 * Forward is a copy: exact. Backward sums the n_v occurrences of token v in position order, one f32
 * rounding per addition: |gpu - ref| <= gamma_{n_v - 1}·Σ|dy| (Higham's recursive-sum bound).
 * Because the order is fixed, the result also equals, bit for bit, the same sum done in f32
 * (Math.fround after every addition) in position order: the determinism the kernel promises.
 */
import { afterAll, expect, it } from "vitest";
import { prepareEmbedding } from "../../src/kernels/embedding.ts";
import { embeddingBackward, embeddingForward } from "../../src/reference/embedding.ts";
import { Rng } from "../../src/random.ts";
import { describeKernel, randomF32, releaseTestContext, runOps, testContext } from "../helpers/gpu.ts";
import { expectClose, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/embedding.test.ts");
  await releaseTestContext();
});

interface Case {
  name: string;
  positions: number;
  vocab: number;
  dim: number;
  /** Tokens drawn from the first `used` rows only (the rest get no gradient). */
  used?: number;
}

const CASES: Case[] = [
  { name: "one token, one row, one dim", positions: 1, vocab: 1, dim: 1 },
  { name: "13 tokens into 7 × 3 (repeats)", positions: 13, vocab: 7, dim: 3 },
  { name: "63 tokens (one short of a tile)", positions: 63, vocab: 5, dim: 2 },
  { name: "65 tokens (one past a tile)", positions: 65, vocab: 11, dim: 64 },
  { name: "257 tokens into 127 × 5", positions: 257, vocab: 127, dim: 5 },
  { name: "32 rows × 20 steps into 1000 × 16, 40 rows used", positions: 640, vocab: 1000, dim: 16, used: 40 },
  { name: "large: 4096 tokens into 4375 × 16", positions: 4096, vocab: 4375, dim: 16 },
];

function tokensFor(c: Case): Float32Array {
  const rng = Rng.fromSeed(3).stream(`tokens ${c.name}`);
  const used = c.used ?? c.vocab;
  return Float32Array.from(
    { length: c.positions },
    () => Math.min(used - 1, Math.floor(rng.uniform(0, used))),
  );
}

/** The f32 sum in position order: what the kernel's fixed order gives, bit for bit. */
function f32Backward(tokens: Float32Array, dy: Float32Array, vocab: number, dim: number): Float32Array {
  const out = new Float32Array(vocab * dim);
  for (let p = 0; p < tokens.length; p++) {
    for (let d = 0; d < dim; d++) {
      const i = tokens[p] * dim + d;
      out[i] = Math.fround(out[i] + dy[p * dim + d]);
    }
  }
  return out;
}

describeKernel("embedding_forward", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await testContext();
      const tokens = tokensFor(c);
      const table = randomF32(`table ${c.name}`, c.vocab * c.dim);
      const [tb, tab, y] = [
        ctx.upload("tokens", tokens),
        ctx.upload("table", table),
        ctx.storage("y", c.positions * c.dim),
      ];
      const op = await prepareEmbedding(ctx, {
        label: "embed",
        tokens: tb,
        input: tab,
        output: y,
        ...c,
        pass: "forward",
      });
      const [gpu] = await runOps(ctx, [op], [y], { byteLengths: [c.positions * c.dim * 4] });
      expect(Array.from(gpu)).toEqual(Array.from(embeddingForward(tokens, table, c.vocab, c.dim)));
      op.release();
      for (const b of [tb, tab, y]) ctx.pool.release(b);
    });
  }

  it("more than 65535 workgroups: 600,000 tokens × 8 dims", async () => {
    const ctx = await testContext();
    const c: Case = { name: "fold", positions: 600_000, vocab: 300, dim: 8 };
    const tokens = tokensFor(c);
    const table = randomF32("table fold", c.vocab * c.dim);
    const [tb, tab, y] = [
      ctx.upload("tokens", tokens),
      ctx.upload("table", table),
      ctx.storage("y", c.positions * c.dim),
    ];
    const op = await prepareEmbedding(ctx, {
      label: "embed",
      tokens: tb,
      input: tab,
      output: y,
      ...c,
      pass: "forward",
    });
    expect(op.workgroups[1]).toBeGreaterThan(1);
    const [gpu] = await runOps(ctx, [op], [y], { byteLengths: [c.positions * c.dim * 4] });
    const ref = embeddingForward(tokens, table, c.vocab, c.dim);
    let mismatch = -1;
    for (let i = 0; i < ref.length && mismatch < 0; i++) if (gpu[i] !== ref[i]) mismatch = i;
    expect(mismatch).toBe(-1);
    op.release();
    for (const b of [tb, tab, y]) ctx.pool.release(b);
  });

  it("a token with no row (out of range, negative, fractional, NaN) reads NaN, never a silent zero", async () => {
    const ctx = await testContext();
    const tokens = Float32Array.of(2, 5, -1, 1.5, NaN, 0, 4);
    const table = randomF32("table invalid", 5 * 2);
    const [tb, tab, y] = [ctx.upload("tokens", tokens), ctx.upload("table", table), ctx.storage("y", 14)];
    const op = await prepareEmbedding(ctx, {
      label: "embed",
      tokens: tb,
      input: tab,
      output: y,
      positions: 7,
      vocab: 5,
      dim: 2,
      pass: "forward",
    });
    const [gpu] = await runOps(ctx, [op], [y], { byteLengths: [14 * 4] });
    const ref = embeddingForward(tokens, table, 5, 2);
    expectClose(gpu, ref, { atol: 0, rtol: 0 }, { label: "invalid tokens" });
    expect([1, 2, 3, 4].every((p) => Number.isNaN(gpu[2 * p]) && Number.isNaN(gpu[2 * p + 1]))).toBe(true);
    op.release();
    for (const b of [tb, tab, y]) ctx.pool.release(b);
  });
});

describeKernel("embedding_backward", () => {
  const all: Case[] = [...CASES, {
    name: "more than 65535 workgroups: 300,000 × 16, 8 tokens",
    positions: 8,
    vocab: 300_000,
    dim: 16,
  }];
  for (const c of all) {
    it(c.name, async () => {
      const ctx = await testContext();
      const tokens = tokensFor(c);
      const dy = randomF32(`dy ${c.name}`, c.positions * c.dim, { scale: 2 });
      const [tb, dyb] = [ctx.upload("tokens", tokens), ctx.upload("dy", dy)];
      // Poisoned output: every element must be written (0 for rows no token names).
      const dtable = ctx.upload("dtable", new Float32Array(c.vocab * c.dim).fill(NaN));
      const op = await prepareEmbedding(ctx, {
        label: "embed'",
        tokens: tb,
        input: dyb,
        output: dtable,
        ...c,
        pass: "backward",
      });
      const [gpu] = await runOps(ctx, [op], [dtable], { byteLengths: [c.vocab * c.dim * 4] });
      const ref = embeddingBackward(tokens, dy, c.vocab, c.dim);
      const count = new Float64Array(c.vocab);
      for (const t of tokens) count[t]++;
      const sumAbs = embeddingBackward(tokens, dy.map(Math.abs), c.vocab, c.dim);
      const tol = sumAbs.map((s, i) => gamma(Math.max(count[Math.floor(i / c.dim)] - 1, 0)) * s);
      expectClose(gpu, ref, { atol: tol, rtol: 0 }, { label: c.name, family: "embedding backward" });
      const exact = f32Backward(tokens, dy, c.vocab, c.dim);
      let mismatch = -1;
      for (let i = 0; i < exact.length && mismatch < 0; i++) if (!Object.is(gpu[i], exact[i])) mismatch = i;
      expect(mismatch, "the f32 sum in position order, bit for bit").toBe(-1);
      op.release();
      for (const b of [tb, dyb, dtable]) ctx.pool.release(b);
    });
  }

  it("bit-identical run to run, and set({ positions }) takes a partial batch", async () => {
    const ctx = await testContext();
    const c = CASES[5];
    const tokens = tokensFor(c);
    const dy = randomF32("dy repeat", c.positions * c.dim);
    const [tb, dyb, dtable] = [
      ctx.upload("tokens", tokens),
      ctx.upload("dy", dy),
      ctx.storage("dtable", c.vocab * c.dim),
    ];
    const op = await prepareEmbedding(ctx, {
      label: "embed'",
      tokens: tb,
      input: dyb,
      output: dtable,
      ...c,
      pass: "backward",
    });
    const bytes = { byteLengths: [c.vocab * c.dim * 4] };
    const [a] = await runOps(ctx, [op], [dtable], bytes);
    const [b] = await runOps(ctx, [op], [dtable], bytes);
    expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));
    op.set({ positions: 100 });
    const [partial] = await runOps(ctx, [op], [dtable], bytes);
    expect(Array.from(partial)).toEqual(
      Array.from(f32Backward(tokens.subarray(0, 100), dy.subarray(0, 100 * c.dim), c.vocab, c.dim)),
    );
    op.release();
    for (const buffer of [tb, dyb, dtable]) ctx.pool.release(buffer);
  });
});
