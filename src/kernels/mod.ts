/**
 * Every kernel, in one explicit list (no registration by side effect). The coverage test checks
 * that each `shaders/*.wgsl` file appears here, has a float64 twin and an equivalence case.
 * To add a kernel: write `shaders/<op>_<pass>.wgsl`, its definition next to its siblings here,
 * its twin in src/reference/, then append it to KERNELS with a one-line edit.
 * @module
 */
import type { KernelDef } from "./kernel.ts";
import { lossBackward, lossForward } from "./losses.ts";
import { reduceForward } from "./reduce.ts";
import { argmaxForward, confusionForward, correctForward, thresholdForward } from "./metrics.ts";
import { columnStatsForward } from "./column_stats.ts";
import { fingerprintForward } from "./fingerprint.ts";
import { layerRecordForward } from "./instrument.ts";
import { activationBackwardKernel, denseBiasBackward } from "./dense.ts";
import { dropoutBackward, dropoutForward } from "./dropout.ts";
import {
  activationForwardKernel,
  col2imBackwardKernel,
  conv2dFilterBackwardKernel,
  conv2dFilterReduceKernel,
  conv2dForwardKernel,
  conv2dInputBackwardKernel,
  im2colForwardKernel,
  pool2dBackwardKernel,
  pool2dForwardKernel,
} from "./conv2d.ts";
import { gatherRowsForward } from "./gather.ts";
import {
  matmulBlockedForward,
  matmulPackForward,
  matmulTextureForward,
  matmulTiledForward,
  matmulVec4Forward,
} from "./matmul.ts";
import { adamUpdate, rmspropUpdate, sgdUpdate } from "./optimizers.ts";
import {
  batchnormForward,
  batchnormInputBackward,
  batchnormParamBackward,
  batchnormStatsForward,
} from "./batchnorm.ts";
import { embeddingBackwardKernel, embeddingForwardKernel } from "./embedding.ts";
import { globalAvgPoolBackwardKernel, globalAvgPoolForwardKernel } from "./global_pool.ts";
import { l2GradientBackward, lossPenaltyForward } from "./regularization.ts";
import { logSoftmaxForward, softmaxBackwardKernel, softmaxForward } from "./softmax.ts";

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
export * from "./dense.ts";
export * from "./dropout.ts";
export * from "./conv2d.ts";
export * from "./gather.ts";
export * from "./matmul.ts";
export * from "./optimizers.ts";
export * from "./softmax.ts";
export * from "./losses.ts";
export * from "./reduce.ts";
export * from "./metrics.ts";
export * from "./column_stats.ts";
export * from "./fingerprint.ts";
export * from "./instrument.ts";
export * from "./batchnorm.ts";
export * from "./embedding.ts";
export * from "./global_pool.ts";
export * from "./regularization.ts";

/** All kernels. Append with small in-place edits; the order carries no meaning. */
// deno-lint-ignore no-explicit-any
export const KERNELS: readonly KernelDef<any>[] = [
  matmulBlockedForward,
  matmulTiledForward,
  matmulVec4Forward,
  matmulPackForward,
  matmulTextureForward,
  gatherRowsForward,
  activationBackwardKernel,
  denseBiasBackward,
  softmaxForward,
  logSoftmaxForward,
  softmaxBackwardKernel,
  dropoutForward,
  dropoutBackward,
  sgdUpdate,
  adamUpdate,
  rmspropUpdate,
  lossForward,
  lossBackward,
  reduceForward,
  argmaxForward,
  thresholdForward,
  correctForward,
  confusionForward,
  columnStatsForward,
  fingerprintForward,
  layerRecordForward,
  conv2dForwardKernel,
  conv2dInputBackwardKernel,
  conv2dFilterBackwardKernel,
  conv2dFilterReduceKernel,
  col2imBackwardKernel,
  pool2dForwardKernel,
  pool2dBackwardKernel,
  activationForwardKernel,
  im2colForwardKernel,
  batchnormStatsForward,
  batchnormForward,
  batchnormParamBackward,
  batchnormInputBackward,
  embeddingForwardKernel,
  embeddingBackwardKernel,
  globalAvgPoolForwardKernel,
  globalAvgPoolBackwardKernel,
  l2GradientBackward,
  lossPenaltyForward,
];
