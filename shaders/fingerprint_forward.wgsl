// fingerprint_forward.wgsl: a 64-bit fingerprint (two u32 lanes) of one batch's bits and row count,
// so the training loop can record it every step and the diagnosis can see "the same batch every
// step" (repeated-batch) without reading the batches back.
//
// fingerprint = (A, B) with, mod 2^32,
//   A = fmix(rows ^ SA_ROWS) + sum_i fmix(x_i ^ fmix(i ^ SA_X)) + sum_j fmix(y_j ^ fmix(j ^ SA_Y))
//   B = the same with the B salts,
// where x_i, y_j are the raw 32-bit patterns of the features and targets and fmix is MurmurHash3's
// 32-bit finaliser (a bijection). For a given position, distinct bits give distinct terms, and the
// position enters every term, so reordered rows give another fingerprint; two lanes with unrelated
// salts make a chance collision of two different batches about 2^-64. The sums are wrapping integer
// adds, which commute, so the result does not depend on scheduling: equal batches give equal
// fingerprints on any device, and fingerprint.ts computes the identical value with u32 ops.
//
// The kernel ADDS into record[2 * slot], record[2 * slot + 1] (atomics): the slot must be zero
// before the dispatch (clear the record buffer once per epoch; each step has its own slot).
//
// Bindings (group 0):
//   0 x       read        array<u32>          xLen feature words (f32 bits)
//   1 y       read        array<u32>          yLen target words
//   2 record  read_write  array<atomic<u32>>  pairs (A, B), one per step
//   3 params  uniform     { xLen, yLen, rows, slot }
//
// Threads: workgroup 256, grid-stride over the xLen + yLen words; each thread sums its terms, the
// workgroup adds them in a tree, and one invocation per workgroup does two atomicAdds.
// Accuracy: exact (integer arithmetic).

struct Params {
  xLen: u32,
  yLen: u32,
  rows: u32,
  slot: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> y: array<u32>;
@group(0) @binding(2) var<storage, read_write> record: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 256u;
const SA_X: u32 = 0x243f6a88u;
const SB_X: u32 = 0x85a308d3u;
const SA_Y: u32 = 0x13198a2eu;
const SB_Y: u32 = 0x03707344u;
const SA_ROWS: u32 = 0xa4093822u;
const SB_ROWS: u32 = 0x299f31d0u;

var<workgroup> laneA: array<u32, WG>;
var<workgroup> laneB: array<u32, WG>;

fn fmix(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let stride = groups.x * WG;
  var a = 0u;
  var b = 0u;
  for (var i = gid.x; i < params.xLen; i += stride) {
    a += fmix(x[i] ^ fmix(i ^ SA_X));
    b += fmix(x[i] ^ fmix(i ^ SB_X));
  }
  for (var j = gid.x; j < params.yLen; j += stride) {
    a += fmix(y[j] ^ fmix(j ^ SA_Y));
    b += fmix(y[j] ^ fmix(j ^ SB_Y));
  }
  if (gid.x == 0u) {
    a += fmix(params.rows ^ SA_ROWS);
    b += fmix(params.rows ^ SB_ROWS);
  }
  let t = lid.x;
  laneA[t] = a;
  laneB[t] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      laneA[t] = laneA[t] + laneA[t + s];
      laneB[t] = laneB[t] + laneB[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    atomicAdd(&record[2u * params.slot], laneA[0]);
    atomicAdd(&record[2u * params.slot + 1u], laneB[0]);
  }
}
