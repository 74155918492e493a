/**
 * Kernel definition of `fingerprint_forward.wgsl`: the per-step batch fingerprint, ADDED into a
 * cleared record at pair `slot` (clear the record buffer before the epoch).
 *
 * @module
 */
import code from "../../shaders/fingerprint_forward.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { batchFingerprint } from "../reference/fingerprint.ts";
import { type KernelDef, type PreparedOp, prepareKernel } from "./kernel.ts";

/**
 * The most workgroups: enough to spread the words, few enough that the atomics stay cheap and that
 * CPU adapters, which pay ~7 µs per workgroup that synchronises (its barrier tree), do not spend more
 * on workgroups than on hashing (llvmpipe, a 256×64 batch: 64 groups 1.0 ms, 8 groups 0.5 ms).
 */
const MAX_GROUPS = 8;

/** `fingerprint_forward.wgsl`: record[2·slot], record[2·slot + 1] += the batch's two lanes. */
export const fingerprintForward: KernelDef<"xLen" | "yLen" | "rows" | "slot"> = {
  name: "fingerprint_forward",
  code,
  bindings: [
    { name: "x", access: "read" },
    { name: "y", access: "read" },
    { name: "record", access: "read-write" },
  ],
  uniforms: [
    { name: "xLen", type: "u32" },
    { name: "yLen", type: "u32" },
    { name: "rows", type: "u32" },
    { name: "slot", type: "u32" },
  ],
  overrides: {},
  dispatch: (u) => [Math.max(1, Math.min(MAX_GROUPS, Math.ceil(Math.max(u.xLen, u.yLen) / 256))), 1, 1],
  twins: [batchFingerprint],
};

/**
 * Prepares the fingerprint of the first `rows` rows of x (rows × xCols) and y (rows × yCols).
 * Per step: `op.set({ rows, xLen: rows * xCols, yLen: rows * yCols, slot: step })`.
 */
export function prepareFingerprint(
  ctx: GpuContext,
  options: {
    label: string;
    x: GPUBuffer;
    y: GPUBuffer;
    record: GPUBuffer;
    rows: number;
    xCols: number;
    yCols: number;
    slot: number;
  },
): Promise<PreparedOp<"xLen" | "yLen" | "rows" | "slot">> {
  return prepareKernel(ctx, fingerprintForward, {
    label: options.label,
    buffers: { x: options.x, y: options.y, record: options.record },
    uniforms: {
      xLen: options.rows * options.xCols,
      yLen: options.rows * options.yCols,
      rows: options.rows,
      slot: options.slot,
    },
  });
}
