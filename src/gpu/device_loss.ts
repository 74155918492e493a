/**
 * Device loss, surfaced as {@linkcode DeviceLostError} within a bounded time instead of a hang or a
 * misleading error.
 *
 * What the two implementations do after `device.destroy()` (measured on llvmpipe/lavapipe with Deno
 * 2.9.6, and on SwiftShader with Dawn from the `webgpu` npm package 0.6.2, Node 20):
 * - Deno (wgpu): a pending or new `mapAsync` REJECTS about 4 ms later with
 *   `OperationError: validation error occurred`, and `device.lost` resolves only AFTER that (1 to 50 ms
 *   later; reason "destroyed", message "device was lost"). `onSubmittedWorkDone` resolves.
 *   `getCompilationInfo` resolves with one error message, "Parent device is lost", so a pipeline built
 *   on a lost device would otherwise read as a shader that does not compile. `popErrorScope` resolves
 *   null; `createBuffer`/`writeBuffer` do not throw.
 * - Dawn: `device.lost` resolves first (reason "destroyed", "device was destroyed"), then `mapAsync`
 *   rejects with an AbortError; compilation info is empty, `onSubmittedWorkDone` resolves.
 * Neither hangs after destroy(), but the spec allows a lost device's map to stay pending and a real
 * loss (driver reset) is not a destroy(): so every wait races `device.lost`, and a rejection is
 * attributed to a loss when `device.lost` settles within {@linkcode LOSS_GRACE_MS}.
 *
 * @module
 */
import { DeviceLostError } from "./errors.ts";

/**
 * How long a failed GPU wait waits for `device.lost` before it is taken as a failure of its own. Deno
 * resolves `lost` up to ~50 ms after the rejection it causes (its event loop polls the device every
 * 10 ms); 1 s is 20 times that, and is paid only on a path that is already failing.
 */
export const LOSS_GRACE_MS = 1000;

/** The loss state of one device, shared by everything that waits on it. */
export class DeviceLossWatch {
  #info: GPUDeviceLostInfo | null = null;
  #lost: Promise<GPUDeviceLostInfo>;

  constructor(device: GPUDevice) {
    this.#lost = device.lost.then((info) => (this.#info = info));
  }

  /** The loss, once `device.lost` has resolved. */
  get info(): GPUDeviceLostInfo | null {
    return this.#info;
  }

  /** A DeviceLostError for the recorded loss (null while the device is alive). */
  error(cause?: unknown): DeviceLostError | null {
    return this.#info ? new DeviceLostError(this.#info, { cause }) : null;
  }

  /**
   * Awaits `promise` (a map, a compilation, an error scope), or throws DeviceLostError as soon as the
   * device is lost. A rejection of `promise` becomes DeviceLostError when the device turns out lost
   * within {@linkcode LOSS_GRACE_MS}; otherwise it is rethrown as is.
   */
  async guard<T>(promise: Promise<T>): Promise<T> {
    const lost = this.error();
    if (lost) {
      promise.catch(() => {}); // settled later, on its own; never an unhandled rejection
      throw lost;
    }
    let outcome: { lost: GPUDeviceLostInfo } | { value: T };
    try {
      outcome = await Promise.race([
        promise.then((value) => ({ value })),
        this.#lost.then((info) => ({ lost: info })),
      ]);
    } catch (e) {
      if (await this.settle()) throw this.error(e)!;
      throw e;
    }
    if ("lost" in outcome) {
      promise.catch(() => {});
      throw this.error()!;
    }
    return outcome.value;
  }

  /**
   * Waits at most `ms` for the device to be reported lost, for code that saw a failure that a loss
   * would explain; true when it is lost.
   */
  async settle(ms = LOSS_GRACE_MS): Promise<boolean> {
    if (this.#info) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
    try {
      return (await Promise.race([this.#lost, timeout])) !== null;
    } finally {
      clearTimeout(timer);
    }
  }
}

const watches = new WeakMap<GPUDevice, DeviceLossWatch>();

/** The one {@linkcode DeviceLossWatch} of `device` (the context and its pipeline cache share it). */
export function watchDeviceLoss(device: GPUDevice): DeviceLossWatch {
  let watch = watches.get(device);
  if (!watch) {
    watch = new DeviceLossWatch(device);
    watches.set(device, watch);
  }
  return watch;
}
