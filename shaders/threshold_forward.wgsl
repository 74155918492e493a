// threshold_forward.wgsl: element-wise decision p > t (Keras binary_accuracy's `y_pred > threshold`,
// strictly greater), as 0/1 u32.
//
// Compared on integer keys of the f32 bits (see argmax_forward.wgsl), so +-Inf compare as floats do
// although WGSL may assume finite math; NaN is never above the threshold (numpy: NaN > t is False).
//
// Bindings (group 0):
//   0 p        read        array<u32>  n f32 bits (probabilities, or logits with t = 0)
//   1 decided  read_write  array<u32>  n, 1 where p > t else 0
//   2 params   uniform     { n, threshold }
//
// Threads: one invocation per element, workgroup 256, folded into y past 65535 workgroups.
// Accuracy: exact.

struct Params {
  n: u32,
  threshold: f32,
}

@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> decided: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const WG: u32 = 256u;

fn orderKey(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.n) {
    return;
  }
  let bits = p[i];
  let nan = (bits & 0x7fffffffu) > 0x7f800000u;
  decided[i] = select(0u, 1u, !nan && orderKey(bits) > orderKey(bitcast<u32>(params.threshold)));
}
