// loss_forward.wgsl: per-row loss values of one batch, in Keras semantics (CONTRACT §2).
//
// Computes perRow[r] = L(yTrue[r, :], yPred[r, :]) for r < rows. LOSS (an override, so each pipeline
// keeps only its own branch; the nine share the row loop, the bit-pattern guard and the clip, which
// is why they live in one file per pass rather than one per family):
//   0 mse, 1 mae, 2 huber(delta)          mean over the columns of the element loss
//   3 binary CE, 4 binary CE from logits  mean over the columns
//   5 categorical CE, 6 ... from logits   sum over the classes
//   7 sparse CE, 8 ... from logits        yTrue is one column of class indices
// Probabilities clip to [1e-7, 1 - 1e-7]. Binary CE uses log(clamp(1 - p)) rather than
// log(1 - clamp(p)): equal in exact arithmetic, but 1 - p is exact in f32 for p >= 0.5 while
// 1 - f32(1 - 1e-7) is 1.19e-7, which would put -log at 15.94 instead of 16.12 for a saturated p.
// Categorical from probabilities divides the row by its sum, then clips; sparse from probabilities
// is log(sum_j clip(p_j)) - log(clip(p_k)) (Keras: clip, log, softmax cross-entropy). From logits:
// max(x, 0) - x*y + log1p(exp(-|x|)) and (m - x_k) + log(sum_j exp(x_j - m)) with m the row max.
// With ROW_WEIGHTS the row's value is multiplied by rowWeight[r] (Keras scales each row's loss by its
// class weight before the reduction; one more correctly rounded product).
// The reduced loss (mean or sum over rows) is reduce_forward.wgsl over perRow.
//
// Bindings (group 0):
//   0 yTrue   read        array<u32>  rows x cols f32 bits (sparse: rows x 1 class indices as f32;
//                                     TARGET_BROADCAST: rows x 1 values)
//   1 yPred   read        array<u32>  rows x cols f32 bits, probabilities or logits
//   2 perRow  read_write  array<u32>  rows, f32 bits (written as bits: a NaN constant cannot be
//                                     made with a WGSL const-expression)
//   3 rowWeight read      array<f32>  rows: each row's weight (Keras class_weight / sample_weight);
//                                     read only when ROW_WEIGHTS = 1 (else bind any small buffer)
//   4 params  uniform     { rows, cols, delta }
// Inputs are bound as u32 so that the non-finite test runs on integers the compiler cannot assume
// away (WGSL may assume finite math): a row with any NaN/Inf input, a zero or non-finite row sum
// (categorical from probabilities), or a sparse label that is not an integer in [0, cols) gets NaN.
//
// Threads: one invocation per row, workgroup 64, rows folded into y past 65535 workgroups; each
// invocation loops over the row's columns (1-3 passes), in column order.
//
// Accuracy (WGSL: + - * correctly rounded, / within 2.5 ULP (5u); log: abs err <= 2^-21 on [0.5, 2], else 3 ULP;
// exp: 3 + 2|x| ULP): the row sum of K terms adds gamma_K * sum|terms|; each log adds <= 2^-21
// absolute (arguments near 1) or 3 ULP relative; exp arguments are <= 0 (max-shifted, clamped at
// -87 where exp is ~1e-38), where (3 + 2|d|) ULP * e^d <= 3 ULP absolute per term. log1p(t) uses
// a 4-term series below t = 1/64 (truncation t^5/5 < 2^-31 t). Test tolerances follow from this.

struct Params {
  rows: u32,
  cols: u32,
  delta: f32,
}

override LOSS: u32 = 0u;
// 1: yTrue is rows x 1, compared with every column of its row (Keras broadcasting of a (rows, 1)
// target against (rows, cols) predictions: the classic MSE-on-class-indices setup). Not for sparse.
override TARGET_BROADCAST: u32 = 0u;
// 1: each row's loss is scaled by rowWeight[r].
override ROW_WEIGHTS: u32 = 0u;

@group(0) @binding(0) var<storage, read> yTrue: array<u32>;
@group(0) @binding(1) var<storage, read> yPred: array<u32>;
@group(0) @binding(2) var<storage, read_write> perRow: array<u32>;
@group(0) @binding(3) var<storage, read> rowWeight: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const EPS: f32 = 1e-7;
const NAN_BITS: u32 = 0x7fc00000u;
const WG: u32 = 64u;

// Set by rowLoss when the row's value is undefined (zero row sum, bad sparse label).
var<private> invalid: bool = false;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn clip(p: f32) -> f32 {
  return clamp(p, EPS, 1.0 - EPS);
}

