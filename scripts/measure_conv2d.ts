/**
 * `deno run -A scripts/measure_conv2d.ts [--reps N]`: times a conv2d forward (Z and relu(Z), NHWC) two
 * ways on the same shapes, in paired, interleaved repetitions (order alternating): fitcheck's direct
 * convolution (shaders/conv2d_forward.wgsl) and im2col (a patch matrix of
 * (batch·outH·outW) × (kh·kw·cin), written by a small kernel defined here) followed by the matmul
 * kernel training uses (src/kernels/matmul.ts, its variant rule, fused bias + relu). Prints each
 * one's median ms and the median, min and max of the per-repetition ratio im2col / direct.
 *
 * The measurement behind the choice stated in conv2d_forward.wgsl's header; a development aid, not
 * a benchmark (`deno task bench` reports speed). Only the forward pass is compared: the backward
 * passes of im2col would add a col2im scatter (or a second patch matrix) on top.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interleave, pairedRatio, summarize } from "../bench/stats.ts";
import { createGpuContext } from "../src/gpu/context.ts";
import { prepareConv2dForward } from "../src/kernels/conv2d.ts";
import { type KernelDef, linearWorkgroups, prepareKernel } from "../src/kernels/kernel.ts";
import { prepareMatmul } from "../src/kernels/matmul.ts";
import { window2d } from "../src/reference/conv2d.ts";
import { Rng } from "../src/random.ts";

const IM2COL_WGSL = `
struct Params { rows: u32, inH: u32, inW: u32, inC: u32, outH: u32, outW: u32, kH: u32, kW: u32,
  sH: u32, sW: u32, padTop: u32, padLeft: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> patches: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = gid.x + gid.y * groups.x * 64u;
  let k = p.kH * p.kW * p.inC;
  if (i >= p.rows * p.outH * p.outW * k) { return; }
  let col = i % k;
  let pos = i / k;
  let c = col % p.inC;
  let kx = (col / p.inC) % p.kW;
  let ky = col / (p.inC * p.kW);
  let ox = pos % p.outW;
  let oy = (pos / p.outW) % p.outH;
  let b = pos / (p.outW * p.outH);
  let iy = i32(oy * p.sH + ky) - i32(p.padTop);
  let ix = i32(ox * p.sW + kx) - i32(p.padLeft);
  var v = 0.0;
  if (iy >= 0 && iy < i32(p.inH) && ix >= 0 && ix < i32(p.inW)) {
    v = x[((b * p.inH + u32(iy)) * p.inW + u32(ix)) * p.inC + c];
  }
  patches[i] = v;
}`;

type Im2colUniform =
  | "rows"
  | "inH"
  | "inW"
  | "inC"
  | "outH"
  | "outW"
  | "kH"
  | "kW"
  | "sH"
  | "sW"
  | "padTop"
  | "padLeft";
const UNIFORMS: Im2colUniform[] = [
  "rows",
  "inH",
  "inW",
  "inC",
  "outH",
  "outW",
  "kH",
  "kW",
  "sH",
  "sW",
  "padTop",
  "padLeft",
];
const im2col: KernelDef<Im2colUniform> = {
  name: "im2col_measure",
  code: IM2COL_WGSL,
  bindings: [{ name: "x", access: "read" }, { name: "patches", access: "read-write" }],
  uniforms: UNIFORMS.map((name) => ({ name, type: "u32" as const })),
  overrides: {},
  dispatch: (u) => linearWorkgroups(u.rows * u.outH * u.outW * u.kH * u.kW * u.inC, 64),
  twins: [],
};

/** [batch, h, w, cin, filters, k, stride, padding] */
const SHAPES: [number, number, number, number, number, number, number, "valid" | "same"][] = [
  [64, 28, 28, 1, 16, 3, 1, "valid"], // the bench CNN's first layer
  [64, 13, 13, 16, 32, 3, 1, "same"], // a second layer after pooling
  [64, 8, 8, 1, 16, 3, 1, "same"], // the digits CNN
  [64, 13, 13, 4, 16, 3, 1, "same"], // k = 36
  [64, 26, 26, 8, 16, 3, 1, "same"], // k = 72
];

const { values } = parseArgs({ args: Deno.args, options: { reps: { type: "string", default: "15" } } });
const reps = Number(values.reps);
const ctx = await createGpuContext({ label: "conv2d measurement" });
console.log(`adapter: ${ctx.adapter.description}; median of ${reps} paired, interleaved repetitions`);
const rng = Rng.fromSeed(1).stream("conv2d");
const only = Deno.env.get("MEASURE_SHAPES")?.split(",").map(Number);
for (const [index, [B, H, W, C, F, K, S, padding]] of SHAPES.entries()) {
  if (only && !only.includes(index)) continue;
  const g = window2d([H, W, C], [K, K], [S, S], padding);
  const rows = B * g.outH * g.outW, k = K * K * C;
  const x = ctx.upload("x", Float32Array.from({ length: B * H * W * C }, () => rng.uniform(0, 1)));
  const w = ctx.upload("w", Float32Array.from({ length: k * F }, () => rng.uniform(-0.3, 0.3)));
  const b = ctx.upload("b", new Float32Array(F));
  const z = ctx.storage("z", rows * F), y = ctx.storage("y", rows * F);
  const patches = ctx.storage("patches", rows * k);
  const direct = await prepareConv2dForward(ctx, {
    label: "direct",
    geometry: g,
    filters: F,
    rows: B,
    activation: "relu",
    x,
    w,
    b,
    z,
    y,
  });
  const { inC: _c, ...geometry } = g;
  const gather = await prepareKernel(ctx, im2col, {
    label: "im2col",
    buffers: { x, patches },
    uniforms: { ...geometry, inC: C, rows: B },
  });
  const product = await prepareMatmul(ctx, {
    label: "patches·W",
    a: patches,
    b: w,
    bias: b,
    y,
    z,
    m: rows,
    n: F,
    k,
    activation: "relu",
  });
  const count = 5;
  const timed = (name: string, encode: (pass: GPUComputePassEncoder) => void) => ({
    name,
    run: async () => {
      const started = performance.now();
      ctx.submit(name, (pass) => {
        for (let i = 0; i < count; i++) encode(pass);
      });
      await ctx.device.queue.onSubmittedWorkDone();
      return (performance.now() - started) / count;
    },
  });
  const samples = await interleave([
    timed("direct", (pass) => direct.encode(pass)),
    timed("im2col", (pass) => {
      gather.encode(pass);
      product.encode(pass);
    }),
  ], { reps, warmup: 2, alternate: true });
  const ratio = pairedRatio(samples.im2col, samples.direct);
  const ms = (n: string) => summarize(samples[n]).median.toFixed(3);
  console.log(
    `${B}×${H}×${W}×${C} → ${F} filters ${K}×${K} s${S} ${padding}: direct ${ms("direct")} ms, im2col ${
      ms("im2col")
    } ms; im2col/direct median ${ratio.median.toFixed(2)} (min ${ratio.min.toFixed(2)}, max ${
      ratio.max.toFixed(2)
    })`,
  );
  for (const op of [direct, gather, product]) op.release();
  for (const buffer of [x, w, b, z, y, patches]) ctx.pool.release(buffer);
}
ctx.destroy();
