// conv2d_input_backward: dX = ∂L/∂X of conv2d_forward from dZ, channels last (NHWC):
//   dX[b, iy, ix, c] = Σ_{ky, kx, f} dZ[b, oy, ox, f] · W[ky, kx, c, f]
//   over the taps with oy·sH + ky - padTop = iy and ox·sW + kx - padLeft = ix, 0 <= oy < outH, 0 <= ox < outW.
// A gather (each invocation owns one dX element and sums what reaches it): deterministic, no atomics.
//
// Bindings: 0 dz (read, rows × outH·outW·filters), 1 w (read, [kh, kw, inC, filters]),
//           2 dx (read-write, rows × inH·inW·inC), 3 params (uniform: the geometry).
// Threads: one invocation per input position (b, iy, ix) and block of 4 consecutive input channels
//          (a vec4 accumulator; past the last channel a lane repeats the last one and stores nothing):
//          64 positions per workgroup, folded over x and y; the channel block is workgroup_id.z. As
//          in conv2d_forward.wgsl: every weight load is uniform in the workgroup and each dZ load
//          serves 4 channels. Paired interleaved A/B on llvmpipe, 64 × 13×13×C → 16 filters 3×3
//          same, against one invocation per element: 2.04× faster at C = 8, 1.60× at C = 3.
// Order: ky, kx ascending, then f ascending.
//
// Accuracy: a recursive f32 sum of at most n = kh·kw·filters products:
// |dx - dx_exact| <= gamma_n · Σ |dz·w|, u = 2^-24.

struct Params {
  rows: u32,
  inH: u32,
  inW: u32,
  inC: u32,
  outH: u32,
  outW: u32,
  filters: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<storage, read> dz: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let pos = flat_index(gid, groups);
  if (pos >= p.rows * p.inH * p.inW) {
    return;
  }
  let ix = i32(pos % p.inW);
  let iy = i32((pos / p.inW) % p.inH);
  let b = pos / (p.inW * p.inH);
  // The block's four input channels (uniform in the workgroup); past the last one, the last again.
  let c0 = wid.z * 4u;
  let last = p.inC - 1u;
  let c = vec4u(c0, min(c0 + 1u, last), min(c0 + 2u, last), min(c0 + 3u, last));
  var sum = vec4f(0.0);
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
      let zo = ((b * p.outH + oy) * p.outW + ox) * p.filters;
      let wo = (ky * p.kW + kx) * p.inC * p.filters;
      let w4 = c * p.filters + vec4u(wo);
      for (var f = 0u; f < p.filters; f = f + 1u) {
        sum = sum + dz[zo + f] * vec4f(w[w4.x + f], w[w4.y + f], w[w4.z + f], w[w4.w + f]);
      }
    }
  }
  // Constant component indices: a vector indexed by a loop variable would go through memory.
  let o = pos * p.inC + c0;
  dx[o] = sum.x;
  if (c0 + 1u < p.inC) {
    dx[o + 1u] = sum.y;
  }
  if (c0 + 2u < p.inC) {
    dx[o + 2u] = sum.z;
  }
  if (c0 + 3u < p.inC) {
    dx[o + 3u] = sum.w;
  }
}
