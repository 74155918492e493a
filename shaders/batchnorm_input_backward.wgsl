// batchnorm_input_backward: the input gradient of training-mode batch normalization, per element
// of a rows × channels matrix (the batch statistics depend on every row, hence the two sums):
//   dx = γ·s·(dy - dβ/R - x̂·dγ/R),   s = 1/√(var + ε),  x̂ = (x - mean)·s,
// with dβ, dγ from batchnorm_param_backward.
//
// Bindings: 0 x (read), 1 dy (read), 2 mean (read), 3 variance (read), 4 gamma (read),
//           5 dgamma (read), 6 dbeta (read), 7 dx (read-write, rows×channels),
//           8 params (uniform: count = rows·channels, channels, rows, epsilon).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
//
// Accuracy: the bracket subtracts three terms that cancel (their sum over a channel is 0 in exact
// arithmetic): with x̂ and 1/R within 6u and 2.5 ULP, each term carries <= 10u of its own
// magnitude, and the bracket's two subtractions add 2u of the running magnitudes, so
// |err| <= |γ·s|·(12u·(|dy| + |dβ|/R + |x̂·dγ|/R)) + |γ·s|·(δβ + |x̂|·δγ)/R + 8u·|dx|, where δβ, δγ
// are the errors of the given dβ, dγ.

struct Params {
  count: u32,
  channels: u32,
  rows: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read> dbeta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

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
  let s = inverseSqrt(variance[c] + params.epsilon);
  let xhat = (x[i] - mean[c]) * s;
  let inv_rows = 1.0 / f32(params.rows);
  dx[i] = gamma[c] * s * (dy[i] - dbeta[c] * inv_rows - xhat * (dgamma[c] * inv_rows));
}
