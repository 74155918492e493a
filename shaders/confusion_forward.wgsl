// confusion_forward.wgsl: accumulates the confusion matrix counts[true * classes + predicted].
//
// The true class of a row is yTrue[r] read as a class index (TRUE_ONE_HOT = false: one f32 column,
// must be an integer in [0, classes)), or the argmax of its one-hot row (TRUE_ONE_HOT = true, first
// index on ties). The predicted class comes from argmax_forward.wgsl (multi-class) or
// threshold_forward.wgsl (binary: classes = 2). A row whose true or predicted class is not in
// [0, classes) is counted in counts[classes * classes] instead, so nothing is dropped silently.
// The kernel ADDS to counts: clear the buffer to start, or keep adding across batches of an epoch.
//
// Bindings (group 0):
//   0 yTrue      read        array<u32>          rows x tCols f32 bits (tCols = classes when one-hot)
//   1 predicted  read        array<u32>          rows class indices
//   2 counts     read_write  array<atomic<u32>>  classes * classes + 1
//   3 params     uniform     { rows, classes }
//
// Threads: one invocation per row (workgroup 64, folded into y), one integer atomicAdd each.
// Accuracy: exact; integer addition commutes, so the counts do not depend on scheduling.

struct Params {
  rows: u32,
  classes: u32,
}

override TRUE_ONE_HOT: bool = false;

@group(0) @binding(0) var<storage, read> yTrue: array<u32>;
@group(0) @binding(1) var<storage, read> predicted: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 64u;

fn orderKey(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn trueClass(r: u32, classes: u32) -> u32 {
  if (TRUE_ONE_HOT) {
    let o = r * classes;
    var best = 0u;
    var bestKey = 0u;
    for (var c = 0u; c < classes; c++) {
      let bits = yTrue[o + c];
      if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return classes; // NaN target row: invalid
      }
      let key = orderKey(bits);
      if (c == 0u || key > bestKey) {
        best = c;
        bestKey = key;
      }
    }
    return best;
  }
  let bits = yTrue[r];
  let v = bitcast<f32>(bits);
  if ((bits & 0x7f800000u) == 0x7f800000u || !(v >= 0.0 && v < f32(classes) && floor(v) == v)) {
    return classes;
  }
  return u32(v);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) {
    return;
  }
  let classes = params.classes;
  let t = trueClass(r, classes);
  let p = predicted[r];
  if (t >= classes || p >= classes) {
    atomicAdd(&counts[classes * classes], 1u);
  } else {
    atomicAdd(&counts[t * classes + p], 1u);
  }
}
