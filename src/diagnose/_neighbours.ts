/**
 * Nearest-neighbour estimates behind `feature-label-leakage` and `label-noise`: leave-one-out 1-NN on
 * one column (how well that column ALONE predicts the target, out of sample), and k-NN agreement in
 * standardized feature space (which labels their neighbours contradict). Both work on a seeded sample
 * so their cost stays bounded.
 *
 * @module
 */

/** Leave-one-out 1-NN over one column for class labels; ties at the nearest distance vote by majority. */
export function looNearestAccuracy(x: Float64Array, labels: Int32Array, classes: number): number {
  const n = x.length;
  if (n < 2) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  // Groups of equal values with their per-class counts.
  const starts: number[] = [], counts: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || x[order[i]] !== x[order[i - 1]]) {
      starts.push(i);
      counts.push(new Int32Array(classes));
    }
    counts[counts.length - 1][labels[order[i]]]++;
  }
  const g = starts.length;
  let correct = 0;
  for (let k = 0; k < g; k++) {
    const end = k + 1 < g ? starts[k + 1] : n, size = end - starts[k];
    const value = x[order[starts[k]]];
    for (let c = 0; c < classes; c++) {
      const own = counts[k][c];
      if (own === 0) continue;
      let votes: Int32Array;
      if (size > 1) {
        // Other rows with the same value are at distance 0: they vote, minus the row itself.
        votes = counts[k].slice();
        votes[c]--;
      } else {
        const left = k > 0 ? value - x[order[starts[k - 1]]] : Infinity;
        const right = k + 1 < g ? x[order[starts[k + 1]]] - value : Infinity;
        votes = new Int32Array(classes);
        if (left <= right) addInto(votes, counts[k - 1]);
        if (right <= left) addInto(votes, counts[k + 1]);
      }
      // Correct only when the own class is the unique majority: a tie is not a prediction.
      let unique = true;
      for (let j = 0; j < classes; j++) if (j !== c && votes[j] >= votes[c]) unique = false;
      if (unique && votes[c] > 0) correct += own;
    }
  }
  return correct / n;
}

/** Leave-one-out 1-NN regression R² over one column (ties at the nearest distance average). */
export function looNearestR2(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  if (n < 3) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const starts: number[] = [], sums: number[] = [], sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || x[order[i]] !== x[order[i - 1]]) {
      starts.push(i);
      sums.push(0);
      sizes.push(0);
    }
    sums[sums.length - 1] += y[order[i]];
    sizes[sizes.length - 1]++;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let ssRes = 0, ssTot = 0;
  for (let k = 0; k < starts.length; k++) {
    const value = x[order[starts[k]]];
    for (let i = starts[k]; i < starts[k] + sizes[k]; i++) {
      const yi = y[order[i]];
      let pred: number;
      if (sizes[k] > 1) pred = (sums[k] - yi) / (sizes[k] - 1);
      else {
        const left = k > 0 ? value - x[order[starts[k - 1]]] : Infinity;
        const right = k + 1 < starts.length ? x[order[starts[k + 1]]] - value : Infinity;
        let s = 0, m = 0;
        if (left <= right) (s += sums[k - 1], m += sizes[k - 1]);
        if (right <= left) (s += sums[k + 1], m += sizes[k + 1]);
        pred = s / m;
      }
      ssRes += (yi - pred) ** 2;
      ssTot += (yi - mean) ** 2;
    }
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : NaN;
}

/** Correlation ratio η²: the share of the column's variance explained by the class (1 = a function of it). */
export function correlationRatio(x: Float64Array, labels: Int32Array, classes: number): number {
  const sum = new Float64Array(classes), cnt = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    sum[labels[i]] += x[i];
    cnt[labels[i]]++;
    total += x[i];
  }
  const mean = total / x.length;
  let between = 0, all = 0;
  for (let c = 0; c < classes; c++) if (cnt[c] > 0) between += cnt[c] * (sum[c] / cnt[c] - mean) ** 2;
  for (let i = 0; i < x.length; i++) all += (x[i] - mean) ** 2;
  return all > 0 ? between / all : 0;
}

/** Pearson correlation. */
export function pearson(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) (mx += x[i], my += y[i]);
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function addInto(a: Int32Array, b: Int32Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

/** Per-row result of the k-NN label check. */
export interface NeighbourVerdict {
  /** Rows (indices into the sample) whose label at least `confidence` of their k neighbours contradict. */
  contradicted: number[];
  /** For each contradicted row, the label its neighbours agree on and their share. */
  neighbourLabel: number[];
  share: number[];
  k: number;
  /** Share of rows whose neighbours' majority label is their own (leave-one-out k-NN accuracy). */
  agreement: number;
}

/**
 * k-NN (Euclidean, on the given already-standardized `n × d` rows) label agreement, leave-one-out. A
 * row is contradicted when at least `confidence` of its k neighbours carry one label other than its own.
 */
export function contradictedLabels(
  rows: Float64Array,
  n: number,
  d: number,
  labels: Int32Array,
  classes: number,
  options: { k: number; confidence: number },
): NeighbourVerdict {
  const k = Math.min(options.k, n - 1);
  const out: NeighbourVerdict = { contradicted: [], neighbourLabel: [], share: [], k, agreement: 0 };
  if (k < 1) return out;
  let agree = 0;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (rows[i * d + c] - rows[j * d + c]) ** 2;
      dist[j] = j === i ? Infinity : s;
    }
    // Partial selection of the k smallest: k ≤ 10 passes over n is cheaper than a sort.
    const votes = new Int32Array(classes);
    for (let m = 0; m < k; m++) {
      let best = -1;
      for (let j = 0; j < n; j++) if (dist[j] !== -1 && (best < 0 || dist[j] < dist[best])) best = j;
      votes[labels[best]]++;
      dist[best] = -1; // a taken neighbour: distances are never negative
    }
    let top = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[top]) top = c;
    if (top === labels[i]) agree++;
    if (top !== labels[i] && votes[top] >= options.confidence * k) {
      out.contradicted.push(i);
      out.neighbourLabel.push(top);
      out.share.push(votes[top] / k);
    }
  }
  out.agreement = agree / n;
  return out;
}

/**
 * Leave-one-out 1-NN accuracy over several columns of a row-major `n × d` table (standardized here,
 * so no column's unit decides the distance), leaving out column `skip`: how well the other features
 * predict the label without it. Ties at the nearest distance take the first neighbour found.
 */
export function looNearestAccuracyWithout(
  x: Float64Array,
  n: number,
  d: number,
  skip: number,
  labels: Int32Array,
): number {
  const cols = Array.from({ length: d }, (_, c) => c).filter((c) => c !== skip);
  if (cols.length === 0 || n < 2) return 0;
  const z = new Float64Array(n * cols.length);
  cols.forEach((c, j) => {
    let m = 0, s = 0;
    for (let i = 0; i < n; i++) m += x[i * d + c];
    m /= n;
    for (let i = 0; i < n; i++) s += (x[i * d + c] - m) ** 2;
    const sd = Math.sqrt(s / n) || 1;
    for (let i = 0; i < n; i++) z[i * cols.length + j] = (x[i * d + c] - m) / sd;
  });
  const k = cols.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity, label = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dist = 0;
      for (let c = 0; c < k && dist < best; c++) dist += (z[i * k + c] - z[j * k + c]) ** 2;
      if (dist < best) {
        best = dist;
        label = labels[j];
      }
    }
    if (label === labels[i]) correct++;
  }
  return correct / n;
}
