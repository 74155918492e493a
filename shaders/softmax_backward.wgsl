// softmax_backward: dX_ij = y_ij (dY_ij - Σ_k dY_ik y_ik), the Jacobian-vector product of a
// row-wise softmax y = softmax(x), so a dense layer may end in softmax under any loss (MSE too).
//
// Bindings: 0 y (read, the softmax output), 1 dy (read), 2 dx (read-write), 3 params (uniform: rows, cols).
// Threads: one invocation per row (64 per workgroup): a dot product pass, then a write pass.
//
// Accuracy: the dot product has |err| <= gamma_cols·Σ_k |dY_ik y_ik| (u = 2^-24); the difference
// and the product round once each: |err_ij| <= |y_ij|·gamma_{cols+1}·(Σ_k |dY_ik y_ik| + |dY_ij|) + 2u|dX_ij|.

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.cols;
  var dot = 0.0;
  for (var c = 0u; c < params.cols; c = c + 1u) {
    dot = dot + dy[base + c] * y[base + c];
  }
  for (var c = 0u; c < params.cols; c = c + 1u) {
    dx[base + c] = y[base + c] * (dy[base + c] - dot);
  }
}
