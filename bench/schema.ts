/**
 * The JSON `deno task bench --json` prints (CONTRACT §4, schema `fitcheck.bench/v1`), as a zod schema
 * and the types inferred from it. The contract fixes each case's `name`, `unit` and headline fields
 * (`fitcheck`, `tfjsWebgpu`, `tfjsCpu`; `plain`, `instrumented` for the overhead); everything else
 * here (targets, spreads, correctness checks, environment) is added alongside, never renamed.
 *
 * @module
 */
import { z } from "zod";

const positive = z.number().positive();

/** min / median / max of one engine's repetitions, and the samples in run order. */
export const SummarySchema = z.object({
  min: positive,
  median: positive,
  max: positive,
  samples: z.array(positive).min(1),
}).strict();

/** A correctness check made while benchmarking. */
export const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() }).strict();
export type Check = z.infer<typeof CheckSchema>;

/**
 * A case's target: `achieved` (the quantity) compared with `threshold`. For a ratio of two engines,
 * `achieved` is the median of the per-repetition ratios (paired), not the ratio of the two medians.
 */
export const TargetSchema = z.object({
  description: z.string(),
  quantity: z.string(),
  comparison: z.enum([">=", "<="]),
  threshold: positive,
  achieved: z.number().nonnegative(),
}).strict();

const engineStats = z.object({ fitcheck: SummarySchema, tfjsWebgpu: SummarySchema, tfjsCpu: SummarySchema })
  .strict();

export const MatmulCaseSchema = z.object({
  name: z.literal("matmul-1024"),
  unit: z.literal("GFLOP/s"),
  fitcheck: positive,
  tfjsWebgpu: positive,
  tfjsCpu: positive,
  target: TargetSchema,
  met: z.boolean(),
  /** The matrix size actually used (1024, or smaller with --quick). */
  n: z.number().int().positive(),
  /** fitcheck's matmul variant for this adapter and this product (chooseMatmulVariant). */
  variant: z.string(),
  productsPerRep: z.object({
    fitcheck: z.number().int().positive(),
    tfjsWebgpu: z.number().int().positive(),
    tfjsCpu: z.number().int().positive(),
  }).strict(),
  stats: engineStats,
  checks: z.array(CheckSchema).min(1),
}).strict();
export type MatmulCase = z.infer<typeof MatmulCaseSchema>;

export const MlpCaseSchema = z.object({
  name: z.literal("mlp-train-step"),
  unit: z.literal("ms"),
  fitcheck: positive,
  tfjsWebgpu: positive,
  tfjsCpu: positive,
  target: TargetSchema,
  met: z.boolean(),
  model: z.string(),
  stepsPerRep: z.number().int().positive(),
  stats: engineStats,
  checks: z.array(CheckSchema).min(1),
}).strict();
export type MlpCase = z.infer<typeof MlpCaseSchema>;

/** `cnn-train-step` (issue 14): the MLP case's fields on bench/cnn.ts's CNN. */
export const CnnCaseSchema = MlpCaseSchema.extend({ name: z.literal("cnn-train-step") }).strict();
export type CnnCase = z.infer<typeof CnnCaseSchema>;

export const OverheadCaseSchema = z.object({
  name: z.literal("diagnose-overhead"),
  unit: z.literal("ratio"),
  /** The ratio, under the name every case has. */
  fitcheck: positive,
  /** ms per step. */
  plain: positive,
  instrumented: positive,
  /** Median of the per-repetition ratios instrumented / plain. */
  ratio: positive,
  target: TargetSchema,
  met: z.boolean(),
  /** Repetitions of this case (a multiple of the run's `reps`: more, shorter pairs). */
  repetitions: z.number().int().positive(),
  stepsPerRep: z.number().int().positive(),
  stats: z.object({ plain: SummarySchema, instrumented: SummarySchema, ratio: SummarySchema }).strict(),
  checks: z.array(CheckSchema).min(1),
}).strict();
export type OverheadCase = z.infer<typeof OverheadCaseSchema>;

export const ReadbacksCaseSchema = z.object({
  name: z.literal("readbacks-per-epoch"),
  unit: z.literal("readbacks"),
  fitcheck: z.number().nonnegative(),
  target: TargetSchema,
  met: z.boolean(),
  epochs: z.number().int().positive(),
  stepsPerEpoch: z.number().int().positive(),
  trainMs: positive,
  checks: z.array(CheckSchema).min(1),
}).strict();
export type ReadbacksCase = z.infer<typeof ReadbacksCaseSchema>;

export const BenchResultSchema = z.object({
  schema: z.literal("fitcheck.bench/v1"),
  tool: z.object({ name: z.literal("fitcheck"), version: z.string() }).strict(),
  adapter: z.object({
    description: z.string(),
    isFallbackAdapter: z.boolean(),
    vendor: z.string().optional(),
    architecture: z.string().optional(),
  }).strict(),
  tfjs: z.object({
    version: z.string(),
    /** "shared": tfjs-webgpu runs on fitcheck's GPUDevice; "own": on a second device of the adapter. */
    webgpuDevice: z.enum(["shared", "own"]),
    prodMode: z.boolean(),
  }).strict(),
  environment: z.object({
    deno: z.string(),
    v8: z.string(),
    os: z.string(),
    cpus: z.number().int().positive(),
    date: z.string(),
  }).strict(),
  /** --quick: smaller sizes and fewer repetitions, for the test of this harness only. */
  quick: z.boolean(),
  reps: z.number().int().positive(),
  warmup: z.string(),
  cases: z.tuple([MatmulCaseSchema, MlpCaseSchema, OverheadCaseSchema, ReadbacksCaseSchema, CnnCaseSchema]),
  /** Every check of every case passed. */
  checksOk: z.boolean(),
  /** Every target met. */
  allTargetsMet: z.boolean(),
  totalMs: positive,
}).strict();
export type BenchResult = z.infer<typeof BenchResultSchema>;
export type BenchCase = BenchResult["cases"][number];
