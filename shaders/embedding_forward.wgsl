// embedding_forward: y[p, d] = table[token_p, d], Keras's Embedding lookup, for `positions` tokens
// (batch rows × sequence steps, row-major) into a vocab × dim table.
//
// Tokens arrive as f32 (the data pipeline is numeric; integers up to 2^24 are exact). A token that
// is not an integer in [0, vocab) has no row: the host refuses such data before training (an input
// error naming the row and the value), and should one reach the GPU anyway its output is NaN, which
// the non-finite records report, never the silent zero row Keras's GPU kernel returns.
//
// Bindings: 0 tokens (read, positions), 1 table (read, vocab×dim), 2 y (read-write, positions×dim),
//           3 params (uniform: positions, vocab, dim).
// Threads: one invocation per output element, 64 per workgroup, flat index folded over x and y;
// consecutive invocations read consecutive entries of a table row.
// Accuracy: a copy; exact.

struct Params {
  positions: u32,
  vocab: u32,
  dim: u32,
}

const NAN_BITS: u32 = 0x7fc00000u;

@group(0) @binding(0) var<storage, read> tokens: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.positions * params.dim) {
    return;
  }
  let p = i / params.dim;
  let d = i - p * params.dim;
  let token = tokens[p];
  // WGSL may assume finite math, so a NaN token is recognised by its bits (exponent all ones
  // covers ±Inf too), not by comparisons.
  let finite = (bitcast<u32>(token) & 0x7f800000u) != 0x7f800000u;
  let valid = finite && token >= 0.0 && token < f32(params.vocab) && floor(token) == token;
  if (valid) {
    y[i] = table[u32(token) * params.dim + d];
  } else {
    var nan_bits = NAN_BITS; // a runtime value: a NaN constant expression is a shader-creation error
    y[i] = bitcast<f32>(nan_bits);
  }
}
