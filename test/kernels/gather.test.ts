/**
 * gather_rows_forward against the float64 twin (reference/trainer.ts gatherRows): any rows, offsets
 * into the index buffer, repeated rows, partial batches; exact (a copy).
 */
import { afterAll, expect, it } from "vitest";
import { prepareGatherRows } from "../../src/kernels/gather.ts";
import { gatherRows } from "../../src/reference/trainer.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { Rng } from "../../src/random.ts";
import { describeKernel, randomF32, releaseTestContext, runOps, testContext } from "../helpers/gpu.ts";

afterAll(releaseTestContext);

describeKernel("gather_rows_forward", () => {
  const cases: [string, number, number, number, number, number][] = [
    // name, split rows, x cols, y cols, batch rows, offset
    ["one row, one column", 1, 1, 1, 1, 0],
    ["primes, offset into the order", 13, 7, 3, 5, 6],
    ["a batch of 256 from 1000 × 64, 10 targets", 1000, 64, 10, 256, 512],
    ["wider than 65535 workgroups' worth of elements", 5000, 300, 2, 4000, 1000],
  ];
  for (const [name, splitRows, xCols, yCols, rows, offset] of cases) {
    it(name, async () => {
      const ctx = await testContext();
      const xData = randomF32(`gather x ${name}`, splitRows * xCols);
      const yData = randomF32(`gather y ${name}`, splitRows * yCols);
      // The epoch order: a permutation, with a repeated row where there is room for one.
      const order = Rng.fromSeed(5).stream(name).permutation(Math.max(splitRows, offset + rows));
      const index = Uint32Array.from(order, (r) => r % splitRows);
      const x = ctx.upload("x", xData), y = ctx.upload("y", yData), idx = ctx.upload("index", index);
      const xBatch = ctx.storage("x batch", rows * xCols), yBatch = ctx.storage("y batch", rows * yCols);
      const op = await prepareGatherRows(ctx, {
        label: name,
        x,
        y,
        index: idx,
        xBatch,
        yBatch,
        rows,
        offset,
        xCols,
        yCols,
      });
      const [gx, gy] = await runOps(ctx, [op], [xBatch, yBatch], {
        byteLengths: [rows * xCols * 4, rows * yCols * 4],
      });
      const rowsUsed = index.subarray(offset, offset + rows);
      expect(Array.from(gx)).toEqual(Array.from(gatherRows(matrix(splitRows, xCols, xData), rowsUsed).data));
      expect(Array.from(gy)).toEqual(Array.from(gatherRows(matrix(splitRows, yCols, yData), rowsUsed).data));
      op.release();
      for (const b of [x, y, idx, xBatch, yBatch]) ctx.pool.release(b);
    });
  }

  it("set({ offset, rows }) picks the next (partial) batch without re-preparing", async () => {
    const ctx = await testContext();
    const xData = randomF32("gather step x", 10 * 3), yData = randomF32("gather step y", 10);
    const index = Uint32Array.from([9, 2, 4, 4, 0, 7, 1]);
    const x = ctx.upload("x", xData), y = ctx.upload("y", yData), idx = ctx.upload("index", index);
    const xBatch = ctx.upload("x batch", new Float32Array(4 * 3).fill(-1));
    const yBatch = ctx.upload("y batch", new Float32Array(4).fill(-1));
    const op = await prepareGatherRows(ctx, {
      label: "steps",
      x,
      y,
      index: idx,
      xBatch,
      yBatch,
      rows: 4,
      offset: 0,
      xCols: 3,
      yCols: 1,
    });
    op.set({ offset: 4, rows: 3 });
    const [gx, gy] = await runOps(ctx, [op], [xBatch, yBatch]);
    const rowsUsed = [0, 7, 1];
    expect(Array.from(gx.subarray(0, 9))).toEqual(
      Array.from(gatherRows(matrix(10, 3, xData), rowsUsed).data),
    );
    expect(Array.from(gy.subarray(0, 3))).toEqual(rowsUsed.map((r) => yData[r]));
    // The rows past the partial batch are left alone.
    expect(Array.from(gx.subarray(9, 12))).toEqual([-1, -1, -1]);
    expect(gy[3]).toBe(-1);
    op.release();
    for (const b of [x, y, idx, xBatch, yBatch]) ctx.pool.release(b);
  });
});
