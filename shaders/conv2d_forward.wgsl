// conv2d_forward: Z = conv(X, W) + b and Y = act(Z), channels last (NHWC, as Keras), direct
// convolution.
//
// Direct or im2col + matmul, by measurement (scripts/measure_conv2d.ts: forward, paired interleaved
// repetitions of both on the same shapes, on llvmpipe, on a shared 2-core machine): im2col / direct
// = 3.67 (2.97-4.44) at 64×28×28×1 → 16 3×3, 2.95 at 64×8×8×1 → 16, 1.18 at window depth
// kh·kw·cin = 36, 0.83 at 72, 0.35 (0.23-0.44) at 64×13×13×16 → 32 (depth 144). For the shallow
// windows of first layers (one or a few channels) the patch matrix costs more than it saves: the
// matmul's register blocks are mostly idle along k, and im2col writes and rereads kh·kw copies of
// the input. So this direct kernel serves depths below 64 and every evaluation pass; training
// switches to im2col_forward + the matmul kernels from depth 64 (IM2COL_MIN_DEPTH in
// src/layers/conv2d.ts).
//
// Bindings: 0 x (read, rows × inH·inW·inC), 1 w (read, [kh, kw, inC, filters] row-major = Keras's
//           kernel), 2 bias (read, filters), 3 z (read-write, rows × outH·outW·filters),
//           4 y (read-write, same), 5 params (uniform: the geometry below).
// Threads: one invocation per output position (b, oy, ox) and block of 4 or 16
//          consecutive filters (vec4 accumulators; past the last filter a lane repeats the last one
//          and stores nothing):
//          64 positions per workgroup, folded over x and y; the filter block is workgroup_id.z. Why:
//          llvmpipe (8 lanes SoA) loads a storage buffer lane by lane where the index differs across
//          lanes, but once where it is uniform: with the filters fixed per workgroup every weight and
//          bias load is uniform (a broadcast), and each input load serves 4 filters. The stores use
//          constant components (a vector indexed by a loop variable goes through memory: 1.5×
//          slower). Measured on the bench's 64×28×28×1 → 16 3×3 relu, paired interleaved A/B:
//          1.7× faster than one invocation per output element; 8 filters a block gained 6% more,
//          not worth a second accumulator.
// Order: bias first, then ky, kx, c ascending; taps outside the image are skipped (zero padding).
//
// Accuracy: a recursive f32 sum of n = kh·kw·inC products plus the bias: each product rounds once
// and the sum n times: |z - z_exact| <= gamma_{n+1} · (|b| + Σ |x·w|), gamma_m = m·u/(1 - m·u),
// u = 2^-24. The activation adds its own error (see activation_backward.wgsl; relu is exact).

override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.2;
// The window's height, width and depth as constants (the host sets them from the geometry; 0: read
// Params): constant trip counts let the compiler unroll the window loops, 1.8× faster on llvmpipe
// for the bench's 3×3×1 window (scripts/profile_step.ts cnn, paired A/B).
override KH: u32 = 0u;
override KW: u32 = 0u;
override IN_C: u32 = 0u;
// Filters an invocation computes: 4 (one vec4 accumulator), or 16 (four) from this window depth
// kh·kw·inC on. 16 shares each input load among more filters, which pays where the window is deep:
// paired A/B on llvmpipe, 16 / 4 time = 0.68 at 64×13×13×16 → 32 (depth 144), 0.95 at depth 36,
// 1.06 at depth 9 (64×28×28×1 → 16). The host's dispatch applies the same rule
// (src/kernels/conv2d.ts filterBlock); with the window as constants the choice is constant too.
override FILTER_BLOCK_DEPTH: u32 = 64u;

