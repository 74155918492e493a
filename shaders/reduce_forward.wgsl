// reduce_forward.wgsl: one pass of the deterministic tree reduction (sum, sum of squares, max, min,
// L2 norm; mean is the sum with scale = 1/n).
//
// Each workgroup reduces its own chunk of 1024 consecutive items to one partial, written as the
// pair (value bits, non-finite count) at pair index outOffset + workgroup. The host repeats passes
// over the partials (FIRST = false) until one workgroup remains; that pass has FINAL = true and
// writes the result pair into its destination at outOffset (a per-step record, say). The order of
// every operation depends only on n, never on scheduling, and there are no float atomics, so the
// result is bit-identical run to run and equal to reductions.ts's float32 emulation of this tree.
//
// OP (override): 0 sum, 1 sum of squares, 2 max, 3 min, 4 L2 norm (sqrt(scale * sum of squares)).
// FIRST (override): the input holds raw f32 bits (n items) rather than partial pairs (n pairs).
// FINAL (override): apply scale (sum, sum of squares) or sqrt(scale * .) (norm), and write NaN when
//   any input was non-finite; the pair's count then says how many were.
// Non-finite inputs are recognised by bit pattern (exponent all ones; WGSL may assume finite math),
// left out of the value and counted.
//
// Bindings (group 0):
//   0 input   read        array<u32>  FIRST: n f32 bits; else n pairs (value bits, count)
//   1 output  read_write  array<u32>  pairs at outOffset + workgroup
//   2 params  uniform     { n, outOffset, scale }
//
// Threads: workgroup 256 over a chunk of 1024 items: thread t combines items t, t + 256, t + 512,
// t + 768 in that order (coalesced), then a binary tree in workgroup memory (strides 128 .. 1).
//
// Accuracy: a pass is 3 sequential combines and 8 tree levels, so 11 roundings on any path from an
// item to the result (12 for squares), and ceil(log_1024 n) passes: |err| <= gamma_L * sum |x|,
// L = 12 * passes (+1 for scale, +1 for sqrt). max and min are exact.

struct Params {
  n: u32,
  outOffset: u32,
  scale: f32,
}

override OP: u32 = 0u;
override FIRST: bool = true;
override FINAL: bool = true;

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;
const PER_THREAD: u32 = 4u;
const NAN_BITS: u32 = 0x7fc00000u;
// Identities of max and min that are exact for every finite f32 (infinities cannot be used).
// Written in hex: the largest f32 exactly. The decimal 3.40282347e38 lies just above it, and the WGSL
// spec makes an abstract float outside the finite f32 range a shader-creation error (Tint rejects it;
// naga rounds it down).
const LOWEST: f32 = -0x1.fffffep+127f;
const HIGHEST: f32 = 0x1.fffffep+127f;

var<workgroup> values: array<f32, WG>;
var<workgroup> counts: array<u32, WG>;

fn identity() -> f32 {
  if (OP == 2u) {
    return LOWEST;
  }
  if (OP == 3u) {
    return HIGHEST;
  }
  return 0.0;
}

fn combine(a: f32, b: f32) -> f32 {
  if (OP == 2u) {
    return max(a, b);
  }
  if (OP == 3u) {
    return min(a, b);
  }
  return a + b;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = lid.x;
  let base = wid.x * WG * PER_THREAD;
  var v = identity();
  var count = 0u;
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = base + j * WG + t;
    if (i < params.n) {
      if (FIRST) {
        let bits = input[i];
        if ((bits & 0x7f800000u) == 0x7f800000u) {
          count += 1u;
        } else {
          var x = bitcast<f32>(bits);
          if (OP == 1u || OP == 4u) {
            x = x * x;
          }
          v = combine(v, x);
        }
      } else {
        v = combine(v, bitcast<f32>(input[2u * i]));
        count += input[2u * i + 1u];
      }
    }
  }
  values[t] = v;
  counts[t] = count;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride) {
      values[t] = combine(values[t], values[t + stride]);
      counts[t] = counts[t] + counts[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    var result = values[0];
    let bad = counts[0];
    if (FINAL) {
      if (OP == 0u || OP == 1u) {
        result = result * params.scale;
      } else if (OP == 4u) {
        result = sqrt(result * params.scale);
      }
    }
    let o = 2u * (params.outOffset + wid.x);
    output[o] = select(bitcast<u32>(result), NAN_BITS, FINAL && bad > 0u);
    output[o + 1u] = bad;
  }
}
