import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/data/csv.ts";
import { memoryFileSource } from "../../src/io.ts";
import { inputError } from "./_helpers.ts";

const read = (text: string | Uint8Array, header: "required" | "auto" = "required") =>
  readCsv("/d.csv", memoryFileSource({ "/d.csv": text }), { header });

describe("readCsv", () => {
  it("reads numeric and text columns", async () => {
    const t = await read("a,b,label\n1,2.5,cat\n-3,1e-3,dog\n");
    expect(t.header).toEqual(["a", "b", "label"]);
    expect(t.rowCount).toBe(2);
    expect(t.columns.map((c) => c.numeric)).toEqual([true, true, false]);
    expect(Array.from(t.columns[1].values)).toEqual([2.5, 0.001]);
    expect(t.columns[2].text).toEqual(["cat", "dog"]);
    expect(t.columns[2].firstText).toEqual({ row: 1, line: 2, value: "cat" });
  });

  it("handles quoted separators, CRLF, a BOM and no trailing newline", async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const body = new TextEncoder().encode('x,"name, full",y\r\n1,"Smith, J",2\r\n3,"a ""q""",4');
    const t = await read(new Uint8Array([...bom, ...body]));
    expect(t.header).toEqual(["x", "name, full", "y"]);
    expect(t.columns[1].text).toEqual(["Smith, J", 'a "q"']);
    expect(Array.from(t.columns[2].values)).toEqual([2, 4]);
  });

  it("reads every missing marker as NaN and keeps the column numeric", async () => {
    const t = await read("a,b\n1,\nNaN,2\nnan,3\nNA,4\nN/A,5\nnull,6\n7,8\n");
    expect(t.columns[0].numeric).toBe(true);
    expect(t.columns[0].missing).toBe(5);
    expect(t.columns[1].missing).toBe(1);
    expect(Array.from(t.columns[0].values).map((v) => Number.isNaN(v))).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("reads infinities as numbers and rejects hex as text", async () => {
    const t = await read("a,b\ninf,0x1f\n-Infinity,2\n");
    expect(Array.from(t.columns[0].values)).toEqual([Infinity, -Infinity]);
    expect(t.columns[1].numeric).toBe(false);
  });

  it("auto header: a numeric first row is data", async () => {
    const t = await read("0.1,0.9\n0.8,0.2\n", "auto");
    expect(t.header).toBeNull();
    expect(t.rowCount).toBe(2);
    expect(t.columns.map((c) => c.name)).toEqual(["column 1", "column 2"]);
    const h = await read("p0,p1\n0.1,0.9\n", "auto");
    expect(h.header).toEqual(["p0", "p1"]);
    expect(h.rowCount).toBe(1);
  });

  it("streams a file delivered in small chunks that split records and characters", async () => {
    const text = "é,b\n" + Array.from({ length: 500 }, (_, i) => `${i},"q,${i}"`).join("\n") + "\n";
    const bytes = new TextEncoder().encode(text);
    const source = memoryFileSource({});
    source.stream = () =>
      Promise.resolve(
        new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.subarray(i, i + 7));
            c.close();
          },
        }),
      );
    const t = await readCsv("/d.csv", source);
    expect(t.header).toEqual(["é", "b"]);
    expect(t.rowCount).toBe(500);
    expect(t.columns[0].values[499]).toBe(499);
    expect(t.columns[1].text?.[499]).toBe("q,499");
  });
});

describe("readCsv errors", () => {
  it("empty file", async () => {
    const e = await inputError(() => read(""));
    expect(e.message).toMatch(/^\/d\.csv: the file is empty/);
  });

  it("header only", async () => {
    const e = await inputError(() => read("a,b\n"));
    expect(e.message).toBe('/d.csv: line 2: header only: no data rows after the header ("a","b")');
  });

  it("no header (all numbers) when a header is required", async () => {
    const e = await inputError(() => read("1,2\n3,4\n"));
    expect(e.location).toEqual({ file: "/d.csv", line: 1 });
    expect(e.message).toContain("no header row");
  });

  it("ragged row names the row and the field counts", async () => {
    const e = await inputError(() => read("a,b,c\n1,2,3\n4,5\n"));
    expect(e.location).toEqual({ file: "/d.csv", line: 3, row: 2 });
    expect(e.message).toBe(
      '/d.csv: line 3 (data row 2): ragged row: expected 3 fields (as in the header) but got 2: "4","5"',
    );
  });

  it("duplicate column names", async () => {
    const e = await inputError(() => read("a,b,a\n1,2,3\n"));
    expect(e.location.field).toBe("a");
    expect(e.message).toContain('duplicate column name "a" (columns 1 and 3)');
  });

  it("malformed quotes name the line and column", async () => {
    const e = await inputError(() => read('a,b\n1,"x"y\n'));
    expect(e.location).toEqual({ file: "/d.csv", line: 2, column: 6 });
    expect(e.message).toContain('malformed CSV: unexpected "y" after the closing quote');
    const open = await inputError(() => read('a,b\n1,2\n3,"x\n4,5\n'));
    expect(open.location).toEqual({ file: "/d.csv", line: 3, column: 3 });
    expect(open.message).toContain("unterminated quoted field");
  });

  it("a quote inside an unquoted field is text, as pandas reads it", async () => {
    const t = await read('a,b\n1,x"y\n');
    expect(t.columns[1].text).toEqual(['x"y']);
  });

  it("invalid UTF-8", async () => {
    const e = await inputError(() => read(new Uint8Array([0x61, 0x0a, 0xff, 0xfe, 0x0a])));
    expect(e.message).toBe(
      "/d.csv: line 2: not UTF-8 text: byte 0xFF at byte offset 2 is not valid UTF-8; " +
        "the file is probably Latin-1 or Windows-1252: save it as UTF-8",
    );
  });

  it("missing file", async () => {
    const e = await inputError(() => readCsv("/nope.csv", memoryFileSource({})));
    expect(e.location.file).toBe("/nope.csv");
  });
});

describe("readCsv line numbers", () => {
  it("stay exact across blank lines, multi-line quoted fields and CR-only line ends", async () => {
    const t = await read('a,b\r1,"x\ny"\r\r  \r2,z\r3,w');
    expect(t.rowCount).toBe(3);
    expect(t.columns[1].text).toEqual(["x\ny", "z", "w"]);
    // Line 1 header, 2-3 the quoted field, 4 and 5 blank, 6 and 7 the next rows.
    expect([t.lineOf(1), t.lineOf(2), t.lineOf(3)]).toEqual([2, 6, 7]);
    expect(t.blankLines).toEqual({ count: 2, lines: [4, 5] });
    const e = await inputError(() => read("a,b\n\n1,2\n\n3\n"));
    expect(e.location).toEqual({ file: "/d.csv", line: 5, row: 2 });
  });

  it("pandas' missing markers are NaN; thousands separators get a hint", async () => {
    const t = await read("a,b\n#N/A,1\nNone,2\n<NA>,3\n-nan,4\n");
    expect(Array.from(t.columns[0].values).every(Number.isNaN)).toBe(true);
    expect(t.columns[0].missing).toBe(4);
  });
});
