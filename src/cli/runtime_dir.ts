/**
 * Keeps a display-server probe off stderr. When Deno's wgpu creates its instance it also sets up the
 * OpenGL ES backend (the fallback adapter on machines without a Vulkan driver), which asks
 * libwayland-client whether a Wayland display exists (`wl_display_connect`). Without an absolute
 * `XDG_RUNTIME_DIR` libwayland prints "error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment." on stderr, once per probe: twice per run, on every headless machine, and
 * indistinguishable from an error of fitcheck's.
 *
 * The cure is the one libwayland asks for: a valid runtime directory. Before any adapter is requested,
 * {@linkcode ensureRuntimeDir} points `XDG_RUNTIME_DIR` at a new private, empty directory (mode 0700,
 * as the XDG spec requires); the probe then finds no socket there and fails silently. Nothing is
 * filtered, so fitcheck's own messages and any real driver error still reach stderr. A user who has a
 * runtime directory keeps theirs.
 *
 * Needs `--allow-env=XDG_RUNTIME_DIR` (read and set) and write access to the temporary directory; when
 * either is refused it changes nothing (the noise is cosmetic, never worth failing a run for).
 *
 * @module
 */

/** Whether libwayland accepts `value` as a runtime directory (its test: set and absolute). */
export function isUsableRuntimeDir(value: string | undefined): boolean {
  return value !== undefined && value.startsWith("/");
}

/**
 * Sets `XDG_RUNTIME_DIR` to a fresh private directory when it is unset or not absolute, and returns
 * the cleanup that removes that directory (a no-op when nothing was changed).
 */
export async function ensureRuntimeDir(): Promise<() => Promise<void>> {
  try {
    if (isUsableRuntimeDir(Deno.env.get("XDG_RUNTIME_DIR"))) return () => Promise.resolve();
    const dir = await Deno.makeTempDir({ prefix: "fitcheck-runtime-" });
    await Deno.chmod(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    return async () => {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
  } catch {
    return () => Promise.resolve();
  }
}
