// column_stats_forward.wgsl: per-column statistics of a rows x cols f32 table, for the data
// diagnosis (scaling, constant and sparse columns, outliers, non-finite values).
//
// For each column: mean, std (population, ddof = 0, as numpy's default), min, max, the fraction of
// zeros, the fraction beyond +-5 (|x| > 5), all over the FINITE values only, plus the count of
// non-finite values and of finite ones. Non-finite values are found by bit pattern (exponent all
// ones), since WGSL may assume finite math. A column with no finite value gets NaN statistics.
// The std is two-pass (mean first, then the mean squared deviation), not E[x^2] - E[x]^2, which
// cancels catastrophically for columns far from zero (unscaled features are the point here).
//
// Bindings (group 0):
//   0 x       read        array<u32>  rows x cols f32 bits, row-major
//   1 stats   read_write  array<u32>  cols x 8: mean, std, min, max, zeroFraction, beyondFraction
//                                     (f32 bits), nonFinite, finite (u32)
//   2 params  uniform     { rows, cols }
//
// Threads: one workgroup of 256 per column (dispatch x = cols, at most 65535); thread t visits rows
// t, t + 256, ... in order, then a binary tree in workgroup memory (strides 128 .. 1).
//
// Accuracy: each sum runs ceil(rows / 256) sequential adds and 8 tree levels, so
// |err| <= gamma_L * sum |terms| with L = ceil(rows / 256) + 8; the division by the count adds one
// rounding; the std adds the mean's error (second order in the squared deviations) and the sqrt's
// half-ULP. min, max and the counts are exact; fractions are one rounding of count / finite.

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> stats: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;
const NAN_BITS: u32 = 0x7fc00000u;
// Written in hex: the largest f32 exactly. The decimal 3.40282347e38 lies just above it, and the WGSL
// spec makes an abstract float outside the finite f32 range a shader-creation error (Tint rejects it;
// naga rounds it down).
const LOWEST: f32 = -0x1.fffffep+127f;
const HIGHEST: f32 = 0x1.fffffep+127f;

var<workgroup> sums: array<f32, WG>;
var<workgroup> lows: array<f32, WG>;
var<workgroup> highs: array<f32, WG>;
var<workgroup> finites: array<u32, WG>;
var<workgroup> zeros: array<u32, WG>;
var<workgroup> beyonds: array<u32, WG>;
var<workgroup> shared_mean: f32;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = lid.x;
  let col = wid.x;
  let rows = params.rows;
  let cols = params.cols;
  var sum = 0.0;
  var lo = HIGHEST;
  var hi = LOWEST;
  var finite = 0u;
  var zero = 0u;
  var beyond = 0u;
  for (var r = t; r < rows; r += WG) {
    let bits = x[r * cols + col];
    if (isFinite(bits)) {
      let v = bitcast<f32>(bits);
      sum += v;
      lo = min(lo, v);
      hi = max(hi, v);
      finite += 1u;
      // Integer tests: +-0 by bits; |v| > 5 on the magnitude bits (order-preserving for finite v).
      zero += select(0u, 1u, (bits & 0x7fffffffu) == 0u);
      beyond += select(0u, 1u, (bits & 0x7fffffffu) > 0x40a00000u);
    }
  }
  sums[t] = sum;
  lows[t] = lo;
  highs[t] = hi;
  finites[t] = finite;
  zeros[t] = zero;
  beyonds[t] = beyond;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      sums[t] = sums[t] + sums[t + s];
      lows[t] = min(lows[t], lows[t + s]);
      highs[t] = max(highs[t], highs[t + s]);
      finites[t] = finites[t] + finites[t + s];
      zeros[t] = zeros[t] + zeros[t + s];
      beyonds[t] = beyonds[t] + beyonds[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    shared_mean = sums[0] / f32(max(finites[0], 1u));
  }
  workgroupBarrier();
  let mean = shared_mean;
  var ssd = 0.0;
  for (var r = t; r < rows; r += WG) {
    let bits = x[r * cols + col];
    if (isFinite(bits)) {
      let d = bitcast<f32>(bits) - mean;
      ssd += d * d;
    }
  }
  workgroupBarrier();
  sums[t] = ssd;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      sums[t] = sums[t] + sums[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let n = finites[0];
    let o = col * 8u;
    let none = n == 0u;
    let fn_ = f32(max(n, 1u));
    stats[o] = select(bitcast<u32>(mean), NAN_BITS, none);
    stats[o + 1u] = select(bitcast<u32>(sqrt(sums[0] / fn_)), NAN_BITS, none);
    stats[o + 2u] = select(bitcast<u32>(lows[0]), NAN_BITS, none);
    stats[o + 3u] = select(bitcast<u32>(highs[0]), NAN_BITS, none);
    stats[o + 4u] = select(bitcast<u32>(f32(zeros[0]) / fn_), NAN_BITS, none);
    stats[o + 5u] = select(bitcast<u32>(f32(beyonds[0]) / fn_), NAN_BITS, none);
    stats[o + 6u] = rows - n;
    stats[o + 7u] = n;
  }
}
