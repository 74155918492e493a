// gather_rows_forward: a training batch from the training split, on the GPU.
//   xBatch[r, c] = x[index[offset + r], c]   (r < rows, c < xCols)
//   yBatch[r, c] = y[index[offset + r], c]   (r < rows, c < yCols)
// The split is uploaded once per run and the epoch's row order (its batches, concatenated) once per
// epoch, so a step only changes `offset` (and `rows` for a partial last batch).
//
// Bindings: 0 x (read, split rows × xCols), 1 y (read, split rows × yCols), 2 index (read, u32 row
//           numbers), 3 xBatch (read-write, rows × xCols), 4 yBatch (read-write, rows × yCols),
//           5 params (uniform: rows, offset, xCols, yCols).
// Threads: one invocation per batch element, x's elements then y's, 64 per workgroup, flat index
// folded over x and y.
// Accuracy: a copy; exact (the fingerprint of the batch sees exactly the split's f32 values).

struct Params {
  rows: u32,
  offset: u32,
  xCols: u32,
  yCols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> xBatch: array<f32>;
@group(0) @binding(4) var<storage, read_write> yBatch: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let xCount = params.rows * params.xCols;
  if (i < xCount) {
    let r = i / params.xCols;
    let c = i - r * params.xCols;
    xBatch[i] = x[index[params.offset + r] * params.xCols + c];
    return;
  }
  let j = i - xCount;
  if (j >= params.rows * params.yCols) {
    return;
  }
  let r = j / params.yCols;
  let c = j - r * params.yCols;
  yBatch[j] = y[index[params.offset + r] * params.yCols + c];
}
