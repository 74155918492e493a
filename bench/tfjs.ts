/**
 * TensorFlow.js as the peer: the full `@tensorflow/tfjs` (its CPU backend, with gradients) and
 * `@tensorflow/tfjs-backend-webgpu` on fitcheck's own adapter.
 *
 * The WebGPU backend's constructor takes a `GPUDevice`, so tfjs-webgpu is registered over the package's
 * own factory with fitcheck's device: both engines then run on one adapter, one device and one queue,
 * and a repetition of one cannot overlap the other's. Only when that fails does tfjs get its own device
 * on the same adapter; the result says which.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";

/** The two tfjs engines measured. */
export type TfjsEngine = "webgpu" | "cpu";

/** tfjs, ready to switch between its engines. */
export interface Tfjs {
  tf: typeof tf;
  version: string;
  /** Whether tfjs-webgpu runs on fitcheck's GPUDevice or on a second device of the same adapter. */
  webgpuDevice: "shared" | "own";
  /** Makes `engine` the active backend (tensors are created on, and ops run on, the active one). */
  use(engine: TfjsEngine): Promise<void>;
}

/**
 * Sets up tfjs with tfjs-webgpu on `device` (fitcheck's), or on a new device of `adapter` when the
 * shared one is refused. Enables tfjs's production mode: no debug checks and no console warnings
 * (one of them would otherwise tell us, on stderr, to install tfjs-node), as a user timing tfjs would.
 */
export async function setupTfjs(adapter: GPUAdapter, device: GPUDevice): Promise<Tfjs> {
  tf.enableProdMode();
  const info = adapter.info;
  let webgpuDevice: "shared" | "own" = "shared";
  const register = (d: GPUDevice) => {
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    // Kernels are registered per backend NAME, so the replacement must be called "webgpu" too.
    tf.registerBackend("webgpu", () => new WebGPUBackend(d, info));
  };
  register(device);
  if (!(await tf.setBackend("webgpu"))) {
    webgpuDevice = "own";
    register(await adapter.requestDevice({ label: "tfjs-webgpu", requiredLimits: raisedLimits(adapter) }));
    if (!(await tf.setBackend("webgpu"))) {
      throw new Error(`tfjs-webgpu could not start on the adapter "${info.description}"`);
    }
  }
  if (!(await tf.setBackend("cpu"))) throw new Error("tfjs-backend-cpu could not start");
  let active: TfjsEngine = "cpu";
  return {
    tf,
    version: tf.version.tfjs,
    webgpuDevice,
    async use(engine) {
      if (engine === active) return;
      if (!(await tf.setBackend(engine))) throw new Error(`tfjs backend ${engine} could not be selected`);
      active = engine;
    },
  };
}

// The limits tfjs-webgpu's own factory raises (tfjs-backend-webgpu/src/base.ts), for the fallback device.
function raisedLimits(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
}

/** `await` on the given tensor's first element: a 4-byte readback that waits for all queued work. */
export async function settle(t: tf.Tensor): Promise<number> {
  const first = tf.tidy(() => t.flatten().slice(0, 1));
  const [value] = await first.data();
  first.dispose();
  return value;
}
