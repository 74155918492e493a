// matmul_texture_forward: C = op(A)·op(B) with the dense forward epilogue Y = act(C + bias) (Z = C + bias
// kept when STORE_Z), reading op(A) and op(B) from rgba32float textures that matmul_pack_forward
// filled: a_tex texel (q, i) = op(A)[i, 4q..4q+3] (ceil(K/4) × M), b_tex texel (q, p) =
// op(B)[p, 4q..4q+3] (ceil(N/4) × K). Transposes were resolved by the packing.
//
// Why textures: the same register-blocked 8×8 product as matmul_vec4_forward, whose time on CPU
// adapters is spent in loads: llvmpipe (Mesa 22) loads from a storage buffer lane by lane, a branch
// per lane and a bounds check per component, while a texel fetch is a branch-free 16-byte gather per
// lane. Measured on llvmpipe at 1024³: 1.39× the vec4 kernel's speed, packing included, with
// bit-identical results (matmul.ts packsPayOff has the other shapes).
//
// Summation order: acc = (((0 + a_0·b_0) + a_1·b_1) + ...) in k order, then + bias, then the
// activation: the same operations as matmul_blocked_forward and matmul_vec4_forward (tested bit for
// bit on each adapter). Accuracy: as matmul_vec4_forward (Higham's gamma_{K+1} bound on the sum).
//
// Bindings: 0 a_tex, 1 b_tex (textures), 2 bias (read, N values; ignored unless HAS_BIAS),
//           3 y (read-write, M×N), 4 z (read-write, M×N; written when STORE_Z), 5 params (m, n, k).
// Threads: each invocation owns the 8×8 block of C at rows 8·gid.y.., columns 8·gid.x.. (four 4×4
// sub-blocks of vec4 accumulators); per 4 steps of k it fetches 8 texels of op(A) (one per row) and
// 8 of op(B) (two per k) for 256 multiply-adds. Rows and texel columns past the edge are clamped onto
// the last valid one (fetches never branch; results not stored). The last K % 4 steps take one
// component of op(A)'s texel.

override HAS_BIAS: bool = false;
override STORE_Z: bool = false;
// 0 linear, 1 relu, 2 leaky-relu, 3 elu, 4 sigmoid, 5 tanh.
override ACTIVATION: u32 = 0u;
// leaky-relu's negative slope (Keras activations.leaky_relu default 0.2) or elu's alpha (1.0).
override ALPHA: f32 = 0.2;
// One row of invocations per workgroup, as matmul_vec4_forward (all its invocations fetch the same
// op(A) texels).
override WG_X: u32 = 32u;
override WG_Y: u32 = 1u;

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var a_tex: texture_2d<f32>;
@group(0) @binding(1) var b_tex: texture_2d<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// m, n, k, kept opaque to lavapipe's uniform inlining as in matmul_vec4_forward.wgsl.
var<private> dims: vec3u;

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

// The 4×4 tile of op(A) at rows r, k = 4q..4q+3, as columns: tile[kk][i] = op(A)[r_i, 4q + kk].
fn a_tile(r: vec4u, q: u32) -> mat4x4f {
  return transpose(mat4x4f(
    textureLoad(a_tex, vec2u(q, r.x), 0),
    textureLoad(a_tex, vec2u(q, r.y), 0),
    textureLoad(a_tex, vec2u(q, r.z), 0),
    textureLoad(a_tex, vec2u(q, r.w), 0),
  ));
}

// The 4×4 tile of op(B) at k = p..p+3, columns 4q..4q+3, as rows: tile[kk][j] = op(B)[p + kk, 4q + j].
fn b_tile(p: u32, q: u32) -> mat4x4f {
  return mat4x4f(
    textureLoad(b_tex, vec2u(q, p), 0),
    textureLoad(b_tex, vec2u(q, p + 1u), 0),
    textureLoad(b_tex, vec2u(q, p + 2u), 0),
    textureLoad(b_tex, vec2u(q, p + 3u), 0),
  );
}

