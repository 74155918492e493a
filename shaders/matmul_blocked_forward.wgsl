// matmul_blocked_forward: C = op(A)·op(B), fused dense epilogue Z = C + bias, Y = act(Z).
//
// Used for the dense forward (X·W + b with an activation, Z kept for the backward pass) and, with
// ACTIVATION linear and no bias, for the backward products Xᵀ·dZ (TRANSPOSE_A) and dZ·Wᵀ (TRANSPOSE_B).
// op(A) is M×K (A stored K×M when TRANSPOSE_A), op(B) is K×N (B stored N×K when TRANSPOSE_B); all
// row-major f32.
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, N values; ignored unless HAS_BIAS),
//           3 y (read-write, M×N), 4 z (read-write, M×N; written only when STORE_Z),
//           5 params (uniform: m, n, k).
//
// Threads: register-blocked, no workgroup memory. Each invocation owns a 4×4 block of C
// (rows 4·gid.y.., cols 4·gid.x..) and keeps it in four vec4 accumulators; per step of the
// reduction it loads 4 values of op(A) and 4 of op(B) and does 16 multiply-adds. On CPU software
// adapters (llvmpipe) barriers cost more than they save, so this beats a workgroup tile by ~4x there.
// Rows and columns past the edge are clamped onto the last valid one, so loads never branch; their
// results are simply not stored. Any M, N, K >= 0 works.
//
// Accuracy: each output is a recursive f32 sum of K products plus the bias. With correctly rounded
// f32 add and mul (WGSL) the error is at most gamma_{K+1}·(Σ_k |a_ik||b_kj| + |bias_j|),
// gamma_n = n·u/(1 - n·u), u = 2^-24 (Higham, Lemma 3.1; an implementation that fuses into fma
// only lowers it). The activation adds its own error (see `activate` below) and scales the error
// of Z by at most max|act'| (1 for relu/leaky/tanh, 1/4 for sigmoid, max(1, ALPHA) for elu).

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override STORE_Z: bool = false;
// 0 linear, 1 relu, 2 leaky-relu, 3 elu, 4 sigmoid, 5 tanh.
override ACTIVATION: u32 = 0u;
// leaky-relu's negative slope (Keras activations.leaky_relu default 0.2) or elu's alpha (1.0).
override ALPHA: f32 = 0.2;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
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

fn a_at(row: u32, p: u32) -> f32 {
  if (TRANSPOSE_A) {
    return a[p * params.m + row];
  }
  return a[row * params.k + p];
}

fn b_at(p: u32, col: u32) -> f32 {
  if (TRANSPOSE_B) {
    return b[col * params.k + p];
  }
  return b[p * params.n + col];
}

fn store(row: u32, col: u32, sum: f32) {
  if (row >= params.m || col >= params.n) {
    return;
  }
  var pre = sum;
  if (HAS_BIAS) {
    pre = pre + bias[col];
  }
  let index = row * params.n + col;
  if (STORE_Z) {
    z[index] = pre;
  }
  y[index] = activate(pre);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= params.m || col0 >= params.n) {
    return;
  }
  let r = min(vec4u(row0) + vec4u(0u, 1u, 2u, 3u), vec4u(params.m - 1u));
  let c = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(params.n - 1u));
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var p = 0u; p < params.k; p = p + 1u) {
    let bv = vec4f(b_at(p, c.x), b_at(p, c.y), b_at(p, c.z), b_at(p, c.w));
    acc0 = acc0 + a_at(r.x, p) * bv;
    acc1 = acc1 + a_at(r.y, p) * bv;
    acc2 = acc2 + a_at(r.z, p) * bv;
    acc3 = acc3 + a_at(r.w, p) * bv;
  }
  for (var j = 0u; j < 4u; j = j + 1u) {
    store(row0, col0 + j, acc0[j]);
    store(row0 + 1u, col0 + j, acc1[j]);
    store(row0 + 2u, col0 + j, acc2[j]);
    store(row0 + 3u, col0 + j, acc3[j]);
  }
}
