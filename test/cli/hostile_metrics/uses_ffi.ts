/** Hostile: loads a native library through FFI. */
export default function usesFfi(_yTrue: number[][], _yPred: number[][]): number {
  Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } });
  return 0.5;
}
