// loss_penalty_forward: adds the L2 penalties of the regularized kernels to a reduced loss, the way
// Keras reports it (the batch's mean data loss plus every kernel's l2·Σw²):
//   total_loss[offset] = (loss + p_0 + p_1 + ... + p_{n-1},  non-finite count + Σ counts)
// where the loss and each penalty are the (value bits, non-finite count) pairs reduce_forward writes
// (the loss from the loss reduction, each p_i from the sum of squares of one kernel scaled by l2).
// A non-finite pair (count > 0) makes the result NaN, as reduce_forward's own rule.
//
// Bindings: 0 penalties (read, n pairs of u32), 1 total_loss (read-write, u32 pairs; pair `offset` is
//           read and overwritten), 2 params (uniform: count = n, offset).
// Threads: a single invocation adds in index order: deterministic.
// Accuracy: n correctly rounded additions of non-negative penalties to the loss:
// |err| <= gamma_n·(|loss| + Σ p_i).

struct Params {
  count: u32,
  offset: u32,
}

const NAN_BITS: u32 = 0x7fc00000u;

@group(0) @binding(0) var<storage, read> penalties: array<u32>;
@group(0) @binding(1) var<storage, read_write> total_loss: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  let o = 2u * params.offset;
  var total = bitcast<f32>(total_loss[o]);
  var bad = total_loss[o + 1u];
  for (var i = 0u; i < params.count; i = i + 1u) {
    total = total + bitcast<f32>(penalties[2u * i]);
    bad = bad + penalties[2u * i + 1u];
  }
  total_loss[o] = select(bitcast<u32>(total), NAN_BITS, bad > 0u);
  total_loss[o + 1u] = bad;
}
