// adam_update: one Adam step, Keras semantics (keras/src/optimizers/adam.py; tf.keras 2 is the same):
//   m <- m + (g - m)·(1 - beta1),  v <- v + (g² - v)·(1 - beta2),
//   w <- w - alpha·m / (sqrt(v) + EPSILON),  alpha = lr·sqrt(1 - beta2^t) / (1 - beta1^t).
// EPSILON is the paper's "epsilon hat", added to sqrt(v), not to sqrt(v-hat) (Keras default 1e-7).
//
// The host computes alpha for step t in float64 (params.alpha; params.step records t): in f32,
// 1 - pow(0.999, 1) loses ~4 digits to cancellation. ONE_MINUS_BETA1/2 are computed in float64 by
// the host too (as Keras does in Python): f32(1 - f32(0.999)) is off by 1.3e-5 relative.
//
// Bindings: 0 w (read-write), 1 g (read), 2 m (read-write), 3 v (read-write),
//           4 params (uniform: count, alpha, step).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
// The training step runs ONE dispatch over the model's flat parameter buffer (src/train/parameters.ts):
// the padding between tensors has w = g = m = v = 0, so m and v stay 0 and the update
// alpha·0/(sqrt(0) + EPSILON) is 0: the padding stays zero. The step is elementwise, so one flat
// dispatch is bit-identical to one dispatch per tensor.
// Accuracy (u = 2^-24): m and v carry <= 3u(|m_old| + |g|) and 3u(v_old + g²); sqrt and division
// are within 1 and 2.5 ULP (WGSL); the update alpha·m/(sqrt(v) + eps) carries the relative error of
// m, half that of v, and <= 6u more; the subtraction from w rounds once.

override ONE_MINUS_BETA1: f32 = 0.1;
override ONE_MINUS_BETA2: f32 = 0.001;
override EPSILON: f32 = 1e-7;

struct Params {
  count: u32,
  alpha: f32,
  step: u32,
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

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
  let gi = g[i];
  let mi = m[i] + (gi - m[i]) * ONE_MINUS_BETA1;
  let vi = v[i] + (gi * gi - v[i]) * ONE_MINUS_BETA2;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] - params.alpha * mi / (sqrt(vi) + EPSILON);
}
