// update_ratio_forward.wgsl: the update-to-weight ratio of one tensor for one optimizer step,
// ||w_new - w_old|| / ||w_old||, written into the per-step record at an offset.
//
// Writes record[offset .. offset + 3] = ratio, ||delta||, ||w_old|| (f32 bits), nonFinite (u32: the
// non-finite words of w_new and w_old, by bit pattern). The ratio is NaN when anything is non-finite,
// 0 when both norms are 0, +Inf when only ||w_old|| is 0 (see train/records.ts). Learning rates are
// judged by this ratio (~1e-3 is healthy; far above diverges, far below stalls).
//
// Bindings (group 0):
//   0 wNew    read        array<u32>  n f32 bits, the weights after the step
//   1 wOld    read        array<u32>  n f32 bits, a copy taken before the step
//   2 record  read_write  array<u32>  the per-step record
//   3 params  uniform     { n, offset }
//
// Threads: ONE workgroup of 256 (dispatch 1): thread t visits t, t + 256, ... in order, then a
// binary tree. A single dispatch with no scratch buffer and a fixed order; per-step weight tensors
// are small (up to ~1e6 words, ~4000 per thread).
//
// Accuracy: each delta is one rounding (exact when w_new and w_old are within 2x: Sterbenz); each
// sum of squares is gamma_L * sum with L = ceil(n / 256) + 9; two sqrt and one division add 2u.

struct Params {
  n: u32,
  offset: u32,
}

@group(0) @binding(0) var<storage, read> wNew: array<u32>;
@group(0) @binding(1) var<storage, read> wOld: array<u32>;
@group(0) @binding(2) var<storage, read_write> record: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 256u;
const NAN_BITS: u32 = 0x7fc00000u;
const INF_BITS: u32 = 0x7f800000u;

var<workgroup> deltas: array<f32, WG>;
var<workgroup> weights: array<f32, WG>;
var<workgroup> bad: array<u32, WG>;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let t = lid.x;
  var dd = 0.0;
  var ww = 0.0;
  var nonFinite = 0u;
  for (var i = t; i < params.n; i += WG) {
    let a = wNew[i];
    let b = wOld[i];
    let ok = isFinite(a) && isFinite(b);
    nonFinite += select(0u, 1u, !isFinite(a)) + select(0u, 1u, !isFinite(b));
    if (ok) {
      let d = bitcast<f32>(a) - bitcast<f32>(b);
      dd += d * d;
      ww += bitcast<f32>(b) * bitcast<f32>(b);
    }
  }
  deltas[t] = dd;
  weights[t] = ww;
  bad[t] = nonFinite;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      deltas[t] = deltas[t] + deltas[t + s];
      weights[t] = weights[t] + weights[t + s];
      bad[t] = bad[t] + bad[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = params.offset;
    let dn = sqrt(deltas[0]);
    let wn = sqrt(weights[0]);
    var ratio = bitcast<u32>(dn / max(wn, 1e-30));
    if (wn == 0.0) {
      ratio = select(INF_BITS, 0u, dn == 0.0);
    }
    let broken = bad[0] > 0u;
    record[o] = select(ratio, NAN_BITS, broken);
    record[o + 1u] = select(bitcast<u32>(dn), NAN_BITS, broken);
    record[o + 2u] = select(bitcast<u32>(wn), NAN_BITS, broken);
    record[o + 3u] = bad[0];
  }
}
