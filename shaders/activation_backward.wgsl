// activation_backward: dZ = dY ⊙ act'(Z), element by element, for the dense layer's activation.
//
// Bindings: 0 dy (read), 1 z (read, the pre-activation kept by the forward pass),
//           2 dz (read-write), 3 params (uniform: count).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
//
// Derivatives (TensorFlow's gradient conventions at the kinks): relu' = [z > 0]; leaky' = 1 or
// ALPHA; elu' = 1 or ALPHA·e^z; sigmoid' = e/(1+e)^2 and tanh' = 4e/(1+e)^2 with e = e^{-|z|}
// (resp. e^{-2|z|}): these forms avoid the cancellation of s(1-s) and 1-t^2 in the tails.
// NaN in z gives NaN; NaN in dY propagates through the product.
//
// Accuracy: linear/relu/leaky: one rounding of the product (u = 2^-24 relative; leaky adds ALPHA's
// rounding to f32, <= u). elu/sigmoid/
// tanh: exp within 3 + 2|x| ULP (WGSL), plus <= 4 roundings: relative (8 + 4|z|)·2^-23 on dZ.

override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.2;
// 1: in place, dZ = dZ ⊙ act'(Z): the incoming gradient is read from dz itself (a layer whose dY
// buffer is also its dZ, conv2d: one activation-sized buffer fewer); the dy binding is then unused
// (bind any read-only buffer, e.g. z).
override IN_PLACE: u32 = 0u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> dz: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.count) {
    return;
  }
  var g = dy[i];
  if (IN_PLACE == 1u) {
    g = dz[i];
  }
  dz[i] = g * derivative(z[i]);
}
