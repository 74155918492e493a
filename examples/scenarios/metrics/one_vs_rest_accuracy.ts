/**
 * The "per-class accuracy" of article 003, example 3, averaged over classes and reported as accuracy:
 * for each class c, the share of rows where "true class is c" agrees with "predicted class is c".
 * A user-written metric with a real defect: every correct "not c" counts, so on C classes it equals
 * 1 - 2 * (error rate) / C instead of 1 - (error rate). fitcheck must catch it (`metric-mismatch`).
 *
 * Rows of `yTrue` are a class index (one column) or one-hot; rows of `yPred` are class scores.
 */
export default function oneVsRestAccuracy(yTrue: number[][], yPred: number[][]): number {
  const classes = yPred[0]?.length ?? 0;
  if (classes === 0) return NaN;
  const argmax = (row: number[]) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);
  const truth = yTrue.map((row) => (row.length === 1 ? Math.round(row[0]) : argmax(row)));
  const predicted = yPred.map(argmax);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    let agree = 0;
    for (let i = 0; i < truth.length; i++) if ((truth[i] === c) === (predicted[i] === c)) agree++;
    sum += agree / truth.length;
  }
  return sum / classes;
}
