// layer_record_forward.wgsl: what the instrumented training step records about one layer, in one
// dispatch, written into the per-step record at `offset` (10 words, train/records.ts decodes them):
//   [0, 1] ‖∂L/∂W‖ (f32 bits; NaN when any input was non-finite) and the non-finite count (u32);
//   [2, 3] ‖∂L/∂b‖ and its non-finite count;
//   [4..7] the update ratio ‖W_new − W_old‖ / ‖W_old‖, ‖ΔW‖, ‖W_old‖ (f32 bits) and the non-finite
//          words of W_new and W_old (u32). The ratio is NaN when anything is non-finite, 0 when both
//          norms are 0, +Inf when only ‖W_old‖ is 0 (learning rates are judged by it: ~1e-3 is
//          healthy, far above diverges, far below stalls);
//   [8, 9] the activation statistic of the layer's pre-activations z (rows × units): its fraction
//          (f32 bits) and count (u32); left untouched when STAT is 0.
//
// Why one kernel: a dispatch costs ~0.1 ms on CPU adapters whatever it does (llvmpipe: measured
// 60-140 µs for a trivial one), and these records were five small dispatches per layer per step (two
// norm reductions, the update ratio, the activation statistic). One workgroup visits every input
// once and reduces all the sums in one tree.
//
// ‖∂L/∂W‖ reads `grads`: either ∂L/∂W itself or the L2 norms of its 8×8 blocks, which the fused dW
// product writes (matmul_vec4_forward BLOCK_NORMS): the norm of the block norms is the norm of the
// whole. A non-finite block norm then counts as one non-finite input (the block that holds it).
//
// STAT (override): 0 none, 1 dead: the fraction of units with z <= 0 on EVERY row of the batch (for
// relu the unit outputs 0 and passes no gradient on the whole batch; leaky-relu and elu units are on
// their negative branch throughout); 2 saturated: the fraction of all rows × units pre-activations
// with |z| > cutoff (4 for sigmoid, 2.5 for tanh: instrument.ts SATURATION_CUTOFFS, the flat tails
// where a backpropagated gradient shrinks >= ~14× / ~37×). Tests on f32 bits (WGSL may assume finite
// math): z <= 0 is "sign bit set or +0" and not NaN; |z| > cutoff compares magnitude bits, which
// order non-negative floats. NaN is neither dead nor saturated; ±Inf are saturated, -Inf is <= 0.
// Non-finite values are recognised by bit pattern, left out of every sum and counted.
//
// Bindings (group 0):
//   0 grads      read        array<u32>  `grads` f32 bits: ∂L/∂W or its block norms
//   1 biasGrads  read        array<u32>  `biases` f32 bits: ∂L/∂b
//   2 wNew       read        array<u32>  `weights` f32 bits, W after the step
//   3 wOld       read        array<u32>  `weights` f32 bits, a copy of W taken before the step
//   4 z          read        array<u32>  rows × units f32 bits (read only when STAT != 0)
//   5 record     read_write  array<u32>  the per-step record
//   6 params     uniform     { grads, biases, weights, rows, units, offset, cutoff }
//
// Threads: ONE workgroup of 256 (dispatch 1): thread t visits items t, t + 256, ... of each input in
// order (and units t, t + 256, ... for the statistic), then one binary tree over all the partial
// sums and counts. Fixed order, no atomics: bit-identical run to run.
//
// Accuracy: each sum of squares is gamma_L · Σ (terms >= 0) with L = ceil(n / 256) + 9; sqrt adds
// u; a delta is one rounding (exact when W_new and W_old are within 2×: Sterbenz); the ratio adds a
// division. Counts are exact; a fraction is one rounding of count / total.

struct Params {
  grads: u32,
  biases: u32,
  weights: u32,
  rows: u32,
  units: u32,
  offset: u32,
  cutoff: f32,
}

override STAT: u32 = 0u;

@group(0) @binding(0) var<storage, read> grads: array<u32>;
@group(0) @binding(1) var<storage, read> biasGrads: array<u32>;
@group(0) @binding(2) var<storage, read> wNew: array<u32>;
@group(0) @binding(3) var<storage, read> wOld: array<u32>;
@group(0) @binding(4) var<storage, read> z: array<u32>;
@group(0) @binding(5) var<storage, read_write> record: array<u32>;
@group(0) @binding(6) var<uniform> params: Params;

