/**
 * JSON text as users write it by hand: parsed with `JSON.parse`, and when that fails, scanned again
 * by a strict JSON scanner that finds the first error's line and column and names the usual mistake
 * (a comment, a trailing comma, a missing comma, single quotes, an unquoted key, NaN, Python's True).
 * V8's own messages sometimes carry no position at all ("Unexpected token 'N', ..."), and never say
 * what to write instead.
 *
 * @module
 */
import { InputError } from "../errors.ts";

/** A JSON syntax problem at a 1-based line and column. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  problem: string;
}

/** Options of {@linkcode parseJsonText}. */
export interface ParseJsonOptions {
  /** Accept the bare tokens NaN, Infinity and -Infinity, which Python's json.dump writes. */
  nonFinite?: boolean;
}

/**
 * Parses `text` (a leading byte-order mark is ignored, as editors hide it).
 *
 * @throws {InputError} naming `file`, the line and column, and what is wrong there.
 *
 * @example
 * ```ts
 * parseJsonText('{"a": [1, 2]}', "x.json"); // { a: [1, 2] }
 * ```
 */
export function parseJsonText(text: string, file: string, options: ParseJsonOptions = {}): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    if (!options.nonFinite) return JSON.parse(body);
    // Quote the bare tokens, then turn the strings back into numbers.
    const quoted = body.replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1"\\u0000$2"');
    return JSON.parse(
      quoted,
      (_key, v) => (typeof v === "string" && v[0] === "\u0000" ? Number(v.slice(1)) : v),
    );
  } catch (e) {
    const found = findJsonSyntaxError(body, options);
    if (found) {
      throw new InputError(`JSON syntax error: ${found.problem}`, {
        file,
        line: found.line,
        column: found.column,
      });
    }
    // The scanner accepted what JSON.parse rejected: report V8's words rather than nothing.
    throw new InputError(`JSON syntax error: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
}

const WS = /[ \t\n\r]/;

/**
 * The first syntax error of `text` under RFC 8259 (plus NaN/Infinity with `nonFinite`), or null when
 * there is none.
 */
export function findJsonSyntaxError(text: string, options: ParseJsonOptions = {}): JsonSyntaxProblem | null {
  let i = 0;
  const at = (offset: number, problem: string): JsonSyntaxProblem => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < offset && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return { line, column: offset - lineStart + 1, problem };
  };
  class Stop {
    constructor(readonly found: JsonSyntaxProblem) {}
  }
  const where = (offset: number) => {
    const p = at(offset, "");
    return `line ${p.line}:${p.column}`;
  };
  function fail(offset: number, problem: string): never {
    throw new Stop(at(offset, problem));
  }
  const skip = () => {
    while (i < text.length) {
      if (WS.test(text[i])) i++;
      else if (text[i] === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
        fail(i, "comments are not allowed in JSON: remove the comment");
      } else if (text[i] === "#") fail(i, "comments are not allowed in JSON: remove the comment");
      else break;
    }
  };
  const word = (): string => /^[A-Za-z_$][\w$-]*/.exec(text.slice(i, i + 40))?.[0] ?? "";
  const describeChar = (
    offset: number,
  ) => (offset >= text.length ? "the end of the file" : JSON.stringify(text[offset]));

  const string = (): void => {
    const start = i;
    i++;
    while (true) {
      if (i >= text.length) fail(start, 'this string is never closed (a missing ")');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 10 || c === 13) {
        fail(start, 'this string is never closed on its line (a missing ", or write \\n)');
      }
      if (c < 0x20) fail(i, "a control character inside a string: escape it (\\t, \\u0000)");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            fail(i, "\\u must be followed by 4 hex digits");
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          fail(i, `invalid escape "\\${e ?? ""}" in a string (a Windows path? write \\\\ or /)`);
        }
        i += 2;
        continue;
      }
      i++;
    }
  };

  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    const token = /^[-+.\w]+/.exec(text.slice(i, i + 60))?.[0] ?? text[i];
    if (!m || m[0].length !== token.length) {
      fail(i, `${JSON.stringify(token)} is not a JSON number (write e.g. 0.5, 5, -1e-3)`);
    }
    i += m![0].length;
  };

  const value = (): void => {
    skip();
    const c = text[i];
    if (c === undefined) fail(i, "unexpected end of the file: a value is missing");
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "'") fail(i, 'strings need double quotes ("), not single quotes');
    if (c === "-" || c === "+" || c === "." || (c >= "0" && c <= "9")) {
      if (options.nonFinite && text.startsWith("-Infinity", i)) {
        i += 9;
        return;
      }
      return number();
    }
    const w = word();
    if (w === "true" || w === "false" || w === "null") {
      i += w.length;
      return;
    }
    if (options.nonFinite && (w === "NaN" || w === "Infinity")) {
      i += w.length;
      return;
    }
    const advice: Record<string, string> = {
      NaN: "NaN is not a JSON value: write null for a missing value",
      Infinity: "Infinity is not a JSON value: write a large number",
      undefined: "undefined is not a JSON value: write null or leave the key out",
      True: "True is Python: JSON writes true",
      False: "False is Python: JSON writes false",
      None: "None is Python: JSON writes null",
    };
    if (w in advice) fail(i, advice[w]);
    if (w !== "") fail(i, `unexpected ${JSON.stringify(w)}: a string value needs double quotes ("${w}")`);
    fail(
      i,
      `unexpected ${
        describeChar(i)
      }: expected a value (an object, array, string, number, true, false or null)`,
    );
  };

  const object = (): void => {
    const open = i;
    i++;
    skip();
    if (text[i] === "}") {
      i++;
      return;
    }
    while (true) {
      skip();
      const c = text[i];
      if (c === undefined) {
        fail(i, `unexpected end of the file: the { at ${where(open)} is never closed (a missing })`);
      }
      if (c === "'") fail(i, 'keys need double quotes ("), not single quotes');
      if (c !== '"') {
        const w = word();
        if (w !== "") fail(i, `unquoted key ${w}: keys need double quotes ("${w}")`);
        fail(i, `unexpected ${describeChar(i)}: expected a key in double quotes`);
      }
      string();
      skip();
      if (text[i] !== ":") fail(i, `expected ":" after the key, got ${describeChar(i)}`);
      i++;
      value();
      skip();
      if (text[i] === "}") {
        i++;
        return;
      }
      if (text[i] === ",") {
        const comma = i++;
        skip();
        if (text[i] === "}") {
          fail(comma, "trailing comma before }: JSON allows no comma after the last member");
        }
        continue;
      }
      if (text[i] === '"') fail(i, 'missing comma before this key: members are separated by ","');
      if (i >= text.length) {
        fail(i, `unexpected end of the file: the { at ${where(open)} is never closed (a missing })`);
      }
      fail(i, `expected "," or "}" after a value, got ${describeChar(i)}`);
    }
  };

  const array = (): void => {
    const open = i;
    i++;
    skip();
    if (text[i] === "]") {
      i++;
      return;
    }
    while (true) {
      value();
      skip();
      if (text[i] === "]") {
        i++;
        return;
      }
      if (text[i] === ",") {
        const comma = i++;
        skip();
        if (text[i] === "]") fail(comma, "trailing comma before ]: JSON allows no comma after the last item");
        continue;
      }
      if (i >= text.length) {
        fail(i, `unexpected end of the file: the [ at ${where(open)} is never closed (a missing ])`);
      }
      if (text[i] === "}") fail(i, "unexpected }: the [ opened before it is not closed (a missing ])");
      fail(i, 'missing comma before this item: array items are separated by ","');
    }
  };

  try {
    skip();
    if (i >= text.length) return at(i, "the file is empty: expected a JSON object");
    value();
    skip();
    if (i < text.length) fail(i, `unexpected ${describeChar(i)} after the end of the JSON document`);
    return null;
  } catch (e) {
    if (e instanceof Stop) return e.found;
    throw e;
  }
}
