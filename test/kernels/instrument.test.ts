/**
 * Column statistics, batch fingerprint and per-layer step record kernels against their twins
 * (src/reference/stats.ts, fingerprint.ts, instrument.ts, reductions.ts).
 */
import { afterAll, expect, it } from "vitest";
import { readback } from "../../src/gpu/mod.ts";
import { prepareColumnStats } from "../../src/kernels/column_stats.ts";
import { prepareFingerprint } from "../../src/kernels/fingerprint.ts";
import { LAYER_RECORD_WORDS, prepareLayerRecord, SATURATION_CUTOFFS } from "../../src/kernels/instrument.ts";
import { batchFingerprint } from "../../src/reference/fingerprint.ts";
import { deadFraction, saturatedFraction, updateRatio } from "../../src/reference/instrument.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { reduceF64 } from "../../src/reference/reductions.ts";
import { columnStats, decodeColumnStats } from "../../src/reference/stats.ts";
import { describeKernel, randomF32, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { expectClose, F32_U as u, gamma, logErrorSummary } from "../helpers/tolerance.ts";

afterAll(async () => {
  await logErrorSummary("test/kernels/instrument.test.ts");
  await releaseTestContext();
});

const SHAPES: [number, number][] = [[1, 1], [1, 5], [7, 3], [127, 10], [257, 2], [1000, 13], [100_003, 3]];

describeKernel("column_stats_forward", () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}, offset and scaled columns, zeros, outliers, non-finite`, async () => {
      const ctx = await testContext();
      const x = randomF32(`stats ${rows}x${cols}`, rows * cols, { scale: 3 });
      for (let r = 0; r < rows; r++) {
        // Column 0 far from zero (the case a one-pass std gets wrong), column 1 with zeros.
        x[r * cols] = 1000 + x[r * cols];
        if (cols > 1 && r % 3 === 0) x[r * cols + 1] = r % 2 ? 0 : -0;
        if (cols > 2 && r % 7 === 1) x[r * cols + 2] = r % 2 ? NaN : Infinity;
        if (cols > 2 && r % 11 === 4) x[r * cols + 2] = 42;
      }
      const xb = ctx.upload("stats x", x);
      const out = ctx.storage("stats out", cols * 8);
      const op = await prepareColumnStats(ctx, { label: "stats", x: xb, stats: out, rows, cols });
      ctx.submit("stats", (pass) => op.encode(pass));
      const [bytes] = await readback(ctx, [{ buffer: out, byteLength: cols * 32 }]);
      const got = decodeColumnStats(bytes, cols);
      const ref = columnStats(matrix(rows, cols, x));
      // Sums: ceil(rows/256) sequential adds + 8 tree levels + the division: gamma_L · Σ|x| / n.
      const L = Math.ceil(rows / 256) + 9;
      for (let c = 0; c < cols; c++) {
        const g = got[c], r = ref[c];
        expect([g.nonFinite, g.finite]).toEqual([r.nonFinite, r.finite]);
        expect([g.min, g.max]).toEqual([Math.fround(r.min), Math.fround(r.max)]);
        expect([g.zeroFraction, g.beyondFraction]).toEqual([
          Math.fround(r.zeroFraction),
          Math.fround(r.beyondFraction),
        ]);
        const meanAbs = Math.max(Math.abs(r.min), Math.abs(r.max));
        expectClose([g.mean], [r.mean], { atol: gamma(L) * meanAbs, rtol: 0 }, {
          label: `mean col ${c}`,
          family: "stats",
        });
        // Two-pass std: the deviations carry the mean's error e (d² changes by 2|d|e, relative to
        // std that is <= 2e/std·...), plus gamma_L on the sum of squares and u for sqrt.
        const meanErr = gamma(L) * meanAbs + u * Math.abs(r.mean);
        expectClose([g.std], [r.std], { atol: meanErr + (gamma(L) / 2 + u) * r.std, rtol: 0 }, {
          label: `std col ${c}`,
          family: "stats",
        });
      }
      op.release();
    });
  }

  it("a column with no finite value gives NaN statistics and counts them", async () => {
    const ctx = await testContext();
    const x = new Float32Array([NaN, 1, Infinity, 2, -Infinity, 3]);
    const stats = ctx.storage("nan col stats", 16);
    const op = await prepareColumnStats(ctx, {
      label: "nan col",
      x: ctx.upload("x", x),
      stats,
      rows: 3,
      cols: 2,
    });
    ctx.submit("nan col", (pass) => op.encode(pass));
    const [bytes] = await readback(ctx, [stats]);
    const [gotNan, gotOk] = decodeColumnStats(bytes, 2);
    const [refNan, refOk] = columnStats(matrix(3, 2, x));
    for (const key of ["mean", "std", "min", "max", "zeroFraction", "beyondFraction"] as const) {
      expect(Number.isNaN(gotNan[key]), key).toBe(true);
      expect(Number.isNaN(refNan[key]), key).toBe(true);
    }
    expect([gotNan.nonFinite, gotNan.finite]).toEqual([3, 0]);
    expect([gotOk.mean, gotOk.min, gotOk.max, gotOk.finite]).toEqual([refOk.mean, refOk.min, refOk.max, 3]);
  });
});

describeKernel("fingerprint_forward", () => {
  for (const [rows, cols] of SHAPES) {
    it(`${rows}x${cols}: equals the u32 twin; changes with one bit, row order and row count`, async () => {
      const ctx = await testContext();
      const x = randomF32(`fp x ${rows}x${cols}`, rows * cols);
      const y = randomF32(`fp y ${rows}`, rows);
      const variants: [string, Float32Array, Float32Array, number][] = [["same", x, y, rows]];
      const flipped = x.slice();
      new Uint32Array(flipped.buffer)[flipped.length - 1] ^= 1;
      variants.push(["one bit", flipped, y, rows]);
      if (rows > 1) {
        const swapped = x.slice();
        swapped.set(x.subarray(0, cols), cols);
        swapped.set(x.subarray(cols, 2 * cols), 0);
        variants.push(["rows swapped", swapped, y, rows]);
      }
      const record = ctx.storage("fp record", 2 * (variants.length + 1));
      ctx.device.queue.writeBuffer(record, 0, new Uint32Array(2 * (variants.length + 1)));
      const ops: { encode(pass: GPUComputePassEncoder): void }[] = [];
      for (const [i, [name, xv, yv, n]] of variants.entries()) {
        ops.push(
          await prepareFingerprint(ctx, {
            label: name,
            x: ctx.upload(`fp ${name} x`, xv),
            y: ctx.upload(`fp ${name} y`, yv),
            record,
            rows: n,
            xCols: cols,
            yCols: 1,
            slot: i,
          }),
        );
      }
      // The same batch again in the last slot: two dispatches, equal result.
      ops.push(
        await prepareFingerprint(ctx, {
          label: "again",
          x: ctx.upload("fp again x", x),
          y: ctx.upload("fp again y", y),
          record,
          rows,
          xCols: cols,
          yCols: 1,
          slot: variants.length,
        }),
      );
      ctx.submit("fingerprints", (pass) => ops.forEach((op) => op.encode(pass)));
      const [bytes] = await readback(ctx, [{ buffer: record, byteLength: 8 * (variants.length + 1) }]);
      const got = new Uint32Array(bytes);
      const seen = new Set<string>();
      for (const [i, [name, xv, yv, n]] of variants.entries()) {
        const ref = batchFingerprint(new Uint32Array(xv.buffer), new Uint32Array(yv.buffer), n);
        expect([got[2 * i], got[2 * i + 1]], name).toEqual(ref);
        seen.add(ref.join(","));
      }
      expect(seen.size, "distinct batches give distinct fingerprints").toBe(variants.length);
      expect([got[2 * variants.length], got[2 * variants.length + 1]]).toEqual([got[0], got[1]]);
      // The row count is part of it: the same words read as another row count differ.
      expect(batchFingerprint(new Uint32Array(x.buffer), new Uint32Array(y.buffer), rows + 1)).not.toEqual([
        got[0],
        got[1],
      ]);
    });
  }
});

/** Runs one layer record into a fresh record buffer and returns its words (f32 and u32 views). */
async function runLayerRecord(
  options: {
    grads: Float32Array;
    biasGrads: Float32Array;
    wNew: Float32Array;
    wOld: Float32Array;
    z?: Float32Array;
    rows?: number;
    units?: number;
    statistic?: "dead" | "saturated" | null;
    cutoff?: number;
    offset?: number;
  },
): Promise<{ f: Float32Array; w: Uint32Array }> {
  const ctx = await testContext();
  const offset = options.offset ?? 0;
  const record = ctx.storage("layer record", offset + LAYER_RECORD_WORDS);
  const buffers = [
    ctx.upload("grads", options.grads),
    ctx.upload("bias grads", options.biasGrads),
    ctx.upload("w new", options.wNew),
    ctx.upload("w old", options.wOld),
    ctx.upload("z", options.z ?? new Float32Array(1)),
  ];
  const op = await prepareLayerRecord(ctx, {
    label: "layer record",
    grads: buffers[0],
    gradCount: options.grads.length,
    biasGrads: buffers[1],
    biasCount: options.biasGrads.length,
    wNew: buffers[2],
    wOld: buffers[3],
    weightCount: options.wNew.length,
    statistic: options.statistic ?? null,
    z: buffers[4],
    rows: options.rows ?? 0,
    units: options.units ?? 0,
    cutoff: options.cutoff,
    record,
    offset,
  });
  ctx.submit("layer record", (pass) => op.encode(pass));
  const [bytes] = await readback(ctx, [record]);
  op.release();
  for (const buffer of [...buffers, record]) ctx.pool.release(buffer);
  return { f: new Float32Array(bytes), w: new Uint32Array(bytes) };
}

describeKernel("layer_record_forward", () => {
  for (const n of [1, 7, 257, 1000, 65_537, 1_000_000]) {
    it(`gradient norms and update ratio over ${n} weights, written at a record offset`, async () => {
      const wOld = randomF32(`w ${n}`, n, { scale: 0.5 });
      const step = randomF32(`dw ${n}`, n, { scale: 1e-3 });
      const wNew = wOld.map((w, i) => w + step[i]);
      const grads = randomF32(`g ${n}`, n, { scale: 2 });
      const biasGrads = randomF32(`gb ${n}`, Math.min(n, 300), { scale: 0.1 });
      const { f, w } = await runLayerRecord({ grads, biasGrads, wNew, wOld, offset: 5 });
      const ratio = updateRatio(wNew, wOld);
      const gradNorm = reduceF64("norm", grads), biasNorm = reduceF64("norm", biasGrads);
      // Each Σ of squares: ceil(count/256) + 9 roundings (gamma_L relative, terms >= 0), sqrt halves
      // it, +u; the ratio adds both and one division.
      const rel = (count: number) => gamma(Math.ceil(count / 256) + 9) + 3 * u;
      expectClose([f[5]], [gradNorm.value], { atol: 0, rtol: rel(n) }, {
        label: "gradient norm",
        family: "instrument",
      });
      expectClose([f[7]], [biasNorm.value], { atol: 0, rtol: rel(biasGrads.length) }, {
        label: "bias gradient norm",
        family: "instrument",
      });
      expectClose([f[10], f[11]], [ratio.deltaNorm, ratio.weightNorm], { atol: 0, rtol: rel(n) }, {
        label: "update norms",
        family: "instrument",
      });
      expectClose([f[9]], [ratio.ratio], { atol: 0, rtol: 2 * rel(n) }, {
        label: "ratio",
        family: "instrument",
      });
      expect([w[6], w[8], w[12]]).toEqual([0, 0, 0]);
      // No statistic asked for: its words and the words before the offset are left alone.
      expect([w[13], w[14], ...w.subarray(0, 5)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    });
  }

  it("zero weights give a ratio of 0 or Infinity; non-finite inputs give NaN with a count", async () => {
    const one = new Float32Array([1, 2]);
    const zero = await runLayerRecord({
      grads: one,
      biasGrads: one,
      wNew: new Float32Array(2),
      wOld: new Float32Array(2),
    });
    expect(zero.f[4]).toBe(updateRatio([0, 0], [0, 0]).ratio);
    const grown = await runLayerRecord({
      grads: one,
      biasGrads: one,
      wNew: new Float32Array([0, 1]),
      wOld: new Float32Array(2),
    });
    expect(grown.f[4]).toBe(Infinity);
    const broken = await runLayerRecord({
      grads: new Float32Array([1, NaN, Infinity, 2]),
      biasGrads: new Float32Array([-Infinity, 3]),
      wNew: new Float32Array([NaN, 1]),
      wOld: new Float32Array([1, Infinity]),
    });
    expect(Number.isNaN(broken.f[0])).toBe(true);
    expect(broken.w[1]).toBe(reduceF64("norm", [1, NaN, Infinity, 2]).nonFinite);
    expect(Number.isNaN(broken.f[2])).toBe(true);
    expect(broken.w[3]).toBe(1);
    expect([broken.f[4], broken.f[5], broken.f[6]].every(Number.isNaN)).toBe(true);
    expect(broken.w[7]).toBe(updateRatio([NaN, 1], [1, Infinity]).nonFinite);
  });

  const layerShapes: [number, number][] = [[1, 1], [7, 3], [32, 257], [127, 10], [1000, 13], [1, 1000]];
  for (const [rows, units] of layerShapes) {
    it(`dead and saturated fractions, ${rows}x${units}`, async () => {
      const z = randomF32(`z ${rows}x${units}`, rows * units, { scale: 6 });
      // Make every third unit dead (z <= 0 on every row, one of them exactly -0 / 0).
      for (let u2 = 0; u2 < units; u2 += 3) {
        for (let r = 0; r < rows; r++) z[r * units + u2] = -Math.abs(z[r * units + u2]);
      }
      z[0] = 0;
      const weights = new Float32Array([1]);
      const common = { grads: weights, biasGrads: weights, wNew: weights, wOld: weights, z, rows, units };
      const dead = await runLayerRecord({ ...common, statistic: "dead" });
      const sig = await runLayerRecord({
        ...common,
        statistic: "saturated",
        cutoff: SATURATION_CUTOFFS.sigmoid,
      });
      const tanh = await runLayerRecord({
        ...common,
        statistic: "saturated",
        cutoff: SATURATION_CUTOFFS.tanh,
      });
      const refDead = deadFraction(z, rows, units);
      const refSig = saturatedFraction(z, { rows, units, cutoff: SATURATION_CUTOFFS.sigmoid });
      const refTanh = saturatedFraction(z, { rows, units, cutoff: SATURATION_CUTOFFS.tanh });
      expect([dead.w[9], sig.w[9], tanh.w[9]]).toEqual([refDead.count, refSig.count, refTanh.count]);
      expectClose([dead.f[8], sig.f[8], tanh.f[8]], [refDead.fraction, refSig.fraction, refTanh.fraction], {
        atol: 0,
        rtol: u,
      }, { label: "fractions", family: "instrument" });
    });
  }
});
