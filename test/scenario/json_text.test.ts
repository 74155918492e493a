// The JSON scanner behind scenario and history syntax errors: the first error's position and words.
import { describe, expect, it } from "vitest";
import { findJsonSyntaxError, parseJsonText } from "../../src/scenario/json_text.ts";

const cases: [string, string, number, number, string][] = [
  ["trailing comma in an object", '{"a": 1,\n}', 1, 8, "trailing comma before }"],
  ["trailing comma in an array", "[1, 2, ]", 1, 6, "trailing comma before ]"],
  ["missing comma between members", '{"a": 1\n "b": 2}', 2, 2, "missing comma before this key"],
  ["missing comma between items", "[1 2]", 1, 4, "missing comma before this item"],
  ["line comment", '{\n  // x\n  "a": 1}', 2, 3, "comments are not allowed"],
  ["block comment", '{"a": /* x */ 1}', 1, 7, "comments are not allowed"],
  ["NaN", '{"a": NaN}', 1, 7, "NaN is not a JSON value"],
  ["Python True", '{"a": True}', 1, 7, "True is Python"],
  ["single-quoted key", "{'a': 1}", 1, 2, "keys need double quotes"],
  ["unquoted key", "{a: 1}", 1, 2, 'unquoted key a: keys need double quotes ("a")'],
  ["bare word value", '{"a": relu}', 1, 7, 'a string value needs double quotes ("relu")'],
  ["leading zero", '{"a": 01}', 1, 7, '"01" is not a JSON number'],
  ["unclosed string", '{"a": "x\n}', 1, 7, "never closed on its line"],
  ["Windows path escape", '{"a": "C:\\data"}', 1, 10, 'invalid escape "\\d"'],
  ["unclosed object", '{"a": [1]', 1, 10, "the { at line 1:1 is never closed"],
  ["text after the document", '{"a": 1} x', 1, 10, 'unexpected "x" after the end'],
  ["empty text", "  \n", 2, 1, "the file is empty"],
];

describe("findJsonSyntaxError", () => {
  it.each(cases)("%s", (_name, text, line, column, problem) => {
    expect(() => JSON.parse(text)).toThrow(); // every case is one JSON.parse rejects
    const found = findJsonSyntaxError(text);
    expect(found).not.toBeNull();
    expect([found!.line, found!.column]).toEqual([line, column]);
    expect(found!.problem).toContain(problem);
  });

  it("accepts what JSON.parse accepts", () => {
    for (const text of ['{"a": [1, -2.5e-3, true, null, "\\u00e9\\n"], "b": {}}', "[]", '"x"', " 0 "]) {
      expect(findJsonSyntaxError(text)).toBeNull();
    }
  });
});

describe("parseJsonText", () => {
  it("ignores a byte-order mark and names the file, line and column", () => {
    expect(parseJsonText('\ufeff{"a": 1}', "x.json")).toEqual({ a: 1 });
    expect(() => parseJsonText('{"a": 1,}', "x.json")).toThrow(
      /^x\.json: line 1:8: JSON syntax error: trailing comma/,
    );
  });

  it("reads Python's bare NaN and Infinity when asked, and only then", () => {
    const doc = parseJsonText('{"loss": [NaN, Infinity, -Infinity, 0.5]}', "h.json", { nonFinite: true });
    expect(doc).toEqual({ loss: [NaN, Infinity, -Infinity, 0.5] });
    expect(() => parseJsonText('{"loss": [NaN]}', "h.json")).toThrow(/line 1:11: .*NaN is not a JSON value/);
  });
});
