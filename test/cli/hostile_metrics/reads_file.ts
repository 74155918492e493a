/** Hostile: reads a file the scenario has no business with. */
export default function readsFile(_yTrue: number[][], _yPred: number[][]): number {
  return Deno.readTextFileSync("/etc/hostname").length;
}