fn log1pSmall(t: f32) -> f32 {
  // 0 <= t <= 1. WGSL's log is only 2^-21-accurate (absolute) near 1, which is all of log(1 + t)'s
  // value for small t: the series keeps the relative accuracy there.
  if (t < 0.015625) {
    return t * (1.0 - t * (0.5 - t * (1.0 / 3.0 - t * 0.25)));
  }
  return log(1.0 + t);
}

fn truth(i: u32) -> f32 {
  if (TARGET_BROADCAST != 0u) {
    return bitcast<f32>(yTrue[i / params.cols]);
  }
  return bitcast<f32>(yTrue[i]);
}

fn pred(i: u32) -> f32 {
  return bitcast<f32>(yPred[i]);
}

// The class index of row r's sparse label, or cols when it is not an integer in [0, cols).
fn sparseLabel(r: u32, cols: u32) -> u32 {
  let v = truth(r);
  if (!(v >= 0.0 && v < f32(cols) && floor(v) == v)) {
    return cols;
  }
  return u32(v);
}

fn rowLoss(r: u32, cols: u32) -> f32 {
  let o = r * cols;
  let n = f32(cols);
  var acc = 0.0;
  switch LOSS {
    case 0u: {
      for (var c = 0u; c < cols; c++) {
        let e = pred(o + c) - truth(o + c);
        acc += e * e;
      }
      return acc / n;
    }
    case 1u: {
      for (var c = 0u; c < cols; c++) {
        acc += abs(pred(o + c) - truth(o + c));
      }
      return acc / n;
    }
    case 2u: {
      let d = params.delta;
      for (var c = 0u; c < cols; c++) {
        let e = abs(pred(o + c) - truth(o + c));
        acc += select(d * e - 0.5 * d * d, 0.5 * e * e, e <= d);
      }
      return acc / n;
    }
    case 3u: {
      for (var c = 0u; c < cols; c++) {
        let p = pred(o + c);
        let t = truth(o + c);
        acc -= t * log(clip(p)) + (1.0 - t) * log(clip(1.0 - p));
      }
      return acc / n;
    }
    case 4u: {
      for (var c = 0u; c < cols; c++) {
        let x = pred(o + c);
        acc += max(x, 0.0) - x * truth(o + c) + log1pSmall(exp(max(-abs(x), -87.0)));
      }
      return acc / n;
    }
    case 5u: {
      var s = 0.0;
      for (var c = 0u; c < cols; c++) {
        s += pred(o + c);
      }
      if (s == 0.0 || !isFinite(bitcast<u32>(s))) {
        invalid = true;
        return 0.0;
      }
      for (var c = 0u; c < cols; c++) {
        acc -= truth(o + c) * log(clip(pred(o + c) / s));
      }
      return acc;
    }
    case 6u, 8u: {
      var m = pred(o);
      for (var c = 1u; c < cols; c++) {
        m = max(m, pred(o + c));
      }
      var s = 0.0;
      for (var c = 0u; c < cols; c++) {
        s += exp(max(pred(o + c) - m, -87.0));
      }
      let logS = log(s);
      if (LOSS == 8u) {
        let k = sparseLabel(r, cols);
        if (k == cols) {
          invalid = true;
        return 0.0;
        }
        return (m - pred(o + k)) + logS;
      }
      for (var c = 0u; c < cols; c++) {
        acc += truth(o + c) * ((m - pred(o + c)) + logS);
      }
      return acc;
    }
    default: {
      // 7: sparse categorical from probabilities.
      let k = sparseLabel(r, cols);
      if (k == cols) {
        invalid = true;
        return 0.0;
      }
      var s = 0.0;
      for (var c = 0u; c < cols; c++) {
        s += clip(pred(o + c));
      }
      return log(s) - log(clip(pred(o + k)));
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= params.rows) {
    return;
  }
  let cols = params.cols;
  let tCols = select(cols, 1u, LOSS == 7u || LOSS == 8u || TARGET_BROADCAST != 0u);
  var finite = true;
  for (var c = 0u; c < cols; c++) {
    finite = finite && isFinite(yPred[r * cols + c]);
  }
  for (var c = 0u; c < tCols; c++) {
    finite = finite && isFinite(yTrue[r * tCols + c]);
  }
  if (!finite) {
    perRow[r] = NAN_BITS;
    return;
  }
  var v = rowLoss(r, cols);
  if (ROW_WEIGHTS != 0u) {
    v = v * rowWeight[r];
  }
  perRow[r] = select(bitcast<u32>(v), NAN_BITS, invalid);
}
