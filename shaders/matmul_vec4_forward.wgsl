// matmul_vec4_forward: C = op(A)·op(B), fused dense epilogue Z = C + bias, Y = act(Z).
//
// The same product, epilogue and summation order as matmul_blocked_forward, with the operands read
// as vec4<f32> wherever the dimension that is contiguous in memory allows it. Used for the dense
// forward (X·W + b, activation, Z kept) and the backward products Xᵀ·dZ (TRANSPOSE_A) and dZ·Wᵀ
// (TRANSPOSE_B). op(A) is M×K (A stored K×M when TRANSPOSE_A), op(B) is K×N (B stored N×K when
// TRANSPOSE_B); all row-major f32 (a binding may be a slice of a larger buffer: the flat parameters).
//
// Epilogues (override GRADIENT): the dense forward Y = act(C + bias) (Z = C + bias kept when STORE_Z),
// or, for the backward product dZ·Wᵀ of the layer above, the gradient of the layer below fused in:
// Y = C ⊙ act'(Z) with Z read from `z` (ACTIVATION selects the derivative; the same code and the same
// single product as activation_backward.wgsl, so the result is bit-identical to running it after).
// COLUMN_SUMS adds colsum_j = Σ_p op(B)[p, j] in increasing p (the bias gradient Σ_rows dZ when
// op(B) = dZ, as dense_bias_backward.wgsl sums it, in the same order: bit-identical).
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, N values; ignored unless HAS_BIAS),
//           3 y (read-write, M×N), 4 z (read-write, M×N; written when STORE_Z, read when GRADIENT),
//           5 colsum (read-write, N; written only when COLUMN_SUMS),
//           6 norms (read-write, ceil(M/8)·ceil(N/8); written only when BLOCK_NORMS),
//           7 params (uniform: m, n, k).
// BLOCK_NORMS: each invocation also writes the L2 norm of the Y values it stored (its 8×8 block: the
// squares summed row by row within each 4×4 sub-block, then the four sub-blocks, in f32) at
// norms[block row · ceil(N/8) + block column]: ‖Y‖ = ‖norms‖, so one small
// reduction gives the gradient norm without a pass over all of Y (instrumented training steps).
// a and b are declared as arrays of vec4f: the buffer pool rounds every buffer up to 16 bytes, and
// src/train/parameters.ts every slice of the flat parameters, so the last partial vec4 is in bounds
// (its padding is never used in a sum).
//
// Threads: register-blocked, no workgroup memory (barriers are expensive on CPU adapters). Each
// invocation owns an 8×8 block of C (rows 8·gid.y.., cols 8·gid.x..) as four 4×4 sub-blocks of vec4
// accumulators. The reduction runs in chunks of 4: two 4×4 tiles of op(A) (8 rows × 4 k) and two of
// op(B) (4 k × 8 cols) are loaded, then 256 multiply-adds. CPU adapters run invocations as SIMD
// lanes and pay per lane for every load (a gather), so the block size sets the ratio of arithmetic
// to loads: 8×8 (16 loads per 64 multiply-adds) measured ~2× faster than 4×4 on llvmpipe at 1024³.
// How a tile is loaded depends on which dimension is contiguous:
//   A, not transposed: contiguous in k  -> one vec4 per row   when K % 4 == 0;
//   A, transposed:     contiguous in m  -> one vec4 per k     when M % 4 == 0;
//   B, not transposed: contiguous in n  -> one vec4 per k     when N % 4 == 0;
//   B, transposed:     contiguous in k  -> one vec4 per col   when K % 4 == 0;
// (overrides A_VEC4, B_VEC4), otherwise four scalar loads. The tiles are transposed in registers
// where needed. Rows and columns past the edge are clamped onto the last valid one (loads never
// branch; results not stored). The last K % 4 steps use scalar loads. Any M, N, K >= 0 works.
//
// Summation order: each output is acc = (((0 + a_0·b_0) + a_1·b_1) + ...) in k order, written as
// `acc + a * b` exactly like matmul_blocked_forward, so both kernels compute the same sequence of
// operations per output (tested bit for bit on each adapter).
//
// Accuracy: a recursive f32 sum of K products plus the bias: error at most
// gamma_{K+1}·(Σ_k |a_ik||b_kj| + |bias_j|), gamma_n = n·u/(1 - n·u), u = 2^-24 (Higham, Lemma 3.1;
// fusing into fma only lowers it). The activation adds its own error and scales the error of Z by at
// most max|act'| (1 for relu/leaky/tanh, 1/4 for sigmoid, max(1, ALPHA) for elu). GRADIENT: C's
// error times |act'(Z)|, plus activation_backward.wgsl's (one product; (8 + 4|z|)·2^-23 relative for
// the derivatives through exp). COLUMN_SUMS: a recursive sum of K terms, gamma_{K-1}·Σ_p |b_pj|.
// BLOCK_NORMS: a sum of 64 squares (gamma_64 relative) and a sqrt (1 ULP) per block.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override STORE_Z: bool = false;
// 0 linear, 1 relu, 2 leaky-relu, 3 elu, 4 sigmoid, 5 tanh.
override ACTIVATION: u32 = 0u;
// leaky-relu's negative slope (Keras activations.leaky_relu default 0.2) or elu's alpha (1.0).
override ALPHA: f32 = 0.2;
// The backward epilogues (see the header): Y = C ⊙ act'(Z), and the column sums of op(B).
override GRADIENT: bool = false;
override COLUMN_SUMS: bool = false;
override BLOCK_NORMS: bool = false;
// Whether op(A) / op(B) tiles are read as aligned vec4s: the host sets them when the operand's
// contiguous dimension (A: K, or M when TRANSPOSE_A; B: N, or K when TRANSPOSE_B) is a multiple of 4.
// Constants rather than a test on params: a branch on a uniform inside the loop cost ~1.8x on llvmpipe.
override A_VEC4: bool = false;
override B_VEC4: bool = false;
// One row of invocations per workgroup: ~10% faster than 8×8 on llvmpipe at 1024³ (CPU time, median
// of 8), and each workgroup's A rows are the same for all its invocations.
override WG_X: u32 = 32u;
override WG_Y: u32 = 1u;

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> colsum: array<f32>;
@group(0) @binding(6) var<storage, read_write> norms: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// m, n, k as used by the whole shader. Lavapipe (Mesa 22) "inlines" uniforms that decide branches
// and loop bounds: it recompiles the shader with their values as constants at EVERY pipeline bind,
// ~2 ms of LLVM per matmul dispatch in a training step that alternates kernels (measured: the step's
// matmuls cost 2× their isolated time). Mixing in a value only known at run time (the binding's
// length; min(v, len + v) = v without overflow: len < 2^30 and v < 2^31) keeps them uniforms.
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

