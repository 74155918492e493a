// loss_backward.wgsl: the training step's loss in one dispatch: the gradient of the reduced loss
// (w.r.t. the predictions, or straight to the top layer's Z), and the loss itself, reduced.
//
// For each row r: L_r as loss_forward.wgsl computes it (rowLoss is its copy, held equal by
// test/kernels/coverage.test.ts), and grad[r, c] = scale * dL_r/dyPred[r, c], with scale 1/rows
// for the "mean" reduction and 1 for "sum". LOSS selects the loss as there:
//   0 mse      2 (p - y) / K            1 mae   sign(p - y) / K (sign(0) = 0, as TF's abs)
//   2 huber    e / K if |e| <= delta else delta sign(e) / K,  e = p - y
//   3 binary   (-y/p + (1 - y)/(1 - p)) / K where the clip is inactive, else 0
//   4 binary from logits          (sigmoid(x) - y) / K
//   5 categorical: q = p / S (S the row sum), h_j = -y_j / q_j where the clip is inactive else 0,
//     grad_k = (h_k - sum_j h_j q_j) / S
//   6 categorical from logits     softmax_k * sum_j y_j - y_k (targets need not sum to 1)
//   7 sparse: with c = clip(p), grad_j = 1/sum(c) - [j = k]/p_k where the clip is inactive, else 0
//   8 sparse from logits          softmax_j - [j = k]
// With ROW_WEIGHTS the row's loss and its gradient scale by rowWeight[r] (Keras class_weight).
// Gradients are of the clipped function: zero where the clip is active, as TF's clip_by_value
// gradient (which passes where min <= p <= max).
//
// HEAD (override) says how much of the top layer the dispatch also does, so that the step needs no
// dispatch of its own for it:
//   0 none: grad receives dL/dyPred.
//   1 an elementwise activation (ACTIVATION, ALPHA as in activation_backward.wgsl): grad receives
//     dZ = dL/dyPred * act'(z) directly (fn derivative is that kernel's, held equal by the test).
//   2 softmax: yPred is first written as softmax(z) (softmax_forward.wgsl's operations, in its
//     order), grad receives dL/dyPred, then dz receives softmax_backward.wgsl's y * (dy - dy.y).
// Each is the same f32 operations in the same order as the separate kernels (tested bit for bit).
//
// The reduced loss is the first pass of reduce_forward.wgsl's tree over the rows' values: a
// workgroup takes 1024 consecutive rows, thread t rows t, t + 256, t + 512, t + 768 in that order,
// then the binary tree in workgroup memory. Its pair (value bits, non-finite count) goes to pair
// outOffset + workgroup of `losses`. With FINAL (one workgroup: rows <= 1024) the value is scaled
// (scale: the mean) and NaN when any row's value was non-finite; otherwise reduce_forward's later
// passes (FIRST = false) finish it. The tree is reduce_forward's, so the loss is bit-identical to
// loss_forward + reduce_forward.
//
// Bindings (group 0):
//   0 yTrue     read        array<u32>  rows x cols f32 bits (sparse: rows x 1 class indices;
//                                       TARGET_BROADCAST: rows x 1 values)
//   1 yPred     read_write  array<u32>  rows x cols f32 bits (written only with HEAD 2)
//   2 z         read        array<f32>  rows x cols: the top layer's Z (HEAD 1, 2; else any buffer)
//   3 grad      read_write  array<u32>  rows x cols f32 bits (bits so a NaN can be written)
//   4 dz        read_write  array<f32>  rows x cols: dZ (HEAD 2 only; else any buffer)
//   5 rowWeight read        array<f32>  rows: each row's weight; read only when ROW_WEIGHTS = 1
//   6 losses    read_write  array<u32>  pairs (value bits, non-finite count)
//   7 params    uniform     { rows, cols, delta, scale, outOffset }
// Non-finite inputs in a row (by bit pattern), a zero row sum (5) or a bad sparse label (7, 8)
// make the row's loss and its whole gradient row NaN.
//
// Threads: workgroup 256, 4 rows per invocation as above (ceil(rows / 1024) workgroups), looping
// over the columns: the categorical gradients need row-wide sums before any element.
//
// Accuracy: as loss_forward.wgsl for the loss, reduce_forward.wgsl for its reduction. Element-wise
// gradients are a few roundings (+ - * correctly rounded, each / within 2.5 ULP, i.e. 5u relative:
// <= 8u in all). Softmax terms carry exp's 3 + 2|d| ULP (d = x - m <= 0, so <= 3 ULP of the
// largest term, absolute) and the K-term row sum gamma_K; the categorical-from-probabilities
// gradient adds gamma_K of sum_j |h_j q_j| for hq. HEAD 1 adds act' and one product, HEAD 2
// softmax_forward's and softmax_backward's bounds.

struct Params {
  rows: u32,
  cols: u32,
  delta: f32,
  scale: f32,
  outOffset: u32,
}

override LOSS: u32 = 0u;
// 1: yTrue is rows x 1, compared with every column of its row (Keras broadcasting of a (rows, 1)
// target against (rows, cols) predictions: the classic MSE-on-class-indices setup). Not for sparse.
override TARGET_BROADCAST: u32 = 0u;
// 1: row r's loss and gradient are scaled by rowWeight[r].
override ROW_WEIGHTS: u32 = 0u;
override HEAD: u32 = 0u;
override ACTIVATION: u32 = 0u;
override ALPHA: f32 = 0.2;
// One workgroup: this pass is the reduction's last (see the header).
override FINAL: bool = true;

