/**
 * reduce_forward.wgsl (multi-pass, via prepareReduce) against its twins: the float64 value within
 * the derived bound, and the float32 emulation of the same fixed tree bit for bit (WGSL rounds + and
 * * correctly, so a fixed order fixes every bit; a mismatch would mean the order is not fixed).
 */
import { afterAll, expect, it } from "vitest";
import { readback } from "../../src/gpu/mod.ts";
import { prepareReduce, type ReduceOp } from "../../src/kernels/reduce.ts";
import { reduceF64, reduceTreeF32 } from "../../src/reference/reductions.ts";
import { describeKernel, randomF32, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { reduceBound } from "../helpers/kernel_tolerances.ts";
import { expectClose, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/reduce.test.ts");
  await releaseTestContext();
});

const OPS: ReduceOp[] = ["sum", "mean", "sumsq", "max", "min", "norm"];
const SIZES = [1, 2, 7, 127, 257, 1000, 1024, 1025, 4099, 65_537, 1_000_003];

async function gpuReduce(
  op: ReduceOp,
  data: Float32Array,
  outOffset = 3,
): Promise<{ value: number; count: number }> {
  const ctx = await testContext();
  const input = ctx.upload(`reduce input ${data.length}`, data);
  const output = ctx.storage("reduce output", 2 * (outOffset + 1));
  const red = await prepareReduce(ctx, {
    label: `reduce ${op} ${data.length}`,
    op,
    input,
    n: data.length,
    output,
    outOffset,
  });
  ctx.submit("reduce", (pass) => red.encode(pass));
  const [bytes] = await readback(ctx, [output]);
  red.release();
  ctx.pool.release(input);
  ctx.pool.release(output);
  return { value: new Float32Array(bytes)[2 * outOffset], count: new Uint32Array(bytes)[2 * outOffset + 1] };
}

describeKernel("reduce_forward", () => {
  for (const n of SIZES) {
    it(`all ops over ${n} values: f64 within the tree bound, bits equal to the f32 emulation`, async () => {
      // Mixed signs with an offset, so sums cancel partly and are not trivially exact.
      const data = randomF32(`reduce ${n}`, n, { min: -1, scale: 1.5 });
      for (const op of OPS) {
        const got = await gpuReduce(op, data);
        const exact = reduceF64(op, data).value;
        const emulated = reduceTreeF32(op, data).value;
        expect(got.count).toBe(0);
        expect(Object.is(got.value, emulated), `${op} n=${n}: gpu ${got.value} vs f32 tree ${emulated}`).toBe(
          true,
        );
        expectClose([got.value], [exact], { atol: reduceBound(op, data, exact), rtol: 0 }, {
          label: `${op} n=${n}`,
          family: "reduce",
        });
      }
    });
  }

  it("is bit-identical run to run (1e6 values, three runs)", async () => {
    const data = randomF32("reduce repeat", 1_000_000, { scale: 3 });
    for (const op of ["sum", "sumsq"] as const) {
      const runs = [await gpuReduce(op, data), await gpuReduce(op, data), await gpuReduce(op, data)];
      expect(new Set(runs.map((r) => r.value)).size).toBe(1);
    }
  });

  it("counts non-finite values and returns NaN", async () => {
    const data = randomF32("reduce nan", 3000);
    data[5] = NaN;
    data[2999] = Infinity;
    data[1500] = -Infinity;
    for (const op of OPS) {
      const got = await gpuReduce(op, data, 0);
      expect(Number.isNaN(got.value), op).toBe(true);
      expect(got.count, op).toBe(3);
      expect(reduceF64(op, data).nonFinite).toBe(3);
    }
  });

  it("a partial batch: set({ n }) below maxN reuses the passes and stays exact", async () => {
    const ctx = await testContext();
    const data = randomF32("reduce partial", 5000);
    const input = ctx.upload("partial input", data);
    const output = ctx.storage("partial output", 8);
    const red = await prepareReduce(ctx, {
      label: "partial",
      op: "mean",
      input,
      n: 5000,
      output,
      outOffset: 1,
    });
    red.set({ n: 17, outOffset: 2 });
    ctx.submit("partial", (pass) => red.encode(pass));
    const [bytes] = await readback(ctx, [output]);
    const got = new Float32Array(bytes)[4];
    expect(got).toBe(reduceTreeF32("mean", data.subarray(0, 17)).value);
    red.release();
  });
});
