/** Hostile: opens a network connection and returns before it settles. */
export default function opensSocket(_yTrue: number[][], _yPred: number[][]): number {
  Deno.connect({ hostname: "127.0.0.1", port: 9 });
  return 0.5;
}
