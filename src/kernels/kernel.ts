/**
 * The shape every kernel definition shares, and the generic prepare-once / encode-many machinery.
 *
 * A kernel is one WGSL file `shaders/<name>.wgsl` with `fn main`, its storage (or texture) bindings at
 * `@group(0) @binding(0..n-1)` in the order of `bindings`, and, when `uniforms` is not empty, a
 * `struct Params` of 4-byte scalars in the order of `uniforms` at `@binding(n)`. Shapes that change
 * per call (the rows of the last partial batch, Adam's step) live in that uniform; fixed choices
 * (activation, transposes, workgroup sizes) are WGSL `override` constants, so every shader is valid
 * WGSL on its own.
 *
 * `prepareKernel` builds the pipeline, bind group and uniform buffer once; the returned
 * {@linkcode PreparedOp} is then encoded into compute passes as often as needed, with no allocation.
 */
import type { GpuContext } from "../gpu/context.ts";
import type { BindingAccess, OverrideConstants } from "../gpu/pipeline_cache.ts";

/**
 * A binding: its name (as in the WGSL) and how the shader accesses it: a storage buffer, or a 2D
 * rgba32float texture read with textureLoad ("texture") or written with textureStore
 * ("write-texture").
 */
export interface KernelBinding {
  name: string;
  access: "read" | "read-write" | "texture" | "write-texture";
}

/** One field of `struct Params`. */
export interface UniformField<U extends string = string> {
  name: U;
  type: "u32" | "i32" | "f32";
}

/** Workgroup counts in x, y, z. */
export type Workgroups = [number, number, number];

/** The definition of one kernel. */
export interface KernelDef<U extends string = string> {
  /** Equal to the shader file stem: `shaders/<name>.wgsl`. */
  name: string;
  /** The WGSL source. */
  code: string;
  /** Storage bindings in binding order. */
  bindings: readonly KernelBinding[];
  /** Fields of `struct Params`, bound after the storage bindings; empty when there is none. */
  uniforms: readonly UniformField<U>[];
  /** The override constants the shader declares, with the defaults it declares them with. */
  overrides: Readonly<OverrideConstants>;
  /** Workgroups to dispatch for these uniform values and overrides. */
  dispatch(uniforms: Readonly<Record<U, number>>, overrides: Readonly<OverrideConstants>): Workgroups;
  /** The independent float64 twin(s) in src/reference/ this kernel is tested against. */
  twins: readonly ((...args: never[]) => unknown)[];
}

/**
 * A buffer bound whole, or `size` bytes of it from byte `offset` (default 0; a multiple of the
 * device's `minStorageBufferOffsetAlignment`): `arrayLength` in WGSL then sees only those. The flat
 * parameter and gradient buffers of a model (src/train/parameters.ts) are bound this way.
 */
export type BoundBuffer = GPUBuffer | BufferSlice;

/** `size` bytes of `buffer` from byte `offset`. */
export interface BufferSlice {
  buffer: GPUBuffer;
  offset?: number;
  size: number;
}

/** Options of {@linkcode prepareKernel}. */
export interface PrepareOptions<U extends string> {
  /** Shown in validation messages and on the bind group / uniform buffer. */
  label: string;
  /** One buffer per buffer binding name. */
  buffers: Readonly<Record<string, BoundBuffer>>;
  /** One texture per texture binding name (bound as a view of the whole texture). */
  textures?: Readonly<Record<string, GPUTexture>>;
  /** Initial uniform values; every field must be given. */
  uniforms: Readonly<Record<U, number>>;
  /** Override constants; unspecified ones keep the shader's defaults. */
  overrides?: Readonly<OverrideConstants>;
}

/** A kernel ready to encode: pipeline, bind group and uniform buffer are created once. */
export interface PreparedOp<U extends string = string> {
  readonly label: string;
  readonly kernel: string;
  /** Current uniform values. */
  readonly uniforms: Readonly<Record<U, number>>;
  /** Current workgroup counts. */
  readonly workgroups: Readonly<Workgroups>;
  /**
   * Updates uniform values (queue.writeBuffer). The write takes effect for the NEXT queue submit:
   * values cannot differ between two encodes of the same op inside one command buffer.
   */
  set(values: Partial<Record<U, number>>): void;
  /** Records the dispatch into `pass` (nothing when a workgroup count is 0). */
  encode(pass: GPUComputePassEncoder): void;
  /** Returns the uniform buffer to the pool. Bound storage buffers belong to the caller. */
  release(): void;
}

const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */;

/** The layout the pipeline cache builds: storage bindings, then the uniform when there is one. */
export function kernelLayout(def: KernelDef): BindingAccess[] {
  const layout: BindingAccess[] = def.bindings.map((b) => b.access);
  if (def.uniforms.length > 0) layout.push("uniform");
  return layout;
}

/**
 * Prepares `def` once: pipeline (cached per override set), uniform buffer, bind group.
 *
 * @throws {GpuError} when the shader or pipeline is invalid (with kernel name and line:col).
 */
