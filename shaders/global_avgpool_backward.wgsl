// global_avgpool_backward: the gradient of global average pooling (1-D or 2-D):
//   dx[n, p, c] = dy[n, c] / P, every position an equal share.
//
// Bindings: 0 dy (read, [batch, channels]), 1 dx (read-write, [batch, positions, channels]),
//           2 params (uniform: batch, positions, channels, scale = f32(1/positions)).
// Threads: one invocation per input element, 64 per workgroup, flat index folded over x and y.
// Accuracy: f32(1/P) and the product round once each: relative error <= 2u.

struct Params {
  batch: u32,
  positions: u32,
  channels: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let channels = params.channels;
  if (i >= params.batch * params.positions * channels) {
    return;
  }
  let c = i % channels;
  let n = i / (params.positions * channels);
  dx[i] = dy[n * channels + c] * params.scale;
}
