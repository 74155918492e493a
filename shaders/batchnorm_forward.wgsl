// batchnorm_forward: y = γ·(x - mean)/√(var + ε) + β per channel c of a rows × channels matrix,
// with the statistics the host binds: the batch's (batchnorm_stats_forward) while training, the
// moving ones at evaluation (Keras's inference mode).
//
// Bindings: 0 x (read, rows×channels), 1 mean (read, channels), 2 variance (read, channels),
//           3 gamma (read), 4 beta (read), 5 y (read-write, rows×channels),
//           6 params (uniform: count = rows·channels, channels, epsilon).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
//
// Accuracy: f32(ε) (u relative to ε, so <= u of var + ε) and var + ε (u), inverseSqrt (2 ULP = 4u,
// plus half the 2u it inherits), γ·s (u): the scale s = γ/√(var + ε) is within 7u relative; x - mean
// and the product round once each and β's addition once more:
// |y - ref| <= 10u·|γ·(x - mean)/√(var + ε)| + u·|y|, given the same statistics.

struct Params {
  count: u32,
  channels: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> variance: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

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
  let c = i % params.channels;
  let scale = gamma[c] * inverseSqrt(variance[c] + params.epsilon);
  y[i] = (x[i] - mean[c]) * scale + beta[c];
}
