// batchnorm_param_backward: the parameter gradients of training-mode batch normalization, per
// channel c of a rows × channels matrix, with x̂ = (x - mean)/√(var + ε) from the batch statistics:
//   dβ_c = Σ_r dy_rc,   dγ_c = Σ_r dy_rc · x̂_rc.
// batchnorm_input_backward then needs both for dx.
//
// Bindings: 0 x (read, rows×channels), 1 dy (read, rows×channels), 2 mean (read), 3 variance
//           (read), 4 dgamma (read-write, channels), 5 dbeta (read-write, channels),
//           6 params (uniform: rows, channels, epsilon).
// Threads: one workgroup of 64 per channel; invocation t sums rows t, t + 64, ... in order, then a
// binary tree in workgroup memory: deterministic, no atomics.
//
// Accuracy: L = ceil(R/64) + 6 roundings per sum: |dβ err| <= gamma_L·Σ|dy|; x̂ carries
// 6u relative (difference, inverseSqrt 4u + u/2, product) and dy·x̂ one more:
// |dγ err| <= gamma_{L+8}·Σ|dy·x̂|.

struct Params {
  rows: u32,
  channels: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> partial_beta: array<f32, 64>;
var<workgroup> partial_gamma: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x;
  let cols = params.channels;
  let m = mean[c];
  let s = inverseSqrt(variance[c] + params.epsilon);
  var sb = 0.0;
  var sg = 0.0;
  for (var r = t; r < params.rows; r = r + 64u) {
    let g = dy[r * cols + c];
    sb = sb + g;
    sg = sg + g * ((x[r * cols + c] - m) * s);
  }
  partial_beta[t] = sb;
  partial_gamma[t] = sg;
  for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
    workgroupBarrier();
    if (t < stride) {
      partial_beta[t] = partial_beta[t] + partial_beta[t + stride];
      partial_gamma[t] = partial_gamma[t] + partial_gamma[t + stride];
    }
  }
  if (t == 0u) {
    dbeta[c] = partial_beta[0];
    dgamma[c] = partial_gamma[0];
  }
}
