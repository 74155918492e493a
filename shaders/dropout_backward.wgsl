// dropout_backward: dX_i = dY_i · (keep_i ? 1/(1 - rate) : 0), the gradient of dropout_forward.
//
// The mask is not stored: keep_i is a hash of (seed, step, layer, i) with its top 24 bits compared
// to threshold = round(rate·2^24), so this pass regenerates it and the float64 twin
// reproduces it bit for bit; the same (seed, step, layer) as the forward pass gives the same mask. The host passes `scale` = f32(1/(1 - rate)). Multiplying by 0 (rather
// than selecting 0) keeps NaN and Inf inputs visible as NaN, as TensorFlow's x * mask does.
//
// Bindings: 0 dy (read), 1 dx (read-write), 2 params (uniform: count, seed, step, layer, threshold, scale).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
// Accuracy: scale rounds to f32 once and the product once: relative error <= 2u, u = 2^-24.

struct Params {
  count: u32,
  seed: u32,
  step: u32,
  layer: u32,
  threshold: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// PCG RXS-M-XS output permutation (O'Neill 2014; "pcg_hash", Jarzynski & Olano, JCGT 2020):
// u32 multiply/add/xor/shift only, so the float64 twin (src/reference/dropout.ts) reproduces it.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn keep(index: u32) -> bool {
  var h = pcg_hash(params.seed);
  h = pcg_hash(h ^ params.step);
  h = pcg_hash(h ^ params.layer);
  h = pcg_hash(h ^ index);
  return (h >> 8u) >= params.threshold;
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
  dx[i] = dy[i] * select(0.0, params.scale, keep(i));
}
