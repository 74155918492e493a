// conv2d_filter_reduce_backward: dW and db of a convolution from the per-chunk partial sums that
// conv2d_filter_backward.wgsl wrote: dw[j] = Σ_s partials[s, j] for j < count (kh·kw·inC·filters),
// db[j - count] for the bias columns after them (when `cols` includes them).
//
// Bindings: 0 partials (read, chunks × stride), 1 dw (read-write, count), 2 db (read-write,
//           filters; unused when cols = count), 3 params (uniform: count, cols, stride, chunks).
// Threads: one invocation per output element, 64 per workgroup, flat index folded over x and y.
// Order: chunks ascending (deterministic, no atomics).
//
// Accuracy: a recursive f32 sum of `chunks` partials (see conv2d_filter_backward.wgsl for the whole).

struct Params {
  count: u32,
  cols: u32,
  stride: u32,
  chunks: u32,
}

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Flat index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let j = flat_index(gid, groups);
  if (j >= p.cols) {
    return;
  }
  var sum = 0.0;
  for (var s = 0u; s < p.chunks; s = s + 1u) {
    sum = sum + partials[s * p.stride + j];
  }
  if (j < p.count) {
    dw[j] = sum;
  } else {
    db[j - p.count] = sum;
  }
}
