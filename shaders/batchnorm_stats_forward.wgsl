// batchnorm_stats_forward: the training statistics of batch normalization, per channel c of a
// rows × channels matrix (dense [N, C]: rows = N; channels-last [N, H, W, C]: rows = N·H·W):
//   mean_c = (1/R) Σ_r x_rc,  var_c = (1/R) Σ_r (x_rc - mean_c)²   (biased, as Keras 3's moments)
// and, when `update` is 1, the moving statistics Keras keeps for evaluation:
//   moving_c = moving_c·momentum + batch_c·(1 - momentum)   (momentum 0.99 by default).
// Two passes over the rows (mean first, then squared deviations from it): no cancellation of
// E[x²] - E[x]², so a channel with a large mean and a small spread keeps its variance.
//
// Bindings: 0 x (read, rows×channels), 1 mean (read-write, channels), 2 variance (read-write,
//           channels), 3 movingMean (read-write), 4 movingVariance (read-write),
//           5 params (uniform: rows, channels, momentum, update).
// Threads: one workgroup of 64 per channel (workgroup x = channel); invocation t sums rows
// t, t + 64, ... in increasing order, then a binary tree in workgroup memory (strides 32 .. 1).
// The order of every addition depends only on rows: deterministic, no atomics.
//
// Accuracy: each sum has L = ceil(R/64) + 6 roundings on any path: |err| <= gamma_L·Σ|terms|; the
// division by R is correctly rounded to within 2.5 ULP (5u). The variance sums squares of
// fl(x - mean_gpu): 2 more roundings per term, and Σ(x - m̂)² = R·var + R·(m - m̂)², so
// |var_gpu - var| <= gamma_{L+8}·(var + δ²) + δ² with δ = |mean_gpu - mean|. The moving update
// is two products and a sum (3u relative on each term) plus f32(momentum) (u relative).

struct Params {
  rows: u32,
  channels: u32,
  momentum: f32,
  update: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> variance: array<f32>;
@group(0) @binding(3) var<storage, read_write> movingMean: array<f32>;
@group(0) @binding(4) var<storage, read_write> movingVariance: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> partial: array<f32, 64>;

// The workgroup's sum of partial[0..63] (a fixed binary tree), returned to every invocation.
fn tree_sum(t: u32) -> f32 {
  for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
    workgroupBarrier();
    if (t < stride) {
      partial[t] = partial[t] + partial[t + stride];
    }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x;
  let cols = params.channels;
  let rows = params.rows;
  // c < channels always (one workgroup per channel), so every invocation reaches every barrier.
  var s = 0.0;
  for (var r = t; r < rows; r = r + 64u) {
    s = s + x[r * cols + c];
  }
  partial[t] = s;
  let m = tree_sum(t) / f32(rows);
  var q = 0.0;
  for (var r = t; r < rows; r = r + 64u) {
    let d = x[r * cols + c] - m;
    q = q + d * d;
  }
  partial[t] = q;
  let v = tree_sum(t) / f32(rows);
  if (t == 0u) {
    mean[c] = m;
    variance[c] = v;
    if (params.update == 1u) {
      let keep = params.momentum;
      movingMean[c] = movingMean[c] * keep + m * (1.0 - keep);
      movingVariance[c] = movingVariance[c] * keep + v * (1.0 - keep);
    }
  }
}
