// global_avgpool_forward: Keras GlobalAveragePooling1D / 2D on channels-last input, which are one
// operation: y[n, c] = (1/P) Σ_p x[n, p, c] with P = steps (1-D) or height·width (2-D).
//
// Bindings: 0 x (read, [batch, positions, channels]), 1 y (read-write, [batch, channels]),
//           2 params (uniform: batch, positions, channels, scale = f32(1/positions)).
// Threads: one invocation per output (n, c), c fastest, 64 per workgroup, flat index folded over x
// and y; each sums its positions in increasing order (deterministic), neighbours reading
// consecutive addresses.
// Accuracy: a recursive f32 sum of P terms, then f32(1/P) (u) and the product (u):
// |err| <= gamma_{P-1}·Σ|x|/P + 2u·|y|.

struct Params {
  batch: u32,
  positions: u32,
  channels: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let channels = params.channels;
  if (i >= params.batch * channels) {
    return;
  }
  let c = i % channels;
  let n = i / channels;
  let base = n * params.positions * channels + c;
  var sum = 0.0;
  for (var p = 0u; p < params.positions; p = p + 1u) {
    sum = sum + x[base + p * channels];
  }
  y[i] = sum * params.scale;
}
