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

/**
 * An optional peer engine (PyTorch on the CPU): measured, or why not ("not installed": the peer could
 * not start; "no peer": the case has no PyTorch twin, as the CNN step).
 */
export const PeerSchema = z.object({
  status: z.enum(["measured", "not installed", "no peer"]),
  detail: z.string(),
}).strict();

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
  /** fitcheck's matmul variant for this adapter and this product (tuned, else chooseMatmulVariant). */
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
  /** PyTorch on one CPU thread, ms per step, when installed (bench/pytorch.ts). */
  pytorchCpu: positive.optional(),
  /** The optional peers and what became of them (absent in results saved before they existed). */
  peers: z.object({ pytorchCpu: PeerSchema }).strict().optional(),
  target: TargetSchema,
  met: z.boolean(),
  model: z.string(),
  stepsPerRep: z.number().int().positive(),
  stats: engineStats.extend({ pytorchCpu: SummarySchema.optional() }),
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

/**
 * `diagnosis-latency`: wall time from a scenario to its report (src/app/run.ts, the CLI's pipeline
 * with its default budget) on a generated rows × features setup; one run, not repeated.
 */
export const LatencyCaseSchema = z.object({
  name: z.literal("diagnosis-latency"),
  unit: z.literal("s"),
  fitcheck: positive,
  target: TargetSchema,
  met: z.boolean(),
  setup: z.string(),
  rows: z.number().int().positive(),
  features: z.number().int().positive(),
  epochs: z.number().int().positive(),
  /** The report's `budget` section when the budget engaged (what was trained), else null. */
  budget: z.record(z.string(), z.unknown()).nullable(),
  trainS: positive,
  findings: z.array(z.string()),
  checks: z.array(CheckSchema).min(1),
}).strict();
export type LatencyCase = z.infer<typeof LatencyCaseSchema>;

/** The machine behind the adapter (a CPU adapter runs on it): from /proc/cpuinfo where there is one. */
export const MachineSchema = z.object({
  cpuModel: z.string(),
  /** The SIMD widths that decide register tiles on a CPU adapter. */
  avx2: z.boolean(),
  avx512f: z.boolean(),
}).strict();

export const BenchResultSchema = z.object({
  schema: z.literal("fitcheck.bench/v1"),
  tool: z.object({ name: z.literal("fitcheck"), version: z.string() }).strict(),
  adapter: z.object({
    description: z.string(),
    isFallbackAdapter: z.boolean(),
    vendor: z.string().optional(),
    architecture: z.string().optional(),
  }).strict(),
  /** Absent in results saved before it existed. */
  machine: MachineSchema.optional(),
  /** The matmul variants the tuner chose, by product class (src/kernels/tuning.ts); absent before it. */
  tuning: z.object({ cache: z.literal("memory"), choices: z.record(z.string(), z.string()) }).strict()
    .optional(),
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
  // The four cases of CONTRACT §4 in order, then additive ones (cnn-train-step, diagnosis-latency):
  // results saved before they existed still read (`bench --from`).
  cases: z.tuple([MatmulCaseSchema, MlpCaseSchema, OverheadCaseSchema, ReadbacksCaseSchema]).rest(
    z.union([CnnCaseSchema, LatencyCaseSchema]),
  ),
  /** Every check of every case passed. */
  checksOk: z.boolean(),
  /** Every target met. */
  allTargetsMet: z.boolean(),
  totalMs: positive,
}).strict();
export type BenchResult = z.infer<typeof BenchResultSchema>;
export type BenchCase = BenchResult["cases"][number];
