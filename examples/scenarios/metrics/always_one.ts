/**
 * Article 004, example 3's accuracy: `return tf.constant(1.0)` whatever the predictions. A metric
 * that cannot move; fitcheck must catch it by perturbing the predictions (`metric-insensitive`).
 */
export default function alwaysOne(_yTrue: number[][], _yPred: number[][]): number {
  return 1.0;
}
