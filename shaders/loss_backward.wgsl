// loss_backward.wgsl: the gradient of the reduced loss w.r.t. the predictions (or the logits).
//
// Computes grad[r, c] = scale * dL_r/dyPred[r, c], where L_r is loss_forward.wgsl's per-row value
// and scale is 1/rows for the "mean" reduction, 1 for "sum". LOSS selects the loss as there:
//   0 mse      2 (p - y) / K            1 mae   sign(p - y) / K (sign(0) = 0, as TF's abs)
//   2 huber    e / K if |e| <= delta else delta sign(e) / K,  e = p - y
//   3 binary   (-y/p + (1 - y)/(1 - p)) / K where the clip is inactive, else 0
//   4 binary from logits          (sigmoid(x) - y) / K
//   5 categorical: q = p / S (S the row sum), h_j = -y_j / q_j where the clip is inactive else 0,
//     grad_k = (h_k - sum_j h_j q_j) / S
//   6 categorical from logits     softmax_k * sum_j y_j - y_k (targets need not sum to 1)
//   7 sparse: with c = clip(p), grad_j = 1/sum(c) - [j = k]/p_k where the clip is inactive, else 0
//   8 sparse from logits          softmax_j - [j = k]
// With ROW_WEIGHTS the scale of row r is scale * rowWeight[r] (Keras class_weight: the row's loss,
// hence its gradient, times its class weight). Gradients are of the clipped function: zero where the clip is active, as TF's clip_by_value
// gradient (which passes where min <= p <= max).
//
// Bindings (group 0):
//   0 yTrue  read        array<u32>  rows x cols f32 bits (sparse: rows x 1 class indices;
//                                    TARGET_BROADCAST: rows x 1 values)
//   1 yPred  read        array<u32>  rows x cols f32 bits
//   2 grad   read_write  array<u32>  rows x cols f32 bits (bits so a NaN can be written)
//   3 rowWeight read     array<f32>  rows: each row's weight; read only when ROW_WEIGHTS = 1
//   4 params uniform     { rows, cols, delta, scale }
// Non-finite inputs in a row (by bit pattern), a zero row sum (5) or a bad sparse label (7, 8)
// make the whole gradient row NaN.
//
// Threads: one invocation per row (workgroup 64, folded into y past 65535 workgroups), looping
// over the columns: the categorical gradients need row-wide sums before any element.
//
// Accuracy: element-wise kinds are a few roundings (+ - * correctly rounded, each / within 2.5 ULP,
// i.e. 5u relative: <= 8u in all). Softmax terms carry exp's
// 3 + 2|d| ULP (d = x - m <= 0, so <= 3 ULP of the largest term, absolute) and the K-term row sum
// gamma_K; the categorical-from-probabilities gradient adds gamma_K of sum_j |h_j q_j| for hq.

struct Params {
  rows: u32,
  cols: u32,
  delta: f32,
  scale: f32,
}

override LOSS: u32 = 0u;
// 1: yTrue is rows x 1, compared with every column of its row (Keras broadcasting of a (rows, 1)
// target against (rows, cols) predictions: the classic MSE-on-class-indices setup). Not for sparse.
override TARGET_BROADCAST: u32 = 0u;
// 1: row r's gradient is scaled by rowWeight[r].
override ROW_WEIGHTS: u32 = 0u;

