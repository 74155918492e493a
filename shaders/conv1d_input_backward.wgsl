// conv1d_input_backward: the input gradient of conv1d_forward, from dZ = dY ⊙ act'(Z):
//   dx[n, i, c] = Σ_k Σ_f dz[n, t, f] · w[k, c, f]   over the k with t = (i + padBefore - k)/stride
//   an integer in [0, outLength)  (the output positions whose window covered input i at tap k).
// A gather (each invocation computes its own element), not a scatter: no atomics, deterministic.
//
// Bindings: 0 dz (read, [batch, outLength, filters]), 1 w (read, [kernelSize, inChannels,
//           filters]), 2 dx (read-write, [batch, length, inChannels]),
//           3 params (uniform: as conv1d_forward).
// Threads: one invocation per input element (n, i, c), c fastest, 64 per workgroup, flat index
// folded over x and y.
// Accuracy: a recursive f32 sum of at most K·F products in (k, f) order:
// |err| <= gamma_{K·F}·Σ |dz·w|.

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

@group(0) @binding(0) var<storage, read> dz: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flat_index(gid, groups);
  let channels = params.inChannels;
  if (index >= params.batch * params.length * channels) {
    return;
  }
  let c = index % channels;
  let ni = index / channels;
  let i = ni % params.length;
  let n = ni / params.length;
  let filters = params.filters;
  var sum = 0.0;
  for (var k = 0u; k < params.kernelSize; k = k + 1u) {
    let shifted = i32(i + params.padBefore) - i32(k);
    if (shifted < 0 || u32(shifted) % params.stride != 0u) {
      continue;
    }
    let t = u32(shifted) / params.stride;
    if (t >= params.outLength) {
      continue;
    }
    let go = (n * params.outLength + t) * filters;
    let wo = (k * channels + c) * filters;
    for (var f = 0u; f < filters; f = f + 1u) {
      sum = sum + dz[go + f] * w[wo + f];
    }
  }
  dx[index] = sum;
}
