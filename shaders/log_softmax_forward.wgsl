// log_softmax_forward: y_ij = (x_ij - m_i) - log Σ_k e^{x_ik - m_i}, m_i = max_k x_ik, row by row.
//
// Bindings: 0 x (read, rows×cols row-major), 1 y (read-write), 2 params (uniform: rows, cols).
// Threads: one invocation per row (64 per workgroup), three passes (max, sum, write), no barriers.
//
// Accuracy: d = x - m carries |d|·u (u = 2^-24). The sum s in [1, cols] has relative error
// rho = Σ_k y_ik (4 + 3|d_ik|)·2^-23 + gamma_cols, which log turns into an absolute rho; WGSL's
// log is within 2^-21 absolute on [0.5, 2] and 3 ULP elsewhere; the final subtraction rounds once.
// |err| <= |d|·u + rho + 2^-21 + 3·ulp(log s) + u·|y|. Logits of ±1e4 are exact through d.

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
  let log_s = log(s);
  for (var c = 0u; c < params.cols; c = c + 1u) {
    let v = (x[base + c] - m) - log_s;
    y[base + c] = select(bitcast<u32>(v), NAN_BITS, bad);
  }
}
