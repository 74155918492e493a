/**
 * A FileSource that streams a file in chunks of the sizes given, cut anywhere: in a multi-byte UTF-8
 * character, between CR and LF, inside a quoted field. What a 200 MB file read from disk does to a
 * streaming parser, made reproducible.
 */
import { type FileSource, memoryFileSource } from "../../src/io.ts";

/**
 * `memoryFileSource(files)` whose `stream` yields each file in consecutive chunks of `chunkSizes`
 * bytes (cycled; each size >= 1).
 */
export function chunkedFileSource(
  files: Record<string, string | Uint8Array>,
  options: { chunkSizes: readonly number[] },
): FileSource {
  const inner = memoryFileSource(files);
  const sizes = options.chunkSizes;
  if (sizes.length === 0 || sizes.some((s) => !(Number.isInteger(s) && s >= 1))) {
    throw new RangeError(`chunkedFileSource: chunk sizes must be integers >= 1, got ${sizes}`);
  }
  return {
    ...inner,
    stream: async (path) => {
      const bytes = await inner.readBytes(path);
      return new ReadableStream<Uint8Array>({
        start(controller) {
          for (let o = 0, i = 0; o < bytes.length; i++) {
            const end = Math.min(bytes.length, o + sizes[i % sizes.length]);
            controller.enqueue(bytes.slice(o, end));
            o = end;
          }
          controller.close();
        },
      });
    },
  };
}
