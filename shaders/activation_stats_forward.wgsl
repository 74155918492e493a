// activation_stats_forward.wgsl: one layer's activation health on one batch, from its
// pre-activations z (rows x units), written into the per-step record at an offset.
//
// MODE (override):
//   0 dead: the fraction of units with z <= 0 on EVERY row of the batch. For relu that unit outputs
//     0 and passes no gradient on the whole batch; leaky-relu and elu units are then on their
//     negative branch throughout (output <= 0 iff z <= 0 for all three), which the detector weighs.
//   1 saturated: the fraction of all rows x units pre-activations with |z| > cutoff. The loop
//     passes 4 for sigmoid and 2.5 for tanh (instrument.ts SATURATION_CUTOFFS): there the local
//     derivative is sigma'(4) = 0.018 (7% of its peak 0.25) and tanh'(2.5) = 0.027 (2.7% of its
//     peak 1), and the output is within 0.018 / 0.013 of its asymptote: a backpropagated gradient
//     shrinks >= ~14x (sigmoid) / ~37x (tanh) there relative to the unit's best case, the flat tails.
// All tests are integer tests on the f32 bits (WGSL may assume finite math): z <= 0 is "sign bit set
// or +0" and not NaN; |z| > cutoff compares magnitude bits, which order non-negative floats. NaN is
// neither dead nor saturated; +-Inf are saturated, -Inf counts as <= 0.
//
// Writes record[offset] = fraction (f32 bits), record[offset + 1] = the count (u32).
//
// Bindings (group 0):
//   0 z       read        array<u32>  rows x units f32 bits
//   1 record  read_write  array<u32>  the per-step record
//   2 params  uniform     { rows, units, offset, cutoff }
//
// Threads: ONE workgroup of 256 (dispatch 1): thread t takes units t, t + 256, ... and scans their
// rows; the counts are added in a tree. Accuracy: the counts are exact; the fraction is one
// rounding of count / total (<= u relative).

struct Params {
  rows: u32,
  units: u32,
  offset: u32,
  cutoff: f32,
}

override MODE: u32 = 0u;

@group(0) @binding(0) var<storage, read> z: array<u32>;
@group(0) @binding(1) var<storage, read_write> record: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;

var<workgroup> tallies: array<u32, WG>;

fn nonPositive(bits: u32) -> bool {
  let nan = (bits & 0x7fffffffu) > 0x7f800000u;
  return !nan && (bits == 0u || (bits & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  let rows = params.rows;
  let units = params.units;
  let cutoffBits = bitcast<u32>(abs(params.cutoff));
  var tally = 0u;
  for (var u = t; u < units; u += WG) {
    if (MODE == 0u) {
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
  tallies[t] = tally;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      tallies[t] = tallies[t] + tallies[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let total = select(rows * units, units, MODE == 0u);
    record[params.offset] = bitcast<u32>(f32(tallies[0]) / f32(max(total, 1u)));
    record[params.offset + 1u] = tallies[0];
  }
}
