// correct_forward.wgsl: per-row correctness, the numerator of Keras' accuracy metrics.
//
// MODE (override):
//   0 sparse categorical:  1 if argmax_c yPred[r, c] == yTrue[r] (a class index as f32; a label that
//                          is not exactly an integer never matches, as Keras' float equality)
//   1 categorical:         1 if argmax yPred[r, :] == argmax yTrue[r, :]
//   2 binary:              mean over columns of [yTrue[r, c] == (yPred[r, c] > threshold ? 1 : 0)]
//                          (Keras binary_accuracy: exact equality, so a target of 0.9 never matches)
// argmax: first index on ties, NaN wins at its first position, on integer keys of the bits (as
// argmax_forward.wgsl). A non-finite target or a NaN prediction counts as incorrect for MODE 2.
// Accuracy is then reduce_forward.wgsl (sum, scale 1/rows) over `correct`.
//
// Bindings (group 0):
//   0 yTrue    read        array<u32>  rows x tCols f32 bits (tCols = 1 for MODE 0, else cols)
//   1 yPred    read        array<u32>  rows x cols f32 bits
//   2 correct  read_write  array<f32>  rows
//   3 params   uniform     { rows, cols, threshold }
//
// Threads: one invocation per row (workgroup 64, folded into y). Accuracy: exact for MODE 0 and 1;
// MODE 2 is k / cols rounded once (<= u relative).

struct Params {
  rows: u32,
  cols: u32,
  threshold: f32,
}

override MODE: u32 = 0u;

@group(0) @binding(0) var<storage, read> yTrue: array<u32>;
@group(0) @binding(1) var<storage, read> yPred: array<u32>;
@group(0) @binding(2) var<storage, read_write> correct: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 64u;

fn orderKey(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn isNan(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn rowArgmax(o: u32, cols: u32, fromTruth: bool) -> u32 {
  var best = 0u;
  var bestKey = 0u;
  for (var c = 0u; c < cols; c++) {
    let bits = select(yPred[o + c], yTrue[o + c], fromTruth);
    if (isNan(bits)) {
      return c;
    }
    let key = orderKey(bits);
    if (c == 0u || key > bestKey) {
      best = c;
      bestKey = key;
    }
  }
  return best;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = r * cols;
  if (MODE == 0u) {
    let bits = yTrue[r];
    let label = bitcast<f32>(bits);
    let k = rowArgmax(o, cols, false);
    // Compare as floats only when the label is finite (the bit test guards the float compare).
    correct[r] = select(0.0, 1.0, isFinite(bits) && label == f32(k));
  } else if (MODE == 1u) {
    correct[r] = select(0.0, 1.0, rowArgmax(o, cols, true) == rowArgmax(o, cols, false));
  } else {
    let tKey = orderKey(bitcast<u32>(params.threshold));
    var hits = 0u;
    for (var c = 0u; c < cols; c++) {
      let pBits = yPred[o + c];
      let tBits = yTrue[o + c];
      let decided = select(0.0, 1.0, !isNan(pBits) && orderKey(pBits) > tKey);
      if (isFinite(tBits) && bitcast<f32>(tBits) == decided) {
        hits += 1u;
      }
    }
    correct[r] = f32(hits) / f32(cols);
  }
}