@group(0) @binding(0) var<storage, read> yTrue: array<u32>;
@group(0) @binding(1) var<storage, read_write> yPred: array<u32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<u32>;
@group(0) @binding(4) var<storage, read_write> dz: array<f32>;
@group(0) @binding(5) var<storage, read> rowWeight: array<f32>;
@group(0) @binding(6) var<storage, read_write> losses: array<u32>;
@group(0) @binding(7) var<uniform> params: Params;

const EPS: f32 = 1e-7;
const NAN_BITS: u32 = 0x7fc00000u;
const WG: u32 = 256u;
const ROWS_PER_THREAD: u32 = 4u;

// Set by rowLoss when the row's value is undefined (zero row sum, bad sparse label); reset per row.
var<private> invalid: bool = false;

var<workgroup> values: array<f32, WG>;
var<workgroup> counts: array<u32, WG>;

fn isFinite(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn clip(p: f32) -> f32 {
  return clamp(p, EPS, 1.0 - EPS);
}

fn passes(p: f32) -> bool {
  return p >= EPS && p <= 1.0 - EPS;
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

// HEAD 1 applies the top layer's act' here, as activation_backward.wgsl would to the stored value.
fn put(i: u32, v: f32) {
  if (HEAD == 1u) {
    grad[i] = bitcast<u32>(v * derivative(z[i]));
  } else {
    grad[i] = bitcast<u32>(v);
  }
}

fn nanRow(o: u32, cols: u32) {
  for (var c = 0u; c < cols; c++) {
    grad[o + c] = NAN_BITS;
  }
}

// softmax_forward.wgsl's row (HEAD 2): yPred = softmax(z), the whole row NaN where it is undefined
// (a NaN, a +Inf, or only -Inf entries).
fn softmaxRow(o: u32, cols: u32) {
  var m = z[o];
  var bad = false;
  for (var c = 0u; c < cols; c++) {
    let v = z[o + c];
    bad = bad || is_nan(v);
    m = max(m, v);
  }
  bad = bad || (bitcast<u32>(m) & 0x7fffffffu) == 0x7f800000u;
  var s = 0.0;
  for (var c = 0u; c < cols; c++) {
    s = s + exp(max(z[o + c] - m, -104.0));
  }
  for (var c = 0u; c < cols; c++) {
    let v = exp(max(z[o + c] - m, -104.0)) / s;
    yPred[o + c] = select(bitcast<u32>(v), NAN_BITS, bad);
  }
}

// softmax_backward.wgsl's row (HEAD 2): dz = y * (dy - dy.y) from the gradient just written.
fn softmaxBackwardRow(o: u32, cols: u32) {
  var dot = 0.0;
  for (var c = 0u; c < cols; c++) {
    dot = dot + bitcast<f32>(grad[o + c]) * pred(o + c);
  }
  for (var c = 0u; c < cols; c++) {
    dz[o + c] = pred(o + c) * (bitcast<f32>(grad[o + c]) - dot);
  }
}

// Row r's loss (f32 bits, NaN where undefined) after writing its gradient row.
fn row(r: u32) -> u32 {
  let cols = params.cols;
  let o = r * cols;
  if (HEAD == 2u) {
    softmaxRow(o, cols);
  }
  let tCols = select(cols, 1u, LOSS == 7u || LOSS == 8u || TARGET_BROADCAST != 0u);
  var finite = true;
  for (var c = 0u; c < cols; c++) {
    finite = finite && isFinite(yPred[o + c]);
  }
  for (var c = 0u; c < tCols; c++) {
    finite = finite && isFinite(yTrue[r * tCols + c]);
  }
  var loss = NAN_BITS;
  if (!finite) {
    nanRow(o, cols);
  } else {
    invalid = false;
    var v = rowLoss(r, cols);
    if (ROW_WEIGHTS != 0u) {
      v = v * rowWeight[r];
    }
    loss = select(bitcast<u32>(v), NAN_BITS, invalid);
    rowGradient(r, cols);
  }
  if (HEAD == 2u) {
    softmaxBackwardRow(o, cols);
  }
  return loss;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = lid.x;
  let base = wid.x * WG * ROWS_PER_THREAD;
  // reduce_forward.wgsl's first pass (OP sum) over the rows' values.
  var sum = 0.0;
  var count = 0u;
  for (var j = 0u; j < ROWS_PER_THREAD; j++) {
    let r = base + j * WG + t;
    if (r < params.rows) {
      let bits = row(r);
      if ((bits & 0x7f800000u) == 0x7f800000u) {
        count += 1u;
      } else {
        sum = sum + bitcast<f32>(bits);
      }
    }
  }
  values[t] = sum;
  counts[t] = count;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride) {
      values[t] = values[t] + values[t + stride];
      counts[t] = counts[t] + counts[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    var result = values[0];
    let bad = counts[0];
    if (FINAL) {
      result = result * params.scale;
    }
    let o = 2u * (params.outOffset + wid.x);
    losses[o] = select(bitcast<u32>(result), NAN_BITS, FINAL && bad > 0u);
    losses[o + 1u] = bad;
  }
}
