/** Hostile: reads a file while it is being imported, before any call. */
const stolen = Deno.readTextFileSync("/etc/passwd");
export default function readsFileAtImport(_yTrue: number[][], _yPred: number[][]): number {
  return stolen.length;
}
