// conv1d_forward: Keras Conv1D, channels last, direct convolution with a fused epilogue:
//   z[n, t, f] = b[f] + Σ_k Σ_c x[n, t·stride + k - padBefore, c] · w[k, c, f],   y = act(z)
// x is [batch, length, inChannels], w [kernelSize, inChannels, filters] (Keras's layout), b
// [filters], z and y [batch, outLength, filters]. The host computes outLength and padBefore from
// the padding ("same": the smaller half of the padding before, as TensorFlow); input positions
// outside [0, length) are the zero padding and are skipped.
//
// Direct rather than im2col + matmul: a 1-D window is K·C contiguous values per output position
// (channels last), so the direct loop reads the same memory an im2col copy would, without writing
// a batch·outLength × K·C buffer (K times the input) every step or a second dispatch; the matmul's
// tiling pays off for long reductions, and K·C is small for the sequence models this layer serves.
// Chosen by reasoning, not measured: timings on this project's shared CPU adapter are meaningless.
//
// Bindings: 0 x (read), 1 w (read), 2 bias (read, filters), 3 z (read-write), 4 y (read-write),
//           5 params (uniform: batch, length, inChannels, filters, kernelSize, stride, outLength,
//           padBefore).
// Threads: one invocation per output element (n, t, f), f fastest, 64 per workgroup, flat index
// folded over x and y: neighbours share the input window and read consecutive kernel entries.
//
// Accuracy: a recursive f32 sum in (k, c) order starting from the bias (padding adds nothing):
// |err| <= gamma_{K·C+1}·(Σ |x·w| + |b|), plus the activation's own error.

// 0 linear, 1 relu, 2 leaky-relu, 3 elu, 4 sigmoid, 5 tanh.
override ACTIVATION: u32 = 0u;
// leaky-relu's negative slope (Keras activations.leaky_relu default 0.2) or elu's alpha (1.0).
override ALPHA: f32 = 0.2;

struct Params {
  batch: u32,
  length: u32,
  inChannels: u32,
  filters: u32,
  kernelSize: u32,
  stride: u32,
  outLength: u32,
  padBefore: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// --- activation (identical in every shader that applies one; the tests compare the copies) ---
// WGSL may assume finite math and its max/min/clamp need not propagate NaN, so NaN is detected by
// bit pattern and passed through; exp and tanh arguments are clamped where the result is already
// saturated in f32 (e^-88 ~ 6e-39; tanh(10) rounds to 1). Accuracy (WGSL spec): exp within
// 3 + 2|x| ULP, tanh inherited from sinh/cosh (absolute error ~1e-7 near 0).
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn activate(v: f32) -> f32 {
  var r = v;
  switch ACTIVATION {
    case 1u: { r = select(0.0, v, v > 0.0); }
    case 2u: { r = select(v * ALPHA, v, v > 0.0); }
    case 3u: { r = select(ALPHA * (exp(min(v, 0.0)) - 1.0), v, v > 0.0); }
    case 4u: {
      let e = exp(-min(abs(v), 88.0));
      r = select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case 5u: { r = tanh(clamp(v, -10.0, 10.0)); }
    default: {}
  }
  return select(r, v, is_nan(v));
}
// --- end activation ---

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let filters = params.filters;
  if (i >= params.batch * params.outLength * filters) {
    return;
  }
  let f = i % filters;
  let nt = i / filters;
  let t = nt % params.outLength;
  let n = nt / params.outLength;
  let channels = params.inChannels;
  var sum = bias[f];
  for (var k = 0u; k < params.kernelSize; k = k + 1u) {
    // Signed: the window may start in the padding before position 0.
    let pos = i32(t * params.stride + k) - i32(params.padBefore);
    if (pos < 0 || pos >= i32(params.length)) {
      continue;
    }
    let xo = (n * params.length + u32(pos)) * channels;
    let wo = k * channels * filters + f;
    for (var c = 0u; c < channels; c = c + 1u) {
      sum = sum + x[xo + c] * w[wo + c * filters];
    }
  }
  z[i] = sum;
  y[i] = activate(sum);
}
