// matmul_tiled_forward: C = op(A)·op(B), fused dense epilogue Z = C + bias, Y = act(Z); the same
// contract, bindings and override constants as matmul_blocked_forward, staged through workgroup memory.
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, N values; ignored unless HAS_BIAS),
//           3 y (read-write, M×N), 4 z (read-write, M×N; written only when STORE_Z),
//           5 params (uniform: m, n, k).
//
// Threads: a 16×16 workgroup computes a 64×64 tile of C, each invocation a 4×4 block in vec4
// accumulators. The reduction walks K in slices of 16: the workgroup loads a 64×16 slice of op(A)
// and a 16×64 slice of op(B) into workgroup memory (4 + 4 elements per invocation, zero past the
// edges), synchronises, and every invocation does 16×16 multiply-adds from it. Discrete GPUs
// favour this (each loaded value is reused 64 times from on-chip memory); CPU adapters do not
// (barriers are expensive there), hence the two variants and the per-adapter choice.
// The tile sizes are constants, not overrides: workgroup arrays sized by override expressions are
// not supported everywhere yet. Any M, N, K >= 0 works.
//
// Accuracy: as matmul_blocked_forward (a recursive f32 sum in k order, zero padding adds exact
// zeros): |err| <= gamma_{K+1}·(Σ_k |a_ik||b_kj| + |bias_j|), plus the activation's own error.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override STORE_Z: bool = false;
// 0 linear, 1 relu, 2 leaky-relu, 3 elu, 4 sigmoid, 5 tanh.
override ACTIVATION: u32 = 0u;
// leaky-relu's negative slope (Keras activations.leaky_relu default 0.2) or elu's alpha (1.0).
override ALPHA: f32 = 0.2;

const TILE: u32 = 64u;
const TK: u32 = 16u;

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

// a_tile[p * TILE + i] = op(A)[tile row i, k0 + p]; b_tile[p * TILE + j] = op(B)[k0 + p, tile col j].
var<workgroup> a_tile: array<f32, 1024>;
var<workgroup> b_tile: array<f32, 1024>;

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

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let row_base = wid.y * TILE;
  let col_base = wid.x * TILE;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < params.k; k0 = k0 + TK) {
    for (var l = 0u; l < 4u; l = l + 1u) {
      let e = li + l * 256u;
      // A slice: consecutive invocations walk k (contiguous in a row-major A).
      let ai = e / TK;
      let ap = e % TK;
      let arow = row_base + ai;
      let ak = k0 + ap;
      let a_ok = arow < params.m && ak < params.k;
      // Clamped indices keep the load in bounds; the value is replaced by 0 past the edge.
      let av = a_at(min(arow, params.m - 1u), min(ak, params.k - 1u));
      a_tile[ap * TILE + ai] = select(0.0, av, a_ok);
      // B slice: consecutive invocations walk the columns (contiguous in a row-major B).
      let bp = e / TILE;
      let bj = e % TILE;
      let bk = k0 + bp;
      let bcol = col_base + bj;
      let b_ok = bk < params.k && bcol < params.n;
      let bv = b_at(min(bk, params.k - 1u), min(bcol, params.n - 1u));
      b_tile[bp * TILE + bj] = select(0.0, bv, b_ok);
    }
    workgroupBarrier();
    for (var p = 0u; p < TK; p = p + 1u) {
      let base_a = p * TILE + lid.y * 4u;
      let base_b = p * TILE + lid.x * 4u;
      let av = vec4f(a_tile[base_a], a_tile[base_a + 1u], a_tile[base_a + 2u], a_tile[base_a + 3u]);
      let bv = vec4f(b_tile[base_b], b_tile[base_b + 1u], b_tile[base_b + 2u], b_tile[base_b + 3u]);
      acc0 = acc0 + av.x * bv;
      acc1 = acc1 + av.y * bv;
      acc2 = acc2 + av.z * bv;
      acc3 = acc3 + av.w * bv;
    }
    workgroupBarrier();
  }
  let row0 = row_base + lid.y * 4u;
  let col0 = col_base + lid.x * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    store(row0, col0 + j, acc0[j]);
    store(row0 + 1u, col0 + j, acc1[j]);
    store(row0 + 2u, col0 + j, acc2[j]);
    store(row0 + 3u, col0 + j, acc3[j]);
  }
}
