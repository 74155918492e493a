/** A file: URL as a POSIX path (fitcheck runs on Linux and macOS; Windows paths are not supported). */
export function fromFileUrl(url: URL): string {
  if (url.protocol !== "file:") throw new TypeError(`not a file URL: ${url.href}`);
  return decodeURIComponent(url.pathname);
}

/** `path` relative to `cwd` when it lies inside it, else unchanged. */
export function displayPath(path: string, cwd: string): string {
  const prefix = cwd.endsWith("/") ? cwd : cwd + "/";
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}
