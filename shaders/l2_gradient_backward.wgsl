// l2_gradient_backward: adds the gradient of Keras's L2 kernel regularizer to a kernel's gradient,
// in place: g_i += 2·l2·w_i (the penalty l2·Σ w² itself is reduce_forward's sum of squares with
// scale l2, written into the step's record beside the data loss).
//
// Bindings: 0 w (read), 1 g (read-write), 2 params (uniform: count, twiceL2 = f32(2·l2)).
// Threads: one invocation per weight, 64 per workgroup, flat index folded over x and y.
// Accuracy: f32(2·l2) (u relative), the product (u) and the sum (u):
// |err| <= 2u·|2·l2·w| + u·|g + 2·l2·w|.

struct Params {
  count: u32,
  twiceL2: f32,
}

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

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
  g[i] = g[i] + params.twiceL2 * w[i];
}
