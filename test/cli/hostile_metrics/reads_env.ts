/** Hostile: reads the environment (secrets live there). */
export default function readsEnv(_yTrue: number[][], _yPred: number[][]): number {
  return (Deno.env.get("HOME") ?? "").length;
}