@group(0) @binding(0) var<storage, read> yTrue: array<u32>;
@group(0) @binding(1) var<storage, read> yPred: array<u32>;
@group(0) @binding(2) var<storage, read_write> grad: array<u32>;
@group(0) @binding(3) var<storage, read> rowWeight: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const EPS: f32 = 1e-7;
const NAN_BITS: u32 = 0x7fc00000u;
const WG: u32 = 64u;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn passes(p: f32) -> bool {
  return p >= EPS && p <= 1.0 - EPS;
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

fn put(i: u32, v: f32) {
  grad[i] = bitcast<u32>(v);
}

fn sigmoid(x: f32) -> f32 {
  // exp of a non-positive argument only, so nothing overflows.
  let e = exp(max(-abs(x), -87.0));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn sparseLabel(r: u32, cols: u32) -> u32 {
  let v = truth(r);
  if (!(v >= 0.0 && v < f32(cols) && floor(v) == v)) {
    return cols;
  }
  return u32(v);
}

fn nanRow(o: u32, cols: u32) {
  for (var c = 0u; c < cols; c++) {
    grad[o + c] = NAN_BITS;
  }
}

fn rowGradient(r: u32, cols: u32) {
  let o = r * cols;
  var scale = params.scale;
  if (ROW_WEIGHTS != 0u) {
    scale = scale * rowWeight[r];
  }
  let es = scale / f32(cols);
  switch LOSS {
    case 0u: {
      for (var c = 0u; c < cols; c++) {
        put(o + c, 2.0 * (pred(o + c) - truth(o + c)) * es);
      }
    }
    case 1u: {
      for (var c = 0u; c < cols; c++) {
        put(o + c, sign(pred(o + c) - truth(o + c)) * es);
      }
    }
    case 2u: {
      let d = params.delta;
      for (var c = 0u; c < cols; c++) {
        let e = pred(o + c) - truth(o + c);
        put(o + c, select(d * sign(e), e, abs(e) <= d) * es);
      }
    }
    case 3u: {
      for (var c = 0u; c < cols; c++) {
        let p = pred(o + c);
        let t = truth(o + c);
        put(o + c, select(0.0, (-t / p + (1.0 - t) / (1.0 - p)) * es, passes(p)));
      }
    }
    case 4u: {
      for (var c = 0u; c < cols; c++) {
        put(o + c, (sigmoid(pred(o + c)) - truth(o + c)) * es);
      }
    }
    case 5u: {
      var s = 0.0;
      for (var c = 0u; c < cols; c++) {
        s += pred(o + c);
      }
      if (s == 0.0 || !isFinite(bitcast<u32>(s))) {
        nanRow(o, cols);
        return;
      }
      var hq = 0.0;
      for (var c = 0u; c < cols; c++) {
        let q = pred(o + c) / s;
        hq += select(0.0, -truth(o + c), passes(q));
      }
      for (var c = 0u; c < cols; c++) {
        let q = pred(o + c) / s;
        let h = select(0.0, -truth(o + c) / q, passes(q));
        put(o + c, (h - hq) / s * scale);
      }
    }
    case 6u, 8u: {
      var k = cols;
      if (LOSS == 8u) {
        k = sparseLabel(r, cols);
        if (k == cols) {
          nanRow(o, cols);
          return;
        }
      }
      var m = pred(o);
      for (var c = 1u; c < cols; c++) {
        m = max(m, pred(o + c));
      }
      var s = 0.0;
      var ySum = 1.0;
      if (LOSS == 6u) {
        ySum = 0.0;
      }
      for (var c = 0u; c < cols; c++) {
        s += exp(max(pred(o + c) - m, -87.0));
        if (LOSS == 6u) {
          ySum += truth(o + c);
        }
      }
      for (var c = 0u; c < cols; c++) {
        let softmax = exp(max(pred(o + c) - m, -87.0)) / s;
        var t = select(0.0, 1.0, c == k);
        if (LOSS == 6u) {
          t = truth(o + c);
        }
        put(o + c, (softmax * ySum - t) * scale);
      }
    }
    default: {
      let k = sparseLabel(r, cols);
      if (k == cols) {
        nanRow(o, cols);
        return;
      }
      var s = 0.0;
      for (var c = 0u; c < cols; c++) {
        s += clamp(pred(o + c), EPS, 1.0 - EPS);
      }
      for (var c = 0u; c < cols; c++) {
        let p = pred(o + c);
        let g = 1.0 / s - select(0.0, 1.0 / p, c == k);
        put(o + c, select(0.0, g * scale, passes(p)));
      }
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
    nanRow(r * cols, cols);
    return;
  }
  rowGradient(r, cols);
}