const WG: u32 = 256u;
const NAN_BITS: u32 = 0x7fc00000u;
const INF_BITS: u32 = 0x7f800000u;

// Per thread: sums (Σ grad², Σ bias², Σ ΔW², Σ W_old²) and counts (non-finite grads, non-finite
// biases, non-finite weight words, the statistic's tally).
var<workgroup> sums: array<vec4f, WG>;
var<workgroup> counts: array<vec4u, WG>;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn nonPositive(bits: u32) -> bool {
  let nan = (bits & 0x7fffffffu) > 0x7f800000u;
  return !nan && (bits == 0u || (bits & 0x80000000u) != 0u);
}

// Σ x² over the finite items of a norm input, and the count of the others.
fn squares(bits: u32, acc: ptr<function, f32>, bad: ptr<function, u32>) {
  if (isFinite(bits)) {
    let x = bitcast<f32>(bits);
    *acc = *acc + x * x;
  } else {
    *bad = *bad + 1u;
  }
}

// A norm and its non-finite count as the record stores them (as reduce_forward's final pass does).
fn writeNorm(at: u32, sumOfSquares: f32, bad: u32) {
  record[at] = select(bitcast<u32>(sqrt(sumOfSquares)), NAN_BITS, bad > 0u);
  record[at + 1u] = bad;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  var gradSum = 0.0;
  var gradBad = 0u;
  for (var i = t; i < params.grads; i += WG) {
    squares(grads[i], &gradSum, &gradBad);
  }
  var biasSum = 0.0;
  var biasBad = 0u;
  for (var i = t; i < params.biases; i += WG) {
    squares(biasGrads[i], &biasSum, &biasBad);
  }
  var dd = 0.0;
  var ww = 0.0;
  var weightBad = 0u;
  for (var i = t; i < params.weights; i += WG) {
    let a = wNew[i];
    let b = wOld[i];
    weightBad += select(0u, 1u, !isFinite(a)) + select(0u, 1u, !isFinite(b));
    if (isFinite(a) && isFinite(b)) {
      let d = bitcast<f32>(a) - bitcast<f32>(b);
      dd += d * d;
      ww += bitcast<f32>(b) * bitcast<f32>(b);
    }
  }
  let rows = params.rows;
  let units = params.units;
  var tally = 0u;
  if (STAT != 0u) {
    let cutoffBits = bitcast<u32>(abs(params.cutoff));
    for (var u = t; u < units; u += WG) {
      if (STAT == 1u) {
        var dead = rows > 0u;
        for (var r = 0u; r < rows; r++) {
          if (!nonPositive(z[r * units + u])) {
            dead = false;
            break;
          }
        }
        tally += select(0u, 1u, dead);
      } else {
        for (var r = 0u; r < rows; r++) {
          let mag = z[r * units + u] & 0x7fffffffu;
          tally += select(0u, 1u, mag > cutoffBits && mag <= 0x7f800000u);
        }
      }
    }
  }
  sums[t] = vec4f(gradSum, biasSum, dd, ww);
  counts[t] = vec4u(gradBad, biasBad, weightBad, tally);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      sums[t] = sums[t] + sums[t + s];
      counts[t] = counts[t] + counts[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = params.offset;
    let total = sums[0];
    let bad = counts[0];
    writeNorm(o, total.x, bad.x);
    writeNorm(o + 2u, total.y, bad.y);
    let dn = sqrt(total.z);
    let wn = sqrt(total.w);
    var ratio = bitcast<u32>(dn / max(wn, 1e-30));
    if (wn == 0.0) {
      ratio = select(INF_BITS, 0u, dn == 0.0);
    }
    let broken = bad.z > 0u;
    record[o + 4u] = select(ratio, NAN_BITS, broken);
    record[o + 5u] = select(bitcast<u32>(dn), NAN_BITS, broken);
    record[o + 6u] = select(bitcast<u32>(wn), NAN_BITS, broken);
    record[o + 7u] = bad.z;
    if (STAT != 0u) {
      let statTotal = select(rows * units, units, STAT == 1u);
      record[o + 8u] = bitcast<u32>(f32(bad.w) / f32(max(statTotal, 1u)));
      record[o + 9u] = bad.w;
    }
  }
}
