// pool2d_backward: dX of pool2d_forward from dY, channels last. Max: each output's gradient goes to
// the tap it took (argmax); average: each output's gradient divided by its tap count goes to every
// tap of its window. A gather (each invocation owns one dX element and sums the outputs whose window
// holds it): deterministic, no atomics.
//
// Bindings: 0 dy (read, rows × outH·outW·C), 1 argmax (read i32, as written by the forward pass),
//           2 dx (read-write, rows × inH·inW·C), 3 params (uniform: the geometry).
// Threads: one invocation per dX element (b, iy, ix, c), 64 per workgroup, folded over x and y.
// Order: ky, kx ascending (the windows holding the element).
//
// Accuracy: max: a sum of at most ceil(kH/sH)·ceil(kW/sW) gradients (exact when windows do not
// overlap); average: as many quotients, each rounded once: |dx - dx_exact| <= gamma_{2n} · Σ|dy|/count.

override MODE: u32 = 0u; // 0 max, 1 average

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

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// Taps of the window of output (oy, ox) inside the image.
fn tap_count(oy: u32, ox: u32) -> u32 {
  let p = params;
  let y0 = i32(oy * p.sH) - i32(p.padTop);
  let x0 = i32(ox * p.sW) - i32(p.padLeft);
  let h = min(y0 + i32(p.kH), i32(p.inH)) - max(y0, 0);
  let w = min(x0 + i32(p.kW), i32(p.inW)) - max(x0, 0);
  return u32(max(h, 0) * max(w, 0));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = flat_index(gid, groups);
  if (i >= p.rows * p.inH * p.inW * p.channels) {
    return;
  }
  let c = i % p.channels;
  let pos = i / p.channels;
  let ix = i32(pos % p.inW);
  let iy = i32((pos / p.inW) % p.inH);
  let b = pos / (p.inW * p.inH);
  let t = i32(pos % (p.inW * p.inH)) * i32(p.channels) + i32(c);
  var sum = 0.0;
  for (var ky = 0u; ky < p.kH; ky = ky + 1u) {
    let ty = iy + i32(p.padTop) - i32(ky);
    if (ty < 0 || ty % i32(p.sH) != 0) {
      continue;
    }
    let oy = u32(ty) / p.sH;
    if (oy >= p.outH) {
      continue;
    }
    for (var kx = 0u; kx < p.kW; kx = kx + 1u) {
      let tx = ix + i32(p.padLeft) - i32(kx);
      if (tx < 0 || tx % i32(p.sW) != 0) {
        continue;
      }
      let ox = u32(tx) / p.sW;
      if (ox >= p.outW) {
        continue;
      }
      let o = ((b * p.outH + oy) * p.outW + ox) * p.channels + c;
      if (MODE == 0u) {
        if (argmax[o] == t) {
          sum = sum + dy[o];
        }
      } else {
        sum = sum + dy[o] / f32(tap_count(oy, ox));
      }
    }
  }
  dx[i] = sum;
}
