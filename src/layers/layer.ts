/**
 * One definition per layer kind (tfjs's kernel registry is the model): a {@linkcode LayerDefinition}
 * ties together a kind's scenario schema, its shape inference, the shapes of its parameters (which
 * the initialisers fill), its GPU ops for training and for evaluation, its float64 twin, and what it
 * records. The model, the GPU trainer, the float64 trainer and the detectors walk a list of
 * definitions ({@linkcode LAYERS} in ./mod.ts) and never switch on a layer's name.
 *
 * ## Adding a layer kind
 *
 * 1. Write its shaders (`shaders/<op>_<pass>.wgsl`), their KernelDefs in `src/kernels/<op>.ts` and
 *    their float64 twins in `src/reference/<op>.ts`, as README "Adding a kernel" says.
 * 2. Write `src/layers/<kind>.ts` exporting one `LayerDefinition`: `type` (the scenario's `"type"`),
 *    `schema` (a zod object for the entry's keys, `type` included), `outputShape` (throw
 *    {@linkcode LayerShapeError} for an input it cannot take), `parameters` (null for none),
 *    `activation` (what the detectors' dead/saturated statistics read), `twin`, `prepareTraining`
 *    and `prepareEvaluation`. Its parameters arrive as slices of the model's flat parameter buffer
 *    (`io.params`) and its backward pass writes their gradients into `io.grads` (slices of the flat
 *    gradient buffer the one optimizer dispatch reads): it allocates neither. A kind that keeps
 *    normalization state on the GPU (batch norm) offers it as `normalization` (and its twin as
 *    `LayerTwin.normalization`), which the trainer records.
 * 3. Append it to `LAYERS` in `src/layers/mod.ts` and its spec type to `LayerSpec` there.
 * 4. Tests: its kernels in `test/kernels/` (equivalence with the twins on awkward shapes, on both
 *    WebGPU implementations), its twin against finite differences in `test/reference/`, and a
 *    scenario using it in `test/layers/`.
 *
 * Shapes are per row, channels last (NHWC as Keras): [features], [steps, channels],
 * [height, width, channels]. Every tensor is stored as a row-major batch × product(shape) buffer, so
 * a reshape (flatten) is free.
 *
 * @module
 */
import type { z } from "zod";
import type { GpuContext } from "../gpu/context.ts";
import type { BoundBuffer, PreparedOp } from "../kernels/kernel.ts";
import type { LayerTwin } from "../reference/layer_twin.ts";
import type { ElementwiseActivation } from "../reference/activations.ts";
import type { Activation } from "../scenario/types.ts";
import type { Matrix } from "../reference/matrix.ts";
import type { Rng } from "../random.ts";

/** A per-row tensor shape, channels last. */
export type Shape = readonly number[];

