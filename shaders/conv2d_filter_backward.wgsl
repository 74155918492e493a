// conv2d_filter_backward: dW = ∂L/∂W of conv2d_forward from dZ, channels last (NHWC):
//   dW[ky, kx, c, f] = Σ_{b, oy, ox} X[b, oy·sH + ky - padTop, ox·sW + kx - padLeft, c] · dZ[b, oy, ox, f]
//   (taps outside the image contribute 0).
// Each invocation owns one dW element and sums over the batch and the output positions in order:
// deterministic, no atomics. The bias gradient (Σ dZ per filter) is dense_bias_backward's column sums
// of dZ viewed as (rows·outH·outW) × filters.
//
// Bindings: 0 x (read, rows × inH·inW·inC), 1 dz (read, rows × outH·outW·filters),
//           2 dw (read-write, kh·kw·inC·filters), 3 params (uniform: the geometry).
// Threads: one invocation per dW element, f fastest, 64 per workgroup, flat index folded over x and y.
// Order: b, oy, ox ascending.
//
// Accuracy: a recursive f32 sum of at most n = rows·outH·outW products:
// |dw - dw_exact| <= gamma_n · Σ |x·dz|, u = 2^-24.

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

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = flat_index(gid, groups);
  if (i >= p.kH * p.kW * p.inC * p.filters) {
    return;
  }
  let f = i % p.filters;
  let c = (i / p.filters) % p.inC;
  let kx = (i / (p.filters * p.inC)) % p.kW;
  let ky = i / (p.filters * p.inC * p.kW);
  var sum = 0.0;
  for (var b = 0u; b < p.rows; b = b + 1u) {
    for (var oy = 0u; oy < p.outH; oy = oy + 1u) {
      let iy = i32(oy * p.sH + ky) - i32(p.padTop);
      if (iy < 0 || iy >= i32(p.inH)) {
        continue;
      }
      for (var ox = 0u; ox < p.outW; ox = ox + 1u) {
        let ix = i32(ox * p.sW + kx) - i32(p.padLeft);
        if (ix < 0 || ix >= i32(p.inW)) {
          continue;
        }
        let xv = x[((b * p.inH + u32(iy)) * p.inW + u32(ix)) * p.inC + c];
        sum = sum + xv * dz[((b * p.outH + oy) * p.outW + ox) * p.filters + f];
      }
    }
  }
  dw[i] = sum;
}
