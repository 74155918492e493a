// embedding_backward: dTable[v, d] = Σ over positions p with token_p = v of dy[p, d], summed in
// increasing p; rows no token names get 0 (a dense gradient, which Keras's optimizers apply
// the same way as its sparse one: Adam's moments decay on every row).
//
// Deterministic by construction: every invocation owns one output element (vocab row v, dim d)
// and walks the batch's tokens in a fixed order, so there is no scatter, no float atomic and no
// dependence on scheduling: the result is bit-identical run to run. The alternatives were weighed:
// a scatter from the tokens needs float atomics (order-dependent, so not reproducible); a
// host-built sorted index would need the host to know each batch's tokens, but batches are
// gathered on the GPU (gather_rows_forward), so it would cost an upload per epoch of an index as
// large as the data and tie this kernel to the trainer's batching. Walking the tokens costs
// vocab·dim·positions comparisons, the same order as the dense layer a one-hot input would need
// (the cost the engine already accepts for V input features), and the token index is staged in
// workgroup memory 64 at a time so each is read once per workgroup.
//
// Bindings: 0 tokens (read, positions, f32 indices), 1 dy (read, positions×dim),
//           2 dtable (read-write, vocab×dim), 3 params (uniform: positions, vocab, dim).
// Threads: one invocation per table element, 64 per workgroup, flat index folded over x and y.
//
// Accuracy: a recursive f32 sum of the n_v matching terms in position order:
// |err| <= gamma_{n_v - 1}·Σ|dy|, n_v = how often token v occurs in the batch.

struct Params {
  positions: u32,
  vocab: u32,
  dim: u32,
}

@group(0) @binding(0) var<storage, read> tokens: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> tile: array<f32, 64>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  // Flat element index: the host folds more than 65535 workgroups into y.
  let i = (wid.x + wid.y * groups.x) * 64u + lane;
  let inside = i < params.vocab * params.dim;
  let v = i / max(params.dim, 1u);
  let d = i - v * params.dim;
  let row = f32(v);
  var sum = 0.0;
  // Every invocation of the workgroup runs every tile (uniform control flow for the barriers).
  for (var start = 0u; start < params.positions; start = start + 64u) {
    workgroupBarrier();
    if (start + lane < params.positions) {
      tile[lane] = tokens[start + lane];
    }
    workgroupBarrier();
    let n = min(64u, params.positions - start);
    if (inside) {
      for (var j = 0u; j < n; j = j + 1u) {
        if (tile[j] == row) {
          sum = sum + dy[(start + j) * params.dim + d];
        }
      }
    }
  }
  if (inside) {
    dtable[i] = sum;
  }
}
