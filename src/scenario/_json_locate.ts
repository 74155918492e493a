/**
 * Where things are in a JSON text: the line and column of every object key and array element, keyed
 * by the same path string the error messages use ("model.layers[1].units"). Only run on text
 * JSON.parse accepted; syntax errors are located by json_text.ts.
 *
 * @module
 */

/** 1-based position in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** "model.layers[1].units" from ["model", "layers", 1, "units"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Maps every key path of a valid JSON document to the position of its key (object members) or of
 * its first character (array elements). The root maps from "".
 */
export function locateJsonPaths(text: string): Map<string, TextPosition> {
  const found = new Map<string, TextPosition>();
  // Line starts once, then a binary search per key: inline `rows` can hold thousands of elements.
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const at = (offset: number): TextPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
  };
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const readString = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: PropertyKey[]): void => {
    skip();
    const c = text[i];
    if (c === "{") {
      i++;
      skip();
      if (text[i] === "}") {
        i++;
        return;
      }
      while (true) {
        skip();
        const keyAt = i;
        const key = readString();
        found.set(formatPath([...path, key]), at(keyAt));
        skip();
        i++; // colon
        value([...path, key]);
        skip();
        if (text[i++] === "}") return;
      }
    } else if (c === "[") {
      i++;
      skip();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (let index = 0;; index++) {
        skip();
        found.set(formatPath([...path, index]), at(i));
        value([...path, index]);
        skip();
        if (text[i++] === "]") return;
      }
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    }
  };
  skip();
  found.set("", at(i));
  value([]);
  return found;
}
