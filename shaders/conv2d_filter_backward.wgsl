// conv2d_filter_backward: the partial sums of dW = ∂L/∂W (and of db = Σ dZ per filter) of
// conv2d_forward, channels last (NHWC):
//   dW[ky, kx, c, f] = Σ_{b, oy, ox} X[b, oy·sH + ky - padTop, ox·sW + kx - padLeft, c] · dZ[b, oy, ox, f]
//   (taps outside the image contribute 0), db[f] = Σ_{b, oy, ox} dZ[b, oy, ox, f].
// The output positions (b, oy, ox), flattened, are cut into `chunks` consecutive ranges of equal
// length (the last ones may be shorter or empty); this kernel writes each range's sums, and
// conv2d_filter_reduce_backward.wgsl adds the ranges up in order: deterministic, no atomics.
// Why two passes: one invocation per weight summing every position (the direct form) leaves
// kh·kw·cin·filters invocations, 144 for the bench's first layer: 3 workgroups on the whole
// device, 14 ms of a 80 ms step on llvmpipe. Chunks give chunks × as many invocations.
//
// Bindings: 0 x (read, rows × inH·inW·inC), 1 dz (read, rows × outH·outW·filters),
//           2 partials (read-write, chunks × (kh·kw·inC + 1)·filters: per chunk, dW's elements
//           in Keras's [kh, kw, inC, filters] order, then db's), 3 params (uniform: the geometry
//           and the chunk count).
// Threads: one invocation per chunk, weight row (ky, kx, c; row kh·kw·inC is the bias) and block of
//          4 consecutive filters (a vec4 accumulator: each input load serves 4 filters; past the
//          last filter a lane repeats the last one and stores nothing), blocks fastest, then rows,
//          then chunks; 64 per workgroup, flat index folded over x and y.
// Order: within a chunk, positions ascending.
//
// Accuracy: a product passes through at most len - 1 additions in its chunk and one per non-empty
// chunk in the reduction, len = ceil(rows·outH·outW / chunks), so |dw - dw_exact| <=
// gamma_{len + chunks} · Σ |x·dz|, and never more than gamma_{rows·outH·outW} · Σ |x·dz| (the bound of
// the one-pass sum), u = 2^-24; db alike with Σ |dz|.

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
  chunks: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Flat index: the host folds more than 65535 workgroups into y (kernels/kernel.ts linearWorkgroups).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let taps = p.kH * p.kW * p.inC;
  let blocks = (p.filters + 3u) / 4u;
  let perChunk = (taps + 1u) * blocks;
  let i = flat_index(gid, groups);
  if (i >= perChunk * p.chunks) {
    return;
  }
  let s = i / perChunk;
  let r = i % perChunk;
  let f0 = (r % blocks) * 4u;
  let k = r / blocks;
  let c = k % p.inC;
  let kx = (k / p.inC) % p.kW;
  let ky = k / (p.inC * p.kW);
  let isBias = k == taps;
  let last = p.filters - 1u;
  let f = vec4u(f0, min(f0 + 1u, last), min(f0 + 2u, last), min(f0 + 3u, last));

  let positions = p.rows * p.outH * p.outW;
  let len = (positions + p.chunks - 1u) / p.chunks;
  let start = min(s * len, positions);
  let end = min(start + len, positions);
  // (b, oy, ox) of the chunk's first position, then stepped without division.
  var ox = start % p.outW;
  var oy = (start / p.outW) % p.outH;
  var b = start / (p.outW * p.outH);
  var sum = vec4f(0.0);
  for (var q = start; q < end; q = q + 1u) {
    var xv = 1.0;
    var inside = true;
    if (!isBias) {
      let iy = i32(oy * p.sH + ky) - i32(p.padTop);
      let ix = i32(ox * p.sW + kx) - i32(p.padLeft);
      inside = iy >= 0 && iy < i32(p.inH) && ix >= 0 && ix < i32(p.inW);
      if (inside) {
        xv = x[((b * p.inH + u32(iy)) * p.inW + u32(ix)) * p.inC + c];
      }
    }
    if (inside) {
      let o = q * p.filters;
      sum = sum + xv * vec4f(dz[o + f.x], dz[o + f.y], dz[o + f.z], dz[o + f.w]);
    }
    ox = ox + 1u;
    if (ox == p.outW) {
      ox = 0u;
      oy = oy + 1u;
      if (oy == p.outH) {
        oy = 0u;
        b = b + 1u;
      }
    }
  }
  // Constant component indices: a vector indexed by a loop variable would go through memory.
  let o = s * (taps + 1u) * p.filters + k * p.filters + f0;
  partials[o] = sum.x;
  if (f0 + 1u < p.filters) {
    partials[o + 1u] = sum.y;
  }
  if (f0 + 2u < p.filters) {
    partials[o + 2u] = sum.z;
  }
  if (f0 + 3u < p.filters) {
    partials[o + 3u] = sum.w;
  }
}
