/** A file: URL as a POSIX path (fitcheck runs on Linux and macOS; Windows paths are not supported). */
export function fromFileUrl(url: URL): string {
  if (url.protocol !== "file:") throw new TypeError(`not a file URL: ${url.href}`);
  return decodeURIComponent(url.pathname);
}