/** The number of values of one row of `shape`. */
export function sizeOf(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** "[8, 8, 1]" */
export function describeShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** An input the layer cannot take: the message names what it got and what it needs. */
export class LayerShapeError extends Error {
  override name = "LayerShapeError";
}

/**
 * The parameters of a layer as one weight matrix and a bias vector (LayerWeights): `inputs × units`
 * weights (dense: inputs × units; conv2d: kh·kw·cin × filters, Keras's kernel order) and `units`
 * biases. `fanIn`/`fanOut` are Keras's, for the initialisers.
 */
export interface ParameterShape {
  inputs: number;
  units: number;
  fanIn: number;
  fanOut: number;
}

/** One layer of a model: its definition, spec and inferred shapes. */
export interface ModelLayer<S extends { type?: string } = { type?: string }> {
  /** 0-based position in `model.layers`. */
  position: number;
  def: LayerDefinition<S>;
  spec: S;
  input: Shape;
  output: Shape;
  /** Values per row in and out. */
  inSize: number;
  outSize: number;
  /** Null for layers without parameters. */
  parameters: ParameterShape | null;
  /** The activation this layer applies (its dead/saturated statistic); "linear" for none. */
  activation: Activation;
}

/** The model's parameters of one layer on the GPU: slices of the flat parameter buffer. */
export interface GpuLayerParameters {
  w: BoundBuffer;
  b: BoundBuffer;
}

/**
 * Where a layer's backward pass writes its parameters' gradients: slices of the flat gradient buffer
 * (src/train/parameters.ts), shaped as its W and b, that the one optimizer dispatch reads.
 */
export interface GpuLayerGradients {
  dw: BoundBuffer;
  db: BoundBuffer;
}

/** What every GPU layer op is given. */
export interface GpuLayerIO {
  label: string;
  /** Batch rows the buffers are made for (training) or the split's rows (evaluation). */
  rows: number;
  /** The layer's input, rows × inSize. */
  x: GPUBuffer;
  params: GpuLayerParameters | null;
}

/**
 * Across-layer fusion (dense, conv2d, pooling): a layer below may expose its elementwise activation, and a layer that
 * accepts it writes the layer below's dZ = (∂L/∂x) ⊙ act'(Z_below) from its input-gradient product. The
 * model's top layer exposes it (or its softmax) to the loss step, which writes its dZ.
 */
export interface BackwardFusion<S> {
  /** The activation whose derivative the layer above may apply for this layer (null: none). */
  exposes(spec: S): ElementwiseActivation | null;
  /**
   * Whether this layer's input-gradient pass can apply the layer below's act' (on `ctx`: the dense
   * product fuses only in the matmul variants with that epilogue).
   */
  accepts(spec: S, ctx: GpuContext): boolean;
  /**
   * The layer's output is softmax(Z) with nothing after it (no dropout): as the model's top layer,
   * the loss step may compute it and its backward (then `softmaxInHead`).
   */
  exposesSoftmax?(spec: S): boolean;
}

/** Training-only inputs. */
export interface GpuTrainIO extends GpuLayerIO {
  /** Where the backward pass writes ∂L/∂x (rows × inSize); null for the first layer. */
  dx: GPUBuffer | null;
  /** Where it writes ∂L/∂W and ∂L/∂b (layers with parameters), else null. */
  grads: GpuLayerGradients | null;
  /** The run's dropout seed and this layer's position (each layer draws its own masks). */
  dropoutSeed: number;
  /** The statistics are wanted (the lean step skips what only they need). */
  instrument: boolean;
  /** Fusion (only for definitions with `fusion`, decided by the network). */
  fusion: {
    /** Apply the layer below's act' in the input-gradient product (dx is then the layer below's dZ). */
    below: { activation: ElementwiseActivation; z: GPUBuffer } | null;
    /**
     * The layer above (or, for the top layer, the loss step) already writes this layer's dZ: skip
     * dY ⊙ act'(Z) (or softmax's backward).
     */
    dzReady: boolean;
    /** The loss step computes Y = softmax(Z) (see `exposesSoftmax`): the forward pass stops at Z. */
    softmaxInHead: boolean;
  };
  /**
   * Nothing reads this layer's output y after the layer above has run its forward pass (that layer's
   * backward does not read its input, and y is not the model's output): y may be the buffer ∂L/∂y
   * is written into, one activation-sized buffer fewer.
   */
  outputFreeInBackward: boolean;
}

/** A layer's forward pass on the GPU (evaluation, and the base of training). */
export interface GpuLayer {
  /** The output, rows × outSize. */
  y: GPUBuffer;
  /** The pre-activations (layers with parameters: rows × outSize), else null. */
  z: GPUBuffer | null;
  /** The activations before any dropout (the evaluation's unit statistics read them). */
  activations: GPUBuffer;
  /** The batch rows now (<= capacity); effective at the next submit. */
  setRows(rows: number): void;
  forward(pass: GPUComputePassEncoder): void;
}

/** A layer's training ops on the GPU. */
export interface GpuTrainLayer extends GpuLayer {
  /** Where the layer above (or the loss) writes ∂L/∂y, rows × outSize. */
  dy: GPUBuffer;
  /** Where ∂L/∂Z lives (fusion: the layer above writes it); null for layers without one. */
  dz: GPUBuffer | null;
  /** Gradients of the parameters (io.grads, and dW's block norms when the product wrote them). */
  grads: { dw: BoundBuffer; db: BoundBuffer; dwBlockNorms: GPUBuffer | null; blockNormCount: number } | null;
  /** The 0-based global step (dropout masks); effective at the next submit. */
  setStep(step: number): void;
  backward(pass: GPUComputePassEncoder): void;
}

/**
 * The training ops of a layer without parameters: `forward` writes `y` from the input and `backward`
 * (null when nothing below takes a gradient) writes dx from `dy`. A batch of `rows` sets
 * `rowUniforms(rows)` in both; a step sets `stepUniforms(step)` in both (for layers whose ops read it).
 */
export function parameterFreeTraining<U extends string>(
  buffers: { y: GPUBuffer; dy: GPUBuffer },
  forward: PreparedOp<U>,
  backward: PreparedOp<U> | null,
  rowUniforms: (rows: number) => Partial<Record<U, number>>,
  stepUniforms?: (step: number) => Partial<Record<U, number>>,
): GpuTrainLayer {
  const { y, dy } = buffers;
  return {
    y,
    z: null,
    activations: y,
    dy,
    dz: null,
    grads: null,
    setRows(rows) {
      forward.set(rowUniforms(rows));
      backward?.set(rowUniforms(rows));
    },
    setStep(step) {
      if (!stepUniforms) return;
      forward.set(stepUniforms(step));
      backward?.set(stepUniforms(step));
    },
    forward: (pass) => forward.encode(pass),
    backward: (pass) => backward?.encode(pass),
  };
}

/** The per-channel normalization statistics a layer kind keeps on the GPU (see LayerDefinition). */
export interface NormalizationState<S extends { type?: string }> {
  /** Keras's momentum and epsilon of the layer. */
  settings(spec: S): { momentum: number; epsilon: number };
  /**
   * The layer's statistics buffers made by `prepareTraining` on `ctx` (each `channels` float32):
   * moving mean, moving variance, last training batch's mean and variance; null before that.
   */
  buffers(
    ctx: GpuContext,
    layer: ModelLayer<S>,
  ): {
    channels: number;
    movingMean: GPUBuffer;
    movingVariance: GPUBuffer;
    batchMean: GPUBuffer;
    batchVariance: GPUBuffer;
  } | null;
}

/** The definition of one layer kind. */
export interface LayerDefinition<S extends { type?: string }> {
  /** The scenario's `"type"`. */
  type: NonNullable<S["type"]>;
  /** The zod schema of a `model.layers` entry of this kind (`type` included; defaults filled in). */
  schema: z.ZodType<S>;
  /** The per-row output shape for `input`; throws LayerShapeError naming both shapes. */
  outputShape(spec: S, input: Shape): Shape;
  /** The shapes of its parameters, or null for a layer without any. */
  parameters(spec: S, input: Shape): ParameterShape | null;
  /** Whether `parameters` is non-null (known from the spec alone: the detectors have no shapes). */
  hasParameters(spec: S): boolean;
  /** A few words for messages: "16 relu units", "8 relu filters 3×3". */
  describe(spec: S): string;
  /** The activation the layer applies ("linear" for none): which statistic its records carry. */
  activation(spec: S): Activation;
  /** The float64 twin of this layer (`position` keys its dropout masks). */
  twin(layer: ModelLayer<S>): LayerTwin;
  prepareTraining(ctx: GpuContext, layer: ModelLayer<S>, io: GpuTrainIO): Promise<GpuTrainLayer>;
  prepareEvaluation(ctx: GpuContext, layer: ModelLayer<S>, io: GpuLayerIO): Promise<GpuLayer>;
  fusion?: BackwardFusion<S>;
  /**
   * Whether this layer's backward pass reads its input x (absent: true). Pooling does not (max routes
   * by the argmax its forward pass kept), so the layer below may write ∂L/∂y over its own y.
   */
  backwardReadsInput?: boolean;
  /**
   * Normalization state the layer keeps on the GPU beyond its parameters (batch norm: the moving
   * statistics and the last training batch's), recorded once per epoch into
   * `TrainingRecords.batchNorm` within the epoch's one readback. Absent: the layer keeps none.
   */
  normalization?: NormalizationState<S>;
  /**
   * Keras's kernel regularizer factor `l2` (`regularizers.L2`): l2·Σw² of the weights (not the
   * biases) is added to the loss the optimizer minimises and the loss reported, 2·l2·w to the
   * weights' gradient. Absent or 0: not regularized.
   */
  l2?(spec: S): number;
  /**
   * The layer's own Keras initialisers (embedding: U(-0.05, 0.05); batch norm: γ = 1, β = 0).
   * Absent: the scenario's `model.init` for the weights and zero biases.
   */
  initialize?(spec: S, parameters: ParameterShape, rng: Rng): { weights: Float64Array; biases: Float64Array };
  /**
   * The layer reads the data's values themselves (token indices), so it must be the first layer, and
   * each split's features are checked before training: the first bad value as (0-based row, column,
   * problem), or null. A bad value is an input error naming the row, the column and the value.
   */
  rawInput?: { check(spec: S, x: Matrix): { row: number; column: number; problem: string } | null };
}

/** Records of the layers that carry parameters: per filter/unit statistics read z as (rows·positions) × units. */
export function recordPositions(layer: ModelLayer): number {
  return layer.parameters ? layer.outSize / layer.parameters.units : 1;
}
