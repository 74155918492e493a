// matmul_pack_forward: op(X) packed into an rgba32float texture for matmul_texture_forward, four
// consecutive columns a texel: texel (q, r) = op(X)[r, 4q..4q+3], 0 past the last column. op(X) is
// rows×cols, row-major; X is stored cols×rows when TRANSPOSE (so a transposed operand comes out
// packed along the dimension the product reduces over, like any other).
//
// Why: CPU adapters (llvmpipe) load from a storage buffer lane by lane, with a branch per lane and a
// bounds check per component, while a texel fetch is one branch-free gather of 16 bytes per lane.
// Packing costs one read of X per product (O(rows·cols)); the product then reads every texel
// ~(the other dimension)/8 times (O(rows·cols·n/8)), so for large products
// the packing is a small part of the time and the product runs faster overall (matmul.ts packsPayOff).
//
// Exact: values are copied, never computed, so the packed product is bit-identical to one that
// reads the buffer.
//
// Bindings: 0 x (read), 1 packed (write-only rgba32float texture, at least ceil(cols/4) × rows),
//           2 params (uniform: rows, cols).
// Threads: one texel each, x over texels of a row, y over rows.

override TRANSPOSE: bool = false;
override WG_X: u32 = 64u;

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // rows and cols mixed with a run-time length so that lavapipe does not inline them as constants
  // and recompile the shader at every bind (see matmul_vec4_forward.wgsl): min(v, len + v) = v.
  let given = vec2u(params.rows, params.cols);
  let dims = min(given, vec2u(arrayLength(&x)) + given);
  let rows = dims.x;
  let cols = dims.y;
  let q = gid.x;
  let r = gid.y;
  if (r >= rows || q >= (cols + 3u) / 4u) {
    return;
  }
  var texel = vec4f(0.0);
  for (var j = 0u; j < 4u; j = j + 1u) {
    let c = 4u * q + j;
    if (c < cols) {
      if (TRANSPOSE) {
        texel[j] = x[c * rows + r];
      } else {
        texel[j] = x[r * cols + c];
      }
    }
  }
  textureStore(packed, vec2u(q, r), texel);
}
