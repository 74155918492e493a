// im2col_forward: the patch matrix of a 2D convolution, channels last (NHWC): row
// (b, oy, ox) holds the kh·kw·inC taps of its window in Keras's kernel order (ky, kx, c), 0 for taps
// outside the image, so that patches · W (W as the (kh·kw·inC) × filters matrix) is the convolution.
// conv2d uses it (with the matmul kernels) for wide windows, where it measured faster than the
// direct convolution (see conv2d_forward.wgsl's header).
//
// Bindings: 0 x (read, rows × inH·inW·inC), 1 patches (read-write, rows·outH·outW × kh·kw·inC),
//           2 params (uniform: the geometry).
// Threads: one invocation per window tap (b, oy, ox, ky, kx), copying its inC channels (contiguous in
//          x and in the patch row), 64 per workgroup, flat index folded over x and y. Why: the index
//          arithmetic (6 integer div/mod) is paid once per tap instead of once per element: paired
//          interleaved A/B on llvmpipe, 64 × 13×13×C, 3×3 valid: 4.9× faster at C = 32, 3.4× at 12.
//
// Accuracy: a copy, exact.

struct Params {
  rows: u32,
  inH: u32,
  inW: u32,
  inC: u32,
  outH: u32,
  outW: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> patches: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = flat_index(gid, groups);
  let taps = p.kH * p.kW;
  if (i >= p.rows * p.outH * p.outW * taps) {
    return;
  }
  let tap = i % taps;
  let pos = i / taps;
  let kx = tap % p.kW;
  let ky = tap / p.kW;
  let ox = pos % p.outW;
  let oy = (pos / p.outW) % p.outH;
  let b = pos / (p.outW * p.outH);
  let iy = i32(oy * p.sH + ky) - i32(p.padTop);
  let ix = i32(ox * p.sW + kx) - i32(p.padLeft);
  let out = i * p.inC;
  if (iy >= 0 && iy < i32(p.inH) && ix >= 0 && ix < i32(p.inW)) {
    let src = ((b * p.inH + u32(iy)) * p.inW + u32(ix)) * p.inC;
    for (var c = 0u; c < p.inC; c = c + 1u) {
      patches[out + c] = x[src + c];
    }
  } else {
    for (var c = 0u; c < p.inC; c = c + 1u) {
      patches[out + c] = 0.0;
    }
  }
}
