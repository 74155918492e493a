// sgd_update: one SGD step on a parameter tensor, Keras semantics (keras/src/optimizers/sgd.py):
// without momentum w <- w - lr·g; with momentum v <- MOMENTUM·v - lr·g, w <- w + v (not Nesterov).
//
// Bindings: 0 w (read-write), 1 g (read), 2 velocity (read-write; untouched when MOMENTUM = 0),
//           3 params (uniform: count, lr).
// Threads: one invocation per element, 64 per workgroup, flat index folded over x and y.
// The training step runs ONE dispatch over the model's flat parameter buffer (src/train/parameters.ts):
// the padding between tensors has w = g = velocity = 0, so it stays zero. The step is elementwise,
// so one flat dispatch is bit-identical to one dispatch per tensor.
// Accuracy: <= 3 roundings per element: |err| <= 2u(|lr·g| + |v|) + u|w_new|, u = 2^-24.

override MOMENTUM: f32 = 0.0;

struct Params {
  count: u32,
  lr: f32,
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> velocity: array<f32>;
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
  if (MOMENTUM == 0.0) {
    w[i] = w[i] - params.lr * g[i];
  } else {
    let v = MOMENTUM * velocity[i] - params.lr * g[i];
    velocity[i] = v;
    w[i] = w[i] + v;
  }
}
