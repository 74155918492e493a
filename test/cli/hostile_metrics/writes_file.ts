/** Hostile: writes a file beside itself (the test checks it never appears). */
export default function writesFile(_yTrue: number[][], _yPred: number[][]): number {
  Deno.writeTextFileSync(new URL("./written_by_metric.txt", import.meta.url), "pwned");
  return 0.5;
}
