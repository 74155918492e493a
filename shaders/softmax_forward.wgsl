// softmax_forward: y_ij = e^{x_ij - m_i} / Σ_k e^{x_ik - m_i}, m_i = max_k x_ik, row by row.
//
// Bindings: 0 x (read, rows×cols row-major), 1 y (read-write), 2 params (uniform: rows, cols).
// Threads: one invocation per row (64 per workgroup), three sequential passes over its columns
// (max, sum, write). Output widths are class counts (2..1000): a row per thread keeps the sums in
// a fixed order with no barriers, which CPU adapters favour.
//
// Accuracy (d = x - m <= 0, rounded with relative error u = 2^-24, so e^d carries |d|·u more):
// exp within 3 + 2|d| ULP (WGSL); the sum adds gamma_cols relative; the division rounds once.
// Relative error of y_ij <= (4 + 3|d_ij|)·2^-23 + Σ_k y_ik (4 + 3|d_ik|)·2^-23 + gamma_cols + u.
// Entries with e^d below 2^-126 may flush to zero: an absolute 2^-126 covers them.

const NAN_BITS: u32 = 0x7fc00000u;

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
// y holds f32 bits: a bad row is stored as the NaN bit pattern, never as an f32 NaN value, which a
// constant cannot be (WGSL makes const-evaluating a NaN or infinity a shader-creation error; Tint
// rejects it) and which implementations may treat as indeterminate at run time (WGSL 15.7.2).
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.cols;
  // Max-shift. WGSL's max need not propagate NaN, and Inf - Inf is NaN in IEEE math: a row with a
  // NaN, a +Inf, or only -Inf entries has an undefined softmax, so the whole row is written NaN.
  // m starts at the first entry rather than at a -Inf constant, for the same reason as NAN_BITS;
  // max is order-free, so m is unchanged. (With cols == 0 nothing is written; WGSL bounds the read.)
  var m = x[base];
  var bad = false;
  for (var c = 0u; c < params.cols; c = c + 1u) {
    let v = x[base + c];
    bad = bad || is_nan(v);
    m = max(m, v);
  }
  bad = bad || is_inf(m);
  var s = 0.0;
  for (var c = 0u; c < params.cols; c = c + 1u) {
    // e^-104 is below the smallest f32 subnormal: clamping changes no result and keeps -Inf out of exp.
    s = s + exp(max(x[base + c] - m, -104.0));
  }
  for (var c = 0u; c < params.cols; c = c + 1u) {
    let v = exp(max(x[base + c] - m, -104.0)) / s;
    y[base + c] = select(bitcast<u32>(v), NAN_BITS, bad);
  }
}
