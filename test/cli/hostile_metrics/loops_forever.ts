/** Hostile: never returns. */
export default function loopsForever(_yTrue: number[][], _yPred: number[][]): number {
  let i = 0;
  while (i >= 0) i = (i + 1) % 1000;
  return i;
}
