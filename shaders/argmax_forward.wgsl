// argmax_forward.wgsl: the index of each row's largest value, first index on ties (numpy, tf).
//
// Computes classes[r] = argmax_c x[r, c]. Comparisons run on integer keys of the f32 bits (sign
// flipped so unsigned order is float order, -0 mapped to +0 so they tie as floats do), which keeps
// +-Inf ordered correctly although WGSL may assume finite math. A NaN wins at its first position, as
// numpy's argmax does.
//
// Bindings (group 0):
//   0 x        read        array<u32>  rows x cols f32 bits (scores, probabilities or one-hot)
//   1 classes  read_write  array<u32>  rows
//   2 params   uniform     { rows, cols }
//
// Threads: one invocation per row (workgroup 64, folded into y past 65535 workgroups), scanning the
// row in column order. Accuracy: exact (integer comparisons only).

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> classes: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 64u;

fn orderKey(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn isNan(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) {
    return;
  }
  let o = r * params.cols;
  var best = 0u;
  var bestKey = 0u;
  for (var c = 0u; c < params.cols; c++) {
    let bits = x[o + c];
    if (isNan(bits)) {
      best = c;
      break;
    }
    let key = orderKey(bits);
    if (c == 0u || key > bestKey) {
      best = c;
      bestKey = key;
    }
  }
  classes[r] = best;
}
