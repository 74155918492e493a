/** Hostile: starts a subprocess. */
export default function spawnsProcess(_yTrue: number[][], _yPred: number[][]): number {
  new Deno.Command("touch", { args: ["/tmp/fitcheck-metric-spawned"] }).outputSync();
  return 0.5;
}
