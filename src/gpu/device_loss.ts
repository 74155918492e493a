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
 * loss (driver reset) is not a destroy(): so every wait races `device.lost`. A rejection, or Deno's
 * "Parent device is lost" compilation error, is attributed to a loss when `device.lost` resolves or a
 * probe map is refused (Deno may deliver `lost` up to ~1 s late under load), within
 * {@linkcode LOSS_GRACE_MS}.
 *
 * @module
 */
import { DeviceLostError } from "./errors.ts";

/**
 * The longest a failed GPU wait waits to learn whether the device is lost. A live device answers the
 * probe (mapping a new 4-byte buffer) in one poll, ~10 ms; a lost one rejects it at once. Deno
 * delivers `device.lost` itself only when it next polls the device: measured 2 ms idle, up to ~1 s on
 * a loaded 2-core machine. 5 s bounds a probe that does not answer either; paid only on a failing path.
 */
export const LOSS_GRACE_MS = 5000;

const MAP_READ = 0x01, COPY_DST = 0x08;

/** The loss state of one device, shared by everything that waits on it. */
export class DeviceLossWatch {
  #info: GPUDeviceLostInfo | null = null;
  /** Set when the probe found the device lost before `device.lost` said why. */
  #probed: { reason: string; message: string } | null = null;
  #lost: Promise<GPUDeviceLostInfo>;
  #device: GPUDevice;
  #graceMs: number;

  constructor(device: GPUDevice, options: { graceMs?: number } = {}) {
    this.#device = device;
    this.#graceMs = options.graceMs ?? LOSS_GRACE_MS;
    this.#lost = device.lost.then((info) => (this.#info = info));
  }

  /** The loss, once `device.lost` has resolved. */
  get info(): GPUDeviceLostInfo | null {
    return this.#info;
  }

  /** A DeviceLostError for the loss (null while the device is not known to be lost). */
  error(cause?: unknown): DeviceLostError | null {
    const info = this.#info ?? this.#probed;
    return info ? new DeviceLostError(info, { cause }) : null;
  }

  /**
   * Awaits `promise` (a map, a compilation, an error scope), or throws DeviceLostError as soon as the
   * device is lost. A rejection of `promise` becomes DeviceLostError when {@linkcode settle} finds
   * the device lost; otherwise it is rethrown as is.
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
   * Whether the device is lost, for code that saw a failure a loss would explain: `device.lost`, or a
   * probe (mapping a new buffer, which a lost device refuses and a live one grants at its next poll),
   * whichever answers first, within the grace period (false when neither answers).
   */
  async settle(): Promise<boolean> {
    if (this.#info || this.#probed) return true;
    const first = await this.#within(Promise.race([this.#lost.then(() => "lost" as const), this.#probe()]));
    if (first !== "lost") return false;
    // Lost: wait (bounded) for `device.lost` to say why.
    if (!this.#info && (await this.#within(this.#lost)) === null) {
      this.#probed = { reason: "unknown", message: "the device refuses new work; it reported no reason" };
    }
    return true;
  }

  /** "lost" when a new buffer cannot be mapped, "alive" when it can. */
  #probe(): Promise<"lost" | "alive"> {
    try {
      const buffer = this.#device.createBuffer({ label: "loss probe", size: 4, usage: MAP_READ | COPY_DST });
      return buffer.mapAsync(1 /* GPUMapMode.READ */).then(
        () => {
          buffer.destroy();
          return "alive";
        },
        () => "lost",
      );
    } catch {
      return Promise.resolve("lost");
    }
  }

  /** `promise`, or null after the grace period. */
  async #within<T>(promise: Promise<T>): Promise<T | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.#graceMs)));
    try {
      return await Promise.race([promise, timeout]);
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
