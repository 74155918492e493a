/**
 * The machine the bench ran on, for the JSON's `machine` section and BENCHMARKS.md's rows: the CPU
 * model and its widest SIMD (on a CPU adapter such as llvmpipe, AVX2's 16 vector registers against
 * AVX-512's 32 decide which register tile wins), from /proc/cpuinfo; "unknown" where it is not there.
 *
 * @module
 */
import type { MachineSchema } from "./schema.ts";
import type { z } from "zod";

/** The parsed fields of /proc/cpuinfo's first processor. */
export function parseCpuinfo(text: string): z.infer<typeof MachineSchema> {
  const field = (name: string) => {
    const line = text.split("\n").find((l) => l.split(":")[0].trim() === name);
    return line ? line.slice(line.indexOf(":") + 1).trim() : "";
  };
  const flags = new Set(field("flags").split(/\s+/));
  return {
    cpuModel: field("model name") || field("Model") || field("CPU part") || "unknown",
    avx2: flags.has("avx2"),
    avx512f: flags.has("avx512f"),
  };
}

/**
 * The machine, read from /proc/cpuinfo (Linux); unknown elsewhere. Deno grants /proc files only to
 * `--allow-all`, so where the direct read is refused the bench asks `cat` (its task may run
 * /usr/bin/cat and reads everything anyway: that grants nothing new).
 */
export async function readMachine(): Promise<z.infer<typeof MachineSchema>> {
  try {
    return parseCpuinfo(await Deno.readTextFile("/proc/cpuinfo"));
  } catch {
    try {
      const out = await new Deno.Command("/usr/bin/cat", { args: ["/proc/cpuinfo"], stdout: "piped" })
        .output();
      if (out.success) return parseCpuinfo(new TextDecoder().decode(out.stdout));
    } catch {
      // not Linux, or not granted: unknown below
    }
    return { cpuModel: "unknown", avx2: false, avx512f: false };
  }
}
