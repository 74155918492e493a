/**
 * conv2d (forward, input and filter backward, im2col) and pooling on random geometries drawn by
 * fast-check (FITCHECK_PROPERTY_SEED picks the seed): image sizes 1-12, channels 1-7, filters 1-9,
 * kernels 1-5 (also larger than the image with "same"), strides 1-3, both paddings, batch 1-5,
 * against the float64 twins, with the per-element bounds of test/kernels/conv2d.test.ts.
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { readbackF32 } from "../../src/gpu/mod.ts";
import {
  prepareCol2im,
  prepareConv2dBackward,
  prepareConv2dForward,
  prepareIm2col,
  preparePool2d,
} from "../../src/kernels/conv2d.ts";
import {
  col2im,
  conv2dBackward,
  conv2dForward,
  im2col,
  pool2dBackward,
  pool2dForward,
  window2d,
} from "../../src/reference/conv2d.ts";
import { activationDerivative, type ElementwiseActivation } from "../../src/reference/activations.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { describeKernels, randomF32, releaseTestContext, testContext } from "../helpers/gpu.ts";
import { checkAsyncProperty } from "../helpers/property.ts";
import { expectClose, gamma } from "../helpers/tolerance.ts";

afterAll(releaseTestContext);

const RUNS = 25;

const geometry = fc.record({
  rows: fc.integer({ min: 1, max: 5 }),
  h: fc.integer({ min: 1, max: 12 }),
  w: fc.integer({ min: 1, max: 12 }),
  c: fc.integer({ min: 1, max: 7 }),
  f: fc.integer({ min: 1, max: 9 }),
  kh: fc.integer({ min: 1, max: 5 }),
  kw: fc.integer({ min: 1, max: 5 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  padding: fc.constantFrom<"valid" | "same">("valid", "same"),
  seed: fc.integer({ min: 0, max: 1e6 }),
}).filter((g) => g.padding === "same" || (g.kh <= g.h && g.kw <= g.w));

const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);

describeKernels(
  [
    "conv2d_forward",
    "conv2d_input_backward",
    "conv2d_filter_backward",
    "conv2d_filter_reduce_backward",
    "im2col_forward",
    "col2im_backward",
  ],
  "random geometries",
  () => {
    it("Z, dX, dW and the patch matrix against the twins", async () => {
      const ctx = await testContext();
      await checkAsyncProperty(
        fc.asyncProperty(geometry, async (p) => {
          const g = window2d([p.h, p.w, p.c], [p.kh, p.kw], [p.sh, p.sw], p.padding);
          const inSize = p.h * p.w * p.c, outSize = g.outH * g.outW * p.f;
          const depth = p.kh * p.kw * p.c, wCount = depth * p.f;
          const x = randomF32(`r x ${p.seed}`, p.rows * inSize);
          const w = randomF32(`r w ${p.seed}`, wCount);
          const b = randomF32(`r b ${p.seed}`, p.f);
          const dz = randomF32(`r dz ${p.seed}`, p.rows * outSize);
          const bufs = [ctx.upload("x", x), ctx.upload("w", w), ctx.upload("b", b), ctx.upload("dz", dz)];
          const [xb, wb, bb, dzb] = bufs;
          const outs = [
            ctx.storage("z", p.rows * outSize),
            ctx.storage("y", p.rows * outSize),
            ctx.storage("dx", p.rows * inSize),
            ctx.storage("dw", wCount),
            ctx.storage("patches", p.rows * g.outH * g.outW * depth),
            ctx.storage("db", p.f),
            ctx.storage("dx from patches", p.rows * inSize),
          ];
          const [zb, yb, dxb, dwb, pb, dbb, dx2b] = outs;
          // A random patch-matrix gradient for col2im (its own input, not the patches above).
          const dPatches = randomF32(`r dpatches ${p.seed}`, p.rows * g.outH * g.outW * depth);
          const dpb = ctx.upload("dpatches", dPatches);
          bufs.push(dpb);
          const common = { geometry: g, filters: p.f, rows: p.rows };
          const ops = [
            await prepareConv2dForward(ctx, {
              ...common,
              label: "z",
              activation: "linear",
              x: xb,
              w: wb,
              b: bb,
              z: zb,
              y: yb,
            }),
            await prepareConv2dBackward(ctx, {
              ...common,
              label: "dx",
              pass: "input",
              x: xb,
              w: wb,
              dz: dzb,
              out: dxb,
            }),
            await prepareConv2dBackward(ctx, {
              ...common,
              label: "dw",
              pass: "filter",
              x: xb,
              w: wb,
              dz: dzb,
              out: dwb,
              db: dbb,
            }),
            await prepareIm2col(ctx, { label: "im2col", geometry: g, rows: p.rows, x: xb, patches: pb }),
            await prepareCol2im(ctx, { label: "col2im", geometry: g, rows: p.rows, patches: dpb, dx: dx2b }),
          ];
          ctx.submit("random conv", (pass) => ops.forEach((op) => op.encode(pass)));
          const [z, dx, dw, patches, db, dxFromPatches] = await readbackF32(ctx, [
            { buffer: zb, byteLength: p.rows * outSize * 4 },
            { buffer: dxb, byteLength: p.rows * inSize * 4 },
            { buffer: dwb, byteLength: wCount * 4 },
            { buffer: pb, byteLength: p.rows * g.outH * g.outW * depth * 4 },
            { buffer: dbb, byteLength: p.f * 4 },
            { buffer: dx2b, byteLength: p.rows * inSize * 4 },
          ]);
          ops.forEach((op) => op.release());
          [...bufs, ...outs].forEach((buf) => ctx.pool.release(buf));
          const X = matrix(p.rows, inSize, x), W = Float64Array.from(w), DZ = matrix(p.rows, outSize, dz);
          const ref = conv2dForward(X, W, b, g, p.f, "linear");
          const absRef = conv2dForward(matrix(p.rows, inSize, abs(x)), abs(w), abs(b), g, p.f, "linear");
          const back = conv2dBackward({ x: X, w: W, z: ref.z, dy: DZ }, g, p.f, "linear");
          const absBack = conv2dBackward(
            { x: matrix(p.rows, inSize, abs(x)), w: abs(w), z: ref.z, dy: matrix(p.rows, outSize, abs(dz)) },
            g,
            p.f,
            "linear",
          );
          const label = JSON.stringify(p);
          expectClose(z, ref.z.data, {
            atol: Array.from(absRef.z.data, (v) => gamma(depth + 1) * v),
            rtol: 0,
          }, {
            label: `z ${label}`,
          });
          expectClose(dx, back.dx.data, {
            atol: Array.from(absBack.dx.data, (v) => gamma(p.kh * p.kw * p.f) * v),
            rtol: 0,
          }, { label: `dX ${label}` });
          expectClose(dw, back.dw, {
            atol: Array.from(absBack.dw, (v) => gamma(p.rows * g.outH * g.outW) * v),
            rtol: 0,
          }, { label: `dW ${label}` });
          // db = Σ dZ per filter over the same positions: the same bound with |dz|.
          expectClose(db, back.db, {
            atol: Array.from(absBack.db, (v) => gamma(p.rows * g.outH * g.outW) * v),
            rtol: 0,
          }, { label: `db ${label}` });
          expect(Array.from(patches)).toEqual(Array.from(im2col(X, g).data));
          // col2im: a sum of at most kh·kw patch entries per element.
          const DP = matrix(p.rows * g.outH * g.outW, depth, dPatches);
          const absDP = matrix(DP.rows, DP.cols, abs(dPatches));
          expectClose(dxFromPatches, col2im(DP, g, p.rows).data, {
            atol: Array.from(col2im(absDP, g, p.rows).data, (v) => gamma(p.kh * p.kw) * v),
            rtol: 0,
          }, { label: `col2im ${label}` });
        }),
        RUNS,
      );
    });
  },
);

describeKernels(["pool2d_forward", "pool2d_backward"], "random geometries", () => {
  // below: the backward fused with the act' of a conv2d below (null: plain dX).
  const belowActivation = fc.constantFrom<ElementwiseActivation | null>(
    null,
    "linear",
    "relu",
    "leaky-relu",
    "elu",
    "sigmoid",
    "tanh",
  );
  it("max and average pooling, forward and backward (plain and fused with act' below), against the twins", async () => {
    const ctx = await testContext();
    await checkAsyncProperty(
      fc.asyncProperty(
        geometry,
        fc.constantFrom<"max" | "avg">("max", "avg"),
        belowActivation,
        async (p, mode, act) => {
          const g = window2d([p.h, p.w, p.c], [p.kh, p.kw], [p.sh, p.sw], p.padding);
          const inSize = p.h * p.w * p.c, outSize = g.outH * g.outW * p.c;
          const x = randomF32(`rp x ${p.seed}`, p.rows * inSize);
          const dy = randomF32(`rp dy ${p.seed}`, p.rows * outSize);
          // The layer below's pre-activations, around the kinks and into the tails.
          const zBelow = Float32Array.from(randomF32(`rp z ${p.seed}`, p.rows * inSize), (v) => 4 * v);
          const [xb, dyb, zb] = [ctx.upload("x", x), ctx.upload("dy", dy), ctx.upload("z", zBelow)];
          const [yb, ab, dxb] = [
            ctx.storage("y", p.rows * outSize),
            ctx.storage("a", p.rows * outSize),
            ctx.storage("dx", p.rows * inSize),
          ];
          const common = { geometry: g, rows: p.rows, mode, argmax: ab };
          const ops = [
            await preparePool2d(ctx, { ...common, label: "fwd", pass: "forward", input: xb, output: yb }),
            await preparePool2d(ctx, {
              ...common,
              label: "bwd",
              pass: "backward",
              input: dyb,
              output: dxb,
              below: act ? { activation: act, z: zb } : null,
            }),
          ];
          ctx.submit("random pool", (pass) => ops.forEach((op) => op.encode(pass)));
          const [y, dx] = await readbackF32(ctx, [
            { buffer: yb, byteLength: p.rows * outSize * 4 },
            { buffer: dxb, byteLength: p.rows * inSize * 4 },
          ]);
          ops.forEach((op) => op.release());
          [xb, dyb, zb, yb, ab, dxb].forEach((buf) => ctx.pool.release(buf));
          const ref = pool2dForward(matrix(p.rows, inSize, x), g, mode);
          const n = p.kh * p.kw;
          const absY = pool2dForward(matrix(p.rows, inSize, abs(x)), g, mode);
          const label = `${mode} ${act ?? "plain"} ${JSON.stringify(p)}`;
          expectClose(y, ref.y.data, {
            atol: Array.from(absY.y.data, (v) => (mode === "max" ? 0 : gamma(n + 1) * v)),
            rtol: 0,
          }, { label: `y ${label}` });
          const dxRef = pool2dBackward(matrix(p.rows, outSize, dy), ref.argmax, g, mode);
          const absDx = pool2dBackward(matrix(p.rows, outSize, abs(dy)), ref.argmax, g, mode);
          // Fused: dX ⊙ act'(z). The gather's bound scales with |act'|; act' itself is within
          // (8 + 4|z|)·2^-23 relative (activation_backward.wgsl's header), plus the product's rounding.
          const d = (i: number) => (act ? activationDerivative(zBelow[i], act) : 1);
          const dxWant = dxRef.data.map((v, i) => v * d(i));
          const dxBound = Array.from(absDx.data, (v, i) => {
            const actError = act && act !== "linear" && act !== "relu"
              ? (9 + 4 * Math.abs(zBelow[i])) * 2 ** -23
              : 0;
            return gamma(2 * n) * v * Math.abs(d(i)) + Math.abs(dxRef.data[i] * d(i)) * (actError + 2 ** -24);
          });
          expectClose(dx, dxWant, { atol: dxBound, rtol: 0 }, { label: `dX ${label}` });
        },
      ),
      RUNS,
    );
  });
});
