/** Broken: throws on every call. */
export default function throws(_yTrue: number[][], _yPred: number[][]): number {
  throw new Error("metric exploded");
}
