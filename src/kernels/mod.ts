/**
 * Every kernel, in one explicit list (no registration by side effect). The coverage test checks
 * that each `shaders/*.wgsl` file appears here, has a float64 twin and an equivalence case.
 * To add a kernel: write `shaders/<op>_<pass>.wgsl`, its definition next to its siblings here,
 * its twin in src/reference/, then append it to KERNELS with a one-line edit.
 * @module
 */
import type { KernelDef } from "./kernel.ts";

export {
  encodeAll,
  type KernelBinding,
  type KernelDef,
  kernelLayout,
  linearWorkgroups,
  type PreparedOp,
  prepareKernel,
  type PrepareOptions,
  type UniformField,
  type Workgroups,
} from "./kernel.ts";

/** All kernels. Append with small in-place edits; the order carries no meaning. */
// deno-lint-ignore no-explicit-any
export const KERNELS: readonly KernelDef<any>[] = [];
