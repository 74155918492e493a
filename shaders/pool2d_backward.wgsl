// pool2d_backward: dX of pool2d_forward from dY, channels last. Max: each output's gradient goes to
// the tap it took (argmax); average: each output's gradient divided by its tap count goes to every
// tap of its window. A gather (each invocation owns one dX element and sums the outputs whose window
// holds it): deterministic, no atomics.
//
// Fused (FUSED = 1): the layer below's act' (ACTIVATION) is applied too, dx = (Σ ...) · act'(z), so dx is
// that layer's dZ and its own dY ⊙ act'(Z) pass is skipped (one dispatch and one read and write of
// an activation-sized buffer fewer; the same product, so the same bits as the two passes).
//
// Bindings: 0 dy (read, rows × outH·outW·C), 1 argmax (read i32, as written by the forward pass),
//           2 z (read, the layer below's pre-activations, rows × inH·inW·C; unused and bound to dy
//           when FUSED is 0), 3 dx (read-write, rows × inH·inW·C), 4 params (uniform: the geometry).
// Threads: one invocation per dX element (b, iy, ix, c), 64 per workgroup, folded over x and y.
// Order: ky, kx ascending (the windows holding the element).
//
// Accuracy: max: a sum of at most ceil(kH/sH)·ceil(kW/sW) gradients (exact when windows do not
// overlap); average: as many quotients, each rounded once: |dx - dx_exact| <= gamma_{2n} · Σ|dy|/count.

override MODE: u32 = 0u; // 0 max, 1 average
override FUSED: u32 = 0u;
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.2;
// The window and strides as constants (the host sets them from the geometry; 0: read Params): the
// window loops unroll, the stride tests become constant, and windows that do not overlap take a
// path without loops. Paired interleaved A/B on llvmpipe, max 2×2 stride 2 over 64×26×26×16, against
// the kernel with uniform geometry and no fusion: 2.9× faster with the constants alone, 4.0× with the
// loop-free path, both while also applying the fused act'.
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

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<i32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// act' of the layer below, as activation_backward.wgsl's (TensorFlow's conventions at the kinks; the
// copies are held equal by test/kernels/coverage.test.ts).
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn derivative(v: f32) -> f32 {
  var d = 1.0;
  switch ACTIVATION {
    case 1u: { d = select(0.0, 1.0, v > 0.0); }
    case 2u: { d = select(ALPHA, 1.0, v > 0.0); }
    case 3u: { d = select(ALPHA * exp(min(v, 0.0)), 1.0, v > 0.0); }
    case 4u: {
      let e = exp(-min(abs(v), 88.0));
      d = e / ((1.0 + e) * (1.0 + e));
    }
    case 5u: {
      let e = exp(-min(2.0 * abs(v), 88.0));
      d = 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    default: {}
  }
  return select(d, v, is_nan(v));
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// Taps of the window of output (oy, ox) inside the image.
fn tap_count(oy: u32, ox: u32, kH: u32, kW: u32, sH: u32, sW: u32) -> u32 {
  let p = params;
  let y0 = i32(oy * sH) - i32(p.padTop);
  let x0 = i32(ox * sW) - i32(p.padLeft);
  let h = min(y0 + i32(kH), i32(p.inH)) - max(y0, 0);
  let w = min(x0 + i32(kW), i32(p.inW)) - max(x0, 0);
  return u32(max(h, 0) * max(w, 0));
}

// `sum` plus what output o (window (oy, ox)) sends to the element t of its image: max: dy if t is the
// tap it took; average: dy over the window's tap count.
fn add_output(sum: f32, o: u32, t: i32, oy: u32, ox: u32, kH: u32, kW: u32, sH: u32, sW: u32) -> f32 {
  if (MODE == 0u) {
    if (argmax[o] == t) {
      return sum + dy[o];
    }
    return sum;
  }
  return sum + dy[o] / f32(tap_count(oy, ox, kH, kW, sH, sW));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let kH = select(p.kH, KH, KH > 0u);
  let kW = select(p.kW, KW, KW > 0u);
  let sH = select(p.sH, SH, SH > 0u);
  let sW = select(p.sW, SW, SW > 0u);
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
  if (sH >= kH && sW >= kW) {
    // Windows that do not overlap (2×2 stride 2, the common case; a constant test when the window is
    // given as overrides): at most one window holds the element, found by one division per axis.
    let ty = u32(iy + i32(p.padTop));
    let tx = u32(ix + i32(p.padLeft));
    let oy = ty / sH;
    let ox = tx / sW;
    if (ty % sH < kH && tx % sW < kW && oy < p.outH && ox < p.outW) {
      let o = ((b * p.outH + oy) * p.outW + ox) * p.channels + c;
      sum = add_output(sum, o, t, oy, ox, kH, kW, sH, sW);
    }
  } else {
    for (var ky = 0u; ky < kH; ky = ky + 1u) {
      let ty = iy + i32(p.padTop) - i32(ky);
      if (ty < 0 || ty % i32(sH) != 0) {
        continue;
      }
      let oy = u32(ty) / sH;
      if (oy >= p.outH) {
        continue;
      }
      for (var kx = 0u; kx < kW; kx = kx + 1u) {
        let tx = ix + i32(p.padLeft) - i32(kx);
        if (tx < 0 || tx % i32(sW) != 0) {
          continue;
        }
        let ox = u32(tx) / sW;
        if (ox >= p.outW) {
          continue;
        }
        let o = ((b * p.outH + oy) * p.outW + ox) * p.channels + c;
        sum = add_output(sum, o, t, oy, ox, kH, kW, sH, sW);
      }
    }
  }
  if (FUSED == 1u) {
    sum = sum * derivative(z[i]);
  }
  dx[i] = sum;
}
