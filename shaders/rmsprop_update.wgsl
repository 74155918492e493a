// rmsprop_update: one RMSprop step (no momentum, not centered), Keras semantics:
//   ms <- RHO·ms + (1 - RHO)·g²,
//   Keras 3 (keras/src/optimizers/rmsprop.py, EPSILON_INSIDE_SQRT): w <- w - lr·g / sqrt(ms + EPSILON);
//   tf.keras 2 (optimizer_v2/rmsprop.py):                            w <- w - lr·g / (sqrt(ms) + EPSILON).
// Keras defaults: rho 0.9, epsilon 1e-7. ONE_MINUS_RHO is computed in float64 by the host.
//
// Bindings: 0 w (read-write), 1 g (read), 2 ms (read-write), 3 params (uniform: count, lr).
//
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
// The training step runs ONE dispatch over the model's flat parameter buffer (src/train/parameters.ts):
// the padding between tensors has w = g = ms = 0, so ms stays 0 and the update lr·0/sqrt(EPSILON)
// (or /EPSILON) is 0: the padding stays zero. The step is elementwise, so one flat dispatch is
// bit-identical to one dispatch per tensor.
// Accuracy (u = 2^-24): ms carries <= 3u(ms_old + g²); sqrt and division within 1 and 2.5 ULP
// (WGSL): the update lr·g/denominator carries half the relative error of ms plus <= 6u, and the
// subtraction from w rounds once.

override RHO: f32 = 0.9;
override ONE_MINUS_RHO: f32 = 0.1;
override EPSILON: f32 = 1e-7;
override EPSILON_INSIDE_SQRT: bool = true;

struct Params {
  count: u32,
  lr: f32,
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> ms: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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
  let msi = RHO * ms[i] + ONE_MINUS_RHO * (gi * gi);
  ms[i] = msi;
  var denominator = sqrt(msi) + EPSILON;
  if (EPSILON_INSIDE_SQRT) {
    denominator = sqrt(msi + EPSILON);
  }
  w[i] = w[i] - params.lr * gi / denominator;
}