struct Params {
  rows: u32,
  inH: u32,
  inW: u32,
  inC: u32,
  outH: u32,
  outW: u32,
  filters: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// --- activation (identical in every shader that applies one; the tests compare the copies) ---
// WGSL may assume finite math and its max/min/clamp need not propagate NaN, so NaN is detected by
// bit pattern and passed through; exp and tanh arguments are clamped where the result is already
// saturated in f32 (e^-88 ~ 6e-39; tanh(10) rounds to 1). Accuracy (WGSL spec): exp within
// 3 + 2|x| ULP, tanh inherited from sinh/cosh (absolute error ~1e-7 near 0).
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn activate(v: f32) -> f32 {
  var r = v;
  switch ACTIVATION {
    case 1u: { r = select(0.0, v, v > 0.0); }
    case 2u: { r = select(v * ALPHA, v, v > 0.0); }
    case 3u: { r = select(ALPHA * (exp(min(v, 0.0)) - 1.0), v, v > 0.0); }
    case 4u: {
      let e = exp(-min(abs(v), 88.0));
      r = select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case 5u: { r = tanh(clamp(v, -10.0, 10.0)); }
    default: {}
  }
  return select(r, v, is_nan(v));
}
// --- end activation ---

// Flat position index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let kH = select(p.kH, KH, KH > 0u);
  let kW = select(p.kW, KW, KW > 0u);
  let inC = select(p.inC, IN_C, IN_C > 0u);
  let pos = flat_index(gid, groups);
  if (pos >= p.rows * p.outH * p.outW) {
    return;
  }
  let ox = pos % p.outW;
  let oy = (pos / p.outW) % p.outH;
  let b = pos / (p.outW * p.outH);
  // The block's filters (uniform in the workgroup), four per accumulator; past the last filter, the
  // last one again.
  let block = select(4u, 16u, kH * kW * inC >= FILTER_BLOCK_DEPTH);
  let f0 = wid.z * block;
  let last = vec4u(p.filters - 1u);
  let fa = min(vec4u(f0) + vec4u(0u, 1u, 2u, 3u), last);
  let fb = min(vec4u(f0) + vec4u(4u, 5u, 6u, 7u), last);
  let fc = min(vec4u(f0) + vec4u(8u, 9u, 10u, 11u), last);
  let fd = min(vec4u(f0) + vec4u(12u, 13u, 14u, 15u), last);
  var sa = vec4f(bias[fa.x], bias[fa.y], bias[fa.z], bias[fa.w]);
  var sb = vec4f(0.0);
  var sc = vec4f(0.0);
  var sd = vec4f(0.0);
  if (block == 16u) {
    sb = vec4f(bias[fb.x], bias[fb.y], bias[fb.z], bias[fb.w]);
    sc = vec4f(bias[fc.x], bias[fc.y], bias[fc.z], bias[fc.w]);
    sd = vec4f(bias[fd.x], bias[fd.y], bias[fd.z], bias[fd.w]);
  }
  for (var ky = 0u; ky < kH; ky = ky + 1u) {
    let iy = i32(oy * p.sH + ky) - i32(p.padTop);
    if (iy < 0 || iy >= i32(p.inH)) {
      continue;
    }
    for (var kx = 0u; kx < kW; kx = kx + 1u) {
      let ix = i32(ox * p.sW + kx) - i32(p.padLeft);
      if (ix < 0 || ix >= i32(p.inW)) {
        continue;
      }
      let xo = ((b * p.inH + u32(iy)) * p.inW + u32(ix)) * inC;
      var wo = (ky * kW + kx) * inC * p.filters;
      for (var c = 0u; c < inC; c = c + 1u) {
        let xv = x[xo + c];
        sa = sa + xv * vec4f(w[wo + fa.x], w[wo + fa.y], w[wo + fa.z], w[wo + fa.w]);
        if (block == 16u) {
          sb = sb + xv * vec4f(w[wo + fb.x], w[wo + fb.y], w[wo + fb.z], w[wo + fb.w]);
          sc = sc + xv * vec4f(w[wo + fc.x], w[wo + fc.y], w[wo + fc.z], w[wo + fc.w]);
          sd = sd + xv * vec4f(w[wo + fd.x], w[wo + fd.y], w[wo + fd.z], w[wo + fd.w]);
        }
        wo = wo + p.filters;
      }
    }
  }
  let o = pos * p.filters + f0;
  store4(o, f0, sa);
  if (block == 16u) {
    store4(o + 4u, f0 + 4u, sb);
    store4(o + 8u, f0 + 8u, sc);
    store4(o + 12u, f0 + 12u, sd);
  }
}

// Z and act(Z) of up to four consecutive filters from f0, those that exist. Constant component
// indices: a vector indexed by a loop variable would go through memory.
fn store4(o: u32, f0: u32, s: vec4f) {
  let filters = params.filters;
  if (f0 < filters) {
    z[o] = s.x;
    y[o] = activate(s.x);
  }
  if (f0 + 1u < filters) {
    z[o + 1u] = s.y;
    y[o + 1u] = activate(s.y);
  }
  if (f0 + 2u < filters) {
    z[o + 2u] = s.z;
    y[o + 2u] = activate(s.z);
  }
  if (f0 + 3u < filters) {
    z[o + 3u] = s.w;
    y[o + 3u] = activate(s.w);
  }
}