// --- derivative (a copy of activation_backward.wgsl's; the tests compare the copies) ---
fn derivative(v: f32) -> f32 {
  var d = 1.0;
  switch ACTIVATION {
    case 1u: { d = select(0.0, 1.0, v > 0.0); }
    case 2u: { d = select(ALPHA, 1.0, v > 0.0); }
    case 3u: { d = select(ALPHA * exp(min(v, 0.0)), 1.0, v > 0.0); }
    case 4u: {
      let e = exp(-min(abs(v), 88.0));
      d = e / ((1.0 + e) * (1.0 + e));
    }
    case 5u: {
      let e = exp(-min(2.0 * abs(v), 88.0));
      d = 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    default: {}
  }
  return select(d, v, is_nan(v));
}
// --- end derivative ---

fn a_scalar(i: u32) -> f32 {
  return a[i >> 2u][i & 3u];
}

fn b_scalar(i: u32) -> f32 {
  return b[i >> 2u][i & 3u];
}

// op(A)[row, p] for the 4 rows r: one value per row.
fn a_column(r: vec4u, p: u32) -> vec4f {
  if (TRANSPOSE_A) {
    let o = p * dims.x;
    return vec4f(a_scalar(o + r.x), a_scalar(o + r.y), a_scalar(o + r.z), a_scalar(o + r.w));
  }
  let k = dims.z;
  return vec4f(a_scalar(r.x * k + p), a_scalar(r.y * k + p), a_scalar(r.z * k + p), a_scalar(r.w * k + p));
}

// op(B)[p, col] for the 4 columns c.
fn b_row(c: vec4u, p: u32) -> vec4f {
  if (TRANSPOSE_B) {
    let k = dims.z;
    return vec4f(b_scalar(c.x * k + p), b_scalar(c.y * k + p), b_scalar(c.z * k + p), b_scalar(c.w * k + p));
  }
  let o = p * dims.y;
  return vec4f(b_scalar(o + c.x), b_scalar(o + c.y), b_scalar(o + c.z), b_scalar(o + c.w));
}

// The 4×4 tile of op(A) at rows r, k = p..p+3, as columns: tile[kk][i] = op(A)[r_i, p + kk].
fn a_tile(r: vec4u, p: u32) -> mat4x4f {
  if (A_VEC4) {
    if (TRANSPOSE_A) {
      // M % 4 == 0 and r.x % 4 == 0: rows r.x..r.x+3 are one aligned vec4 of row p + kk.
      let m4 = dims.x >> 2u;
      let q = r.x >> 2u;
      return mat4x4f(a[p * m4 + q], a[(p + 1u) * m4 + q], a[(p + 2u) * m4 + q], a[(p + 3u) * m4 + q]);
    }
    // K % 4 == 0 and p % 4 == 0: k = p..p+3 of row r_i is one aligned vec4.
    let k4 = dims.z >> 2u;
    let q = p >> 2u;
    return transpose(mat4x4f(a[r.x * k4 + q], a[r.y * k4 + q], a[r.z * k4 + q], a[r.w * k4 + q]));
  }
  return mat4x4f(a_column(r, p), a_column(r, p + 1u), a_column(r, p + 2u), a_column(r, p + 3u));
}

// The 4×4 tile of op(B) at k = p..p+3, columns c, as rows: tile[kk][j] = op(B)[p + kk, c_j].
fn b_tile(c: vec4u, p: u32) -> mat4x4f {
  if (B_VEC4) {
    if (TRANSPOSE_B) {
      // K % 4 == 0: k = p..p+3 of stored row c_j is one aligned vec4.
      let k4 = dims.z >> 2u;
      let q = p >> 2u;
      return transpose(mat4x4f(b[c.x * k4 + q], b[c.y * k4 + q], b[c.z * k4 + q], b[c.w * k4 + q]));
    }
    // N % 4 == 0 and c.x % 4 == 0: columns c.x..c.x+3 of row p + kk are one aligned vec4.
    let n4 = dims.y >> 2u;
    let q = c.x >> 2u;
    return mat4x4f(b[p * n4 + q], b[(p + 1u) * n4 + q], b[(p + 2u) * n4 + q], b[(p + 3u) * n4 + q]);
  }
  return mat4x4f(b_row(c, p), b_row(c, p + 1u), b_row(c, p + 2u), b_row(c, p + 3u));
}

// Stores Y[row, col] from the product's sum through the epilogue and returns the value stored (0
// past the edge, where nothing is stored), for BLOCK_NORMS.
fn store(row: u32, col: u32, sum: f32) -> f32 {
  if (row >= dims.x || col >= dims.y) {
    return 0.0;
  }
  var pre = sum;
  if (HAS_BIAS) {
    pre = pre + bias[col];
  }
  let index = row * dims.y + col;
  if (GRADIENT) {
    let g = sum * derivative(z[index]);
    y[index] = g;
    return g;
  }
  if (STORE_Z) {
    z[index] = pre;
  }
  let out = activate(pre);
  y[index] = out;
  return out;
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

// Stores a 4×4 sub-block and returns the sum of squares of the values stored, row by row (BLOCK_NORMS).
fn store4(acc: mat4x4f, row0: u32, col0: u32) -> f32 {
  var squares = 0.0;
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      let v = store(row0 + i, col0 + j, acc[i][j]);
      squares = squares + v * v;
    }
  }
  return squares;
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
  let c_lo = min(vec4u(col0) + steps, vec4u(dims.y - 1u));
  let c_hi = min(vec4u(col0 + 4u) + steps, vec4u(dims.y - 1u));
  // The 8×8 block as four 4×4 sub-blocks [row half][column half]; column i of each is output row i.
  var c00 = mat4x4f();
  var c01 = mat4x4f();
  var c10 = mat4x4f();
  var c11 = mat4x4f();
  var sum_lo = vec4f(0.0);
  var sum_hi = vec4f(0.0);
  let k_main = dims.z & ~3u;
  for (var p = 0u; p < k_main; p = p + 4u) {
    let a_lo = a_tile(r_lo, p);
    let a_hi = a_tile(r_hi, p);
    let b_lo = b_tile(c_lo, p);
    let b_hi = b_tile(c_hi, p);
    mac4(&c00, a_lo, b_lo);
    mac4(&c01, a_lo, b_hi);
    mac4(&c10, a_hi, b_lo);
    mac4(&c11, a_hi, b_hi);
    if (COLUMN_SUMS) {
      sum_lo = (((sum_lo + b_lo[0]) + b_lo[1]) + b_lo[2]) + b_lo[3];
      sum_hi = (((sum_hi + b_hi[0]) + b_hi[1]) + b_hi[2]) + b_hi[3];
    }
  }
  for (var p = k_main; p < dims.z; p = p + 1u) {
    let a_lo = a_column(r_lo, p);
    let a_hi = a_column(r_hi, p);
    let b_lo = b_row(c_lo, p);
    let b_hi = b_row(c_hi, p);
    mac1(&c00, a_lo, b_lo);
    mac1(&c01, a_lo, b_hi);
    mac1(&c10, a_hi, b_lo);
    mac1(&c11, a_hi, b_hi);
    if (COLUMN_SUMS) {
      sum_lo = sum_lo + b_lo;
      sum_hi = sum_hi + b_hi;
    }
  }
  // Every row block sums the same columns; the first one stores them.
  if (COLUMN_SUMS && row0 == 0u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      if (col0 + j < dims.y) {
        colsum[col0 + j] = sum_lo[j];
      }
      if (col0 + 4u + j < dims.y) {
        colsum[col0 + 4u + j] = sum_hi[j];
      }
    }
  }
  // The squares come from the values as stored (registers, not a re-read of Y), summed per 4×4
  // sub-block and then over the four; unused when BLOCK_NORMS is off (the compiler drops them).
  let squares = ((store4(c00, row0, col0) + store4(c01, row0, col0 + 4u)) +
    store4(c10, row0 + 4u, col0)) + store4(c11, row0 + 4u, col0 + 4u);
  if (BLOCK_NORMS) {
    norms[gid.y * ((dims.y + 7u) / 8u) + gid.x] = sqrt(squares);
  }
}
