/**
 * The HDF5 container (Keras's `model.weights.h5` and Keras 2 `.h5` files), read with h5wasm. Knows
 * nothing of layers: groups, attributes and float datasets by path. HDF5's own error stack is turned
 * into exceptions (h5wasm's throwing handler) so a bad file gives one InputError, never a diagnostic dump.
 *
 * @module
 */
import h5wasm from "h5wasm";
import { InputError } from "../../errors.ts";

/** A float dataset: its shape and its values in row-major (C) order. */
export interface Hdf5Array {
  shape: number[];
  data: Float64Array;
}

/** An open HDF5 file, read-only; `close` frees it. */
export interface Hdf5Reader {
  /** Whether an object (group or dataset) exists at `path`. */
  has(path: string): boolean;
  /** Child names of the group at `path` ("" or "/" for the root); [] when there is no such group. */
  keys(path: string): string[];
  /** An attribute of the object at `path` as a JS value (strings decoded), undefined when absent. */
  attribute(path: string, name: string): unknown;
  /** The float dataset at `path`. */
  array(path: string): Hdf5Array;
  close(): void;
}

let counter = 0;

/**
 * Opens `bytes` as an HDF5 file. `file` names it in errors.
 *
 * @example
 * ```ts ignore
 * const h5 = await openHdf5(bytes, "/m.h5");
 * const kernel = h5.array("model_weights/dense/dense/kernel:0");
 * h5.close();
 * ```
 * @throws {InputError} when the bytes are not a readable HDF5 file.
 */
export async function openHdf5(bytes: Uint8Array, file: string): Promise<Hdf5Reader> {
  const Module = await h5wasm.ready;
  Module.activate_throwing_error_handler();
  const name = `/fitcheck-${++counter}.h5`;
  Module.FS.writeFile(name, bytes);
  let f: InstanceType<typeof h5wasm.File>;
  try {
    f = new h5wasm.File(name, "r");
  } catch (e) {
    Module.FS.unlink(name);
    throw new InputError(`not a readable HDF5 file (${firstLine(e)}): the file is corrupt or truncated`, {
      file,
    });
  }
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot read ${what} (${firstLine(e)}): the file is corrupt or truncated`, {
        file,
      });
    }
  };
  const get = (path: string) => guard(path, () => f.get(path));
  return {
    has: (path) => guard(path, () => f.get(path) !== null && f.get(path) !== undefined),
    keys: (path) => {
      const g = path === "" || path === "/" ? f : get(path);
      return g instanceof h5wasm.Group ? guard(path, () => g.keys()) : [];
    },
    attribute: (path, attr) =>
      guard(`attribute ${attr} of ${path || "/"}`, () => {
        const obj = path === "" || path === "/" ? f : f.get(path);
        const a = obj instanceof h5wasm.Group || obj instanceof h5wasm.Dataset ? obj.attrs[attr] : undefined;
        if (a === undefined) return undefined;
        const v = a.value;
        return v instanceof Uint8Array ? new TextDecoder().decode(v) : v;
      }),
    array: (path) =>
      guard(path, () => {
        const d = f.get(path);
        if (!(d instanceof h5wasm.Dataset)) {
          throw new InputError(`has no dataset ${path}`, { file });
        }
        const v = d.value;
        if (!(v instanceof Float32Array || v instanceof Float64Array)) {
          throw new InputError(`dataset ${path} holds ${d.dtype}, not float32/float64`, { file });
        }
        return { shape: [...(d.shape ?? [])], data: Float64Array.from(v) };
      }),
    close: () => {
      try {
        f.close();
      } finally {
        Module.FS.unlink(name);
      }
    },
  };
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  // HDF5's stack lists the outermost call first; its innermost "minor:" line says what was wrong.
  const minor = lines.filter((l) => l.startsWith("minor:")).at(-1);
  return (minor ? minor.slice("minor:".length).trim() : lines[0] ?? "unknown error").slice(0, 120);
}