export async function prepareKernel<U extends string>(
  ctx: GpuContext,
  def: KernelDef<U>,
  options: PrepareOptions<U>,
): Promise<PreparedOp<U>> {
  const overrides = { ...def.overrides, ...options.overrides };
  for (const name of Object.keys(options.overrides ?? {})) {
    if (!(name in def.overrides)) throw new Error(`kernel ${def.name}: unknown override constant ${name}`);
  }
  const { pipeline, bindGroupLayout } = await ctx.pipelines.get(
    { name: def.name, code: def.code, layout: kernelLayout(def) },
    overrides,
  );
  const entries: GPUBindGroupEntry[] = def.bindings.map((binding, index) => {
    if (binding.access === "texture" || binding.access === "write-texture") {
      const texture = options.textures?.[binding.name];
      if (!texture) {
        throw new Error(`kernel ${def.name}: no texture for binding "${binding.name}" (${options.label})`);
      }
      return { binding: index, resource: texture.createView() };
    }
    const bound = options.buffers[binding.name];
    if (!bound) {
      throw new Error(`kernel ${def.name}: no buffer for binding "${binding.name}" (${options.label})`);
    }
    return {
      binding: index,
      resource: bound instanceof GPUBuffer
        ? { buffer: bound }
        : { buffer: bound.buffer, offset: bound.offset ?? 0, size: bound.size },
    };
  });
  const values = { ...options.uniforms } as Record<U, number>;
  for (const field of def.uniforms) {
    if (typeof values[field.name] !== "number") {
      throw new Error(`kernel ${def.name}: uniform "${field.name}" not given (${options.label})`);
    }
  }
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((def.uniforms.length * 4) / 16) * 16));
  const view = new DataView(bytes);
  let uniformBuffer: GPUBuffer | null = null;
  if (def.uniforms.length > 0) {
    uniformBuffer = ctx.pool.acquire(`${options.label} params`, bytes.byteLength, UNIFORM_USAGE);
    entries.push({ binding: def.bindings.length, resource: { buffer: uniformBuffer } });
  }
  const bindGroup = ctx.device.createBindGroup({ label: options.label, layout: bindGroupLayout, entries });
  let workgroups: Workgroups = [0, 0, 0];

  const write = () => {
    def.uniforms.forEach((field, i) => {
      const v = values[field.name];
      if (field.type === "f32") view.setFloat32(i * 4, v, true);
      else if (field.type === "i32") view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    if (uniformBuffer) ctx.device.queue.writeBuffer(uniformBuffer, 0, bytes);
    workgroups = def.dispatch(values, overrides);
  };
  write();

  return {
    label: options.label,
    kernel: def.name,
    get uniforms() {
      return values;
    },
    get workgroups() {
      return workgroups;
    },
    set(update) {
      for (const [name, v] of Object.entries(update) as [U, number | undefined][]) {
        if (v === undefined) continue;
        if (!def.uniforms.some((f) => f.name === name)) {
          throw new Error(`kernel ${def.name}: no uniform "${name}"`);
        }
        values[name] = v;
      }
      write();
    },
    encode(pass) {
      if (workgroups[0] === 0 || workgroups[1] === 0 || workgroups[2] === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    },
    release() {
      if (uniformBuffer) ctx.pool.release(uniformBuffer);
      uniformBuffer = null;
    },
  };
}

/** The most workgroups WebGPU guarantees per dimension. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * Workgroups for `count` independent items at `workgroupSize` threads per group, folded into y when
 * x would exceed 65535. Shaders recover the flat index as
 * `gid.x + gid.y * num_workgroups.x * WG` (see the element-wise shaders).
 */
export function linearWorkgroups(count: number, workgroupSize: number): Workgroups {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(groups / y), y, 1];
}

/** Encodes several prepared ops, in order, into one pass (WebGPU orders dispatches in a pass). */
export function encodeAll(
  pass: GPUComputePassEncoder,
  ops: readonly { encode(p: GPUComputePassEncoder): void }[],
) {
  for (const op of ops) op.encode(pass);
}

/** A prepared sequence of dispatches whose batch rows may change between submits (a partial last batch). */
export interface RowsOp {
  readonly label: string;
  /** The rows of the batch (<= the capacity the buffers were made for). Effective at the next submit. */
  setRows(rows: number): void;
  encode(pass: GPUComputePassEncoder): void;
  /** Returns the uniform buffers to the pool; the caller's buffers stay. */
  release(): void;
}

/** Ties prepared ops into one {@linkcode RowsOp}: encoded in order, released together. */
export function rowsSequence(
  label: string,
  ops: readonly PreparedOp<string>[],
  setRows: (rows: number) => void,
): RowsOp {
  return {
    label,
    setRows,
    encode(pass) {
      encodeAll(pass, ops);
    },
    release() {
      for (const op of ops) op.release();
    },
  };
}
