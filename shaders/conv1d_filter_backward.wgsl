// conv1d_filter_backward: the kernel gradient of conv1d_forward, from dZ = dY ⊙ act'(Z):
//   dw[k, c, f] = Σ_n Σ_t x[n, t·stride + k - padBefore, c] · dz[n, t, f]   (padding contributes 0)
// The bias gradient db[f] = Σ_{n,t} dz[n, t, f] is dense_bias_backward over the
// (batch·outLength) × filters matrix dz.
//
// Bindings: 0 x (read, [batch, length, inChannels]), 1 dz (read, [batch, outLength, filters]),
//           2 dw (read-write, [kernelSize, inChannels, filters]), 3 params (uniform: as conv1d_forward).
// Threads: one invocation per kernel entry (k, c, f), f fastest, 64 per workgroup, flat index
// folded over x and y; each sums its batch·outLength terms in (n, t) order: deterministic, no
// atomics. Neighbouring invocations read consecutive dz entries.
// Accuracy: a recursive f32 sum of batch·outLength products: |err| <= gamma_{N·T}·Σ |x·dz|.

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
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flat_index(gid, groups);
  let filters = params.filters;
  let channels = params.inChannels;
  if (index >= params.kernelSize * channels * filters) {
    return;
  }
  let f = index % filters;
  let kc = index / filters;
  let c = kc % channels;
  let k = kc / channels;
  var sum = 0.0;
  for (var n = 0u; n < params.batch; n = n + 1u) {
    for (var t = 0u; t < params.outLength; t = t + 1u) {
      let pos = i32(t * params.stride + k) - i32(params.padBefore);
      if (pos < 0 || pos >= i32(params.length)) {
        continue;
      }
      sum = sum + x[(n * params.length + u32(pos)) * channels + c] * dz[(n * params.outLength + t) * filters + f];
    }
  }
  dw[index] = sum;
}
