// activation_forward: Y = act(X) element by element (the activation layer; dense and conv2d apply
// theirs in their own epilogue).
//
// Bindings: 0 x (read), 1 y (read-write), 2 params (uniform: count).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
//
// Accuracy: linear/relu/leaky: exact or one rounding (u = 2^-24 relative); elu/sigmoid/tanh: exp
// within 3 + 2|x| ULP (WGSL) plus <= 3 roundings, tanh ~1e-7 absolute near 0.

override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.2;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

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

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.count) {
    return;
  }
  y[i] = activate(x[i]);
}