// op(A)[r_i, p] for the 4 rows r: component p % 4 of each row's texel.
fn a_column(r: vec4u, p: u32) -> vec4f {
  let q = p >> 2u;
  let c = p & 3u;
  return vec4f(
    textureLoad(a_tex, vec2u(q, r.x), 0)[c],
    textureLoad(a_tex, vec2u(q, r.y), 0)[c],
    textureLoad(a_tex, vec2u(q, r.z), 0)[c],
    textureLoad(a_tex, vec2u(q, r.w), 0)[c],
  );
}

fn store(row: u32, col: u32, sum: f32) {
  if (row >= dims.x || col >= dims.y) {
    return;
  }
  var pre = sum;
  if (HAS_BIAS) {
    pre = pre + bias[col];
  }
  let index = row * dims.y + col;
  if (STORE_Z) {
    z[index] = pre;
  }
  y[index] = activate(pre);
}

// acc[i] += op(A)[row i, p + kk] · op(B)[p + kk, cols] for kk = 0..3 in order: the 16 multiply-adds
// of a 4×4 sub-block for 4 steps of the reduction.
fn mac4(acc: ptr<function, mat4x4f>, at: mat4x4f, bt: mat4x4f) {
  // Unrolled by hand: a loop over kk would index the tiles dynamically, which CPU compilers lower to
  // stack memory instead of registers.
  mac1(acc, at[0], bt[0]);
  mac1(acc, at[1], bt[1]);
  mac1(acc, at[2], bt[2]);
  mac1(acc, at[3], bt[3]);
}

// One step of the reduction (the last K % 4).
fn mac1(acc: ptr<function, mat4x4f>, av: vec4f, bv: vec4f) {
  (*acc)[0] = (*acc)[0] + av.x * bv;
  (*acc)[1] = (*acc)[1] + av.y * bv;
  (*acc)[2] = (*acc)[2] + av.z * bv;
  (*acc)[3] = (*acc)[3] + av.w * bv;
}

fn store4(acc: mat4x4f, row0: u32, col0: u32) {
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      store(row0 + i, col0 + j, acc[i][j]);
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let given = vec3u(params.m, params.n, params.k);
  dims = min(given, vec3u(arrayLength(&y)) + given);
  let row0 = gid.y * 8u;
  let col0 = gid.x * 8u;
  if (row0 >= dims.x || col0 >= dims.y) {
    return;
  }
  let steps = vec4u(0u, 1u, 2u, 3u);
  let r_lo = min(vec4u(row0) + steps, vec4u(dims.x - 1u));
  let r_hi = min(vec4u(row0 + 4u) + steps, vec4u(dims.x - 1u));
  let last_texel = (dims.y - 1u) >> 2u;
  let q_lo = gid.x * 2u;
  let q_hi = min(q_lo + 1u, last_texel);
  var c00 = mat4x4f();
  var c01 = mat4x4f();
  var c10 = mat4x4f();
  var c11 = mat4x4f();
  let k_main = dims.z & ~3u;
  for (var p = 0u; p < k_main; p = p + 4u) {
    let a_lo = a_tile(r_lo, p >> 2u);
    let a_hi = a_tile(r_hi, p >> 2u);
    let b_lo = b_tile(p, q_lo);
    let b_hi = b_tile(p, q_hi);
    mac4(&c00, a_lo, b_lo);
    mac4(&c01, a_lo, b_hi);
    mac4(&c10, a_hi, b_lo);
    mac4(&c11, a_hi, b_hi);
  }
  for (var p = k_main; p < dims.z; p = p + 1u) {
    let a_lo = a_column(r_lo, p);
    let a_hi = a_column(r_hi, p);
    let b_lo = textureLoad(b_tex, vec2u(q_lo, p), 0);
    let b_hi = textureLoad(b_tex, vec2u(q_hi, p), 0);
    mac1(&c00, a_lo, b_lo);
    mac1(&c01, a_lo, b_hi);
    mac1(&c10, a_hi, b_lo);
    mac1(&c11, a_hi, b_hi);
  }
  store4(c00, row0, col0);
  store4(c01, row0, col0 + 4u);
  store4(c10, row0 + 4u, col0);
  store4(c11, row0 + 4u, col0 + 4u);
}
