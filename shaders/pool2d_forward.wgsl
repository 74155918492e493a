// pool2d_forward: max or average pooling of each channel over kH×kW windows, channels last (NHWC),
// as Keras's MaxPooling2D / AveragePooling2D (TensorFlow's padding rule; "same" windows pool only
// their taps inside the image, the average divides by their count).
//
// Bindings: 0 x (read, rows × inH·inW·C), 1 y (read-write, rows × outH·outW·C),
//           2 argmax (read-write i32, same shape: max pooling writes the flat index within the row of
//           the tap each output took, the first largest, -1 for none; its backward routes dY there),
//           3 params (uniform: the geometry).
// Threads: one invocation per output element (b, oy, ox, c), 64 per workgroup, folded over x and y.
// NaN: WGSL's comparisons need not see NaN, so it is found by bit pattern; the first NaN of a
// window is taken (as TensorFlow's max pool propagates it).
//
// Accuracy: max is exact. Average: a recursive f32 sum of n <= kH·kW taps and one division:
// |y - y_exact| <= gamma_{n+1} · mean|x|, u = 2^-24.

override MODE: u32 = 0u; // 0 max, 1 average
// The window and strides as constants (the host sets them from the geometry; 0: read Params): the
// window loops unroll: 1.29× faster on llvmpipe (paired interleaved A/B, max 2×2 stride 2 over
// 64×26×26×16).
override KH: u32 = 0u;
override KW: u32 = 0u;
override SH: u32 = 0u;
override SW: u32 = 0u;

struct Params {
  rows: u32,
  inH: u32,
  inW: u32,
  channels: u32,
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
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<i32>;
@group(0) @binding(3) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let kH = select(p.kH, KH, KH > 0u);
  let kW = select(p.kW, KW, KW > 0u);
  let sH = select(p.sH, SH, SH > 0u);
  let sW = select(p.sW, SW, SW > 0u);
  let i = flat_index(gid, groups);
  if (i >= p.rows * p.outH * p.outW * p.channels) {
    return;
  }
  let c = i % p.channels;
  let pos = i / p.channels;
  let ox = pos % p.outW;
  let oy = (pos / p.outW) % p.outH;
  let b = pos / (p.outW * p.outH);
  let row = b * p.inH * p.inW * p.channels;
  var best = 0.0;
  var at = -1;
  var sum = 0.0;
  var count = 0u;
  for (var ky = 0u; ky < kH; ky = ky + 1u) {
    let iy = i32(oy * sH + ky) - i32(p.padTop);
    if (iy < 0 || iy >= i32(p.inH)) {
      continue;
    }
    for (var kx = 0u; kx < kW; kx = kx + 1u) {
      let ix = i32(ox * sW + kx) - i32(p.padLeft);
      if (ix < 0 || ix >= i32(p.inW)) {
        continue;
      }
      let t = (u32(iy) * p.inW + u32(ix)) * p.channels + c;
      let v = x[row + t];
      sum = sum + v;
      count = count + 1u;
      if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) {
        best = v;
        at = i32(t);
      }
    }
  }
  if (MODE == 0u) {
    y[i] = select(best, 0.0, at < 0);
    argmax[i] = at;
  } else {
    y[i] = select(sum / f32(max(count, 1u)), 0.0, count == 0u);
  }
}
