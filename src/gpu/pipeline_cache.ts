/**
 * Compute pipelines cached by (kernel name, override constants), with compile and validation
 * errors turned into messages that name the kernel and point at `shaders/<name>.wgsl:line:col`.
 */
import { type DeviceLossWatch, watchDeviceLoss } from "./device_loss.ts";
import { formatCompilationMessage, GpuError } from "./errors.ts";

/** How a shader binds one resource at `@group(0) @binding(i)`, i being its position. */
export type BindingAccess = "read" | "read-write" | "uniform" | "texture" | "write-texture";

/** What the cache needs to know about a kernel. */
export interface ShaderSource {
  /** The kernel name, equal to the shader file stem. */
  name: string;
  /** WGSL source. */
  code: string;
  /** Default "main". */
  entryPoint?: string;
  /** Access of each binding, in binding order. */
  layout: readonly BindingAccess[];
}

/** A compiled pipeline and the explicit bind group layout it was built with. */
export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
}

/** Override constants: numbers (bools pass as 0/1, as WebGPU requires). */
export type OverrideConstants = Record<string, number>;

/**
 * @example
 * ```ts
 * const cache = new PipelineCache(device);
 * const { pipeline, bindGroupLayout } = await cache.get(source, { ACTIVATION: 1 });
 * ```
 */
export class PipelineCache {
  readonly device: GPUDevice;
  #modules = new Map<string, Promise<GPUShaderModule>>();
  #layouts = new Map<string, GPUBindGroupLayout>();
  #pipelines = new Map<string, Promise<CachedPipeline>>();
  #compiled = 0;
  #loss: DeviceLossWatch;

  constructor(device: GPUDevice) {
    this.device = device;
    this.#loss = watchDeviceLoss(device);
  }

  /** Number of distinct pipelines created so far. */
  get size(): number {
    return this.#compiled;
  }

  /**
   * The pipeline for `source` specialised by `constants`, created on first use.
   *
   * @throws {GpuError} with `shaders/<name>.wgsl:line:col` on a compile error, or the validation
   * message (missing override, layout that does not match the shader) on a pipeline error.
   * @throws {DeviceLostError} when the device is lost (Deno reports a lost device's compilation as
   * a shader error, "Parent device is lost": a failure is checked against the loss first).
   */
  get(source: ShaderSource, constants: OverrideConstants = {}): Promise<CachedPipeline> {
    const keyConstants = Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(",");
    const key = `${source.name}|${keyConstants}`;
    let entry = this.#pipelines.get(key);
    if (!entry) {
      entry = this.#create(source, constants, keyConstants);
      this.#pipelines.set(key, entry);
      // A failed creation must not poison the cache for a corrected retry.
      entry.catch(() => this.#pipelines.delete(key));
    }
    return entry;
  }

  async #create(source: ShaderSource, constants: OverrideConstants, keyConstants: string) {
    const module = await this.#module(source);
    const bindGroupLayout = this.#layout(source);
    const label = keyConstants ? `${source.name}(${keyConstants})` : source.name;
    this.device.pushErrorScope("validation");
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [bindGroupLayout] }),
      compute: { module, entryPoint: source.entryPoint ?? "main", constants },
    });
    const error = await this.#loss.guard(this.device.popErrorScope());
    if (error) {
      if (await this.#loss.settle()) throw this.#loss.error(error)!;
      throw new GpuError(
        `pipeline creation failed with constants {${keyConstants}}: ${error.message.trim()}`,
        {
          kernel: source.name,
        },
      );
    }
    this.#compiled++;
    return { pipeline, bindGroupLayout };
  }

  #module(source: ShaderSource): Promise<GPUShaderModule> {
    let module = this.#modules.get(source.name);
    if (!module) {
      module = compileModule(this.device, this.#loss, source);
      this.#modules.set(source.name, module);
      module.catch(() => this.#modules.delete(source.name));
    }
    return module;
  }

  #layout(source: ShaderSource): GPUBindGroupLayout {
    let layout = this.#layouts.get(source.name);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `${source.name} bindings`,
        entries: source.layout.map((access, binding) => ({ binding, ...layoutEntry(access) })),
      });
      this.#layouts.set(source.name, layout);
    }
    return layout;
  }
}

async function compileModule(
  device: GPUDevice,
  loss: DeviceLossWatch,
  source: ShaderSource,
): Promise<GPUShaderModule> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label: source.name, code: source.code });
  const info = await loss.guard(module.getCompilationInfo?.() ?? Promise.resolve(undefined));
  const scopeError = await loss.guard(device.popErrorScope());
  const errors = (info?.messages ?? []).filter((m) => m.type === "error");
  if ((errors.length > 0 || scopeError) && await loss.settle()) throw loss.error(scopeError ?? errors[0])!;
  if (errors.length > 0) {
    const lines = errors.map((m) => formatCompilationMessage(`shaders/${source.name}.wgsl`, m));
    throw new GpuError(`shader does not compile:\n${lines.join("\n")}`, { kernel: source.name });
  }
  if (scopeError) {
    throw new GpuError(`shader module invalid: ${scopeError.message.trim()}`, { kernel: source.name });
  }
  return module;
}

/**
 * The bind group layout entry of one binding. Textures are 2D rgba32float, the only texture format
 * kernels use (matmul operands packed four floats a texel): sampled ones as `texture_2d<f32>` (read
 * with textureLoad; rgba32float is not filterable), written ones as
 * `texture_storage_2d<rgba32float, write>`.
 */
function layoutEntry(access: BindingAccess): Omit<GPUBindGroupLayoutEntry, "binding"> {
  const visibility = 4; /* GPUShaderStage.COMPUTE */
  switch (access) {
    case "texture":
      return { visibility, texture: { sampleType: "unfilterable-float", viewDimension: "2d" } };
    case "write-texture":
      return {
        visibility,
        storageTexture: { access: "write-only", format: "rgba32float", viewDimension: "2d" },
      };
    case "uniform":
      return { visibility, buffer: { type: "uniform" } };
    case "read":
      return { visibility, buffer: { type: "read-only-storage" } };
    case "read-write":
      return { visibility, buffer: { type: "storage" } };
  }
}
