// col2im_backward: dX of im2col_forward, the adjoint of the patch matrix: each input element sums
// the patch entries that copied it,
//   dX[b, iy, ix, c] = Σ_{ky, kx} dPatches[(b, oy, ox), (ky, kx, c)]
//   over the windows (oy, ox) with oy·sH + ky - padTop = iy and ox·sW + kx - padLeft = ix.
// With dPatches = dZ · Wᵀ (the matmul kernels) this is conv2d's input gradient for layers that train
// through im2col: a product of depth `filters` on the fast matmul, then a gather of at most kh·kw
// terms, instead of conv2d_input_backward's gather of kh·kw·filters products per element (measured
// on llvmpipe, 64 × 13×13×32 → 64 filters 3×3: 302 ms direct; see src/layers/conv2d.ts).
// A gather (each invocation owns one dX element): deterministic, no atomics.
//
// Bindings: 0 patches (read, (rows·outH·outW) × (kh·kw·inC): dPatches), 1 dx (read-write,
//           rows × inH·inW·inC), 2 params (uniform: the geometry).
// Threads: one invocation per dX element (b, iy, ix, c), c fastest, 64 per workgroup, flat index
//          folded over x and y. The window and strides are override constants (0: read Params): the
//          window loops unroll and the stride tests become constant.
// Order: ky, kx ascending.
//
// Accuracy: a recursive f32 sum of at most kh·kw terms: |dx - dx_exact| <= gamma_{kh·kw} · Σ |terms|,
// u = 2^-24 (exact when the windows do not overlap).

override KH: u32 = 0u;
override KW: u32 = 0u;
override SH: u32 = 0u;
override SW: u32 = 0u;

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

@group(0) @binding(0) var<storage, read> patches: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Flat element index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
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
  if (i >= p.rows * p.inH * p.inW * p.inC) {
    return;
  }
  let c = i % p.inC;
  let pos = i / p.inC;
  let ix = i32(pos % p.inW);
  let iy = i32((pos / p.inW) % p.inH);
  let b = pos / (p.inW * p.inH);
  let depth = kH * kW * p.inC;
  var sum = 0.0;
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
      let row = (b * p.outH + oy) * p.outW + ox;
      sum = sum + patches[row * depth + (ky * kW + kx) * p.inC + c];
    }
  }
  dx[i] = sum;
}
