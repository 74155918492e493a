// The reference pages drawn for the terminal (`diagnose explain`): no Markdown punctuation left,
// wrapped to the width, colour only on request and never nested.
import { describe, expect, test } from "vitest";
import { stripAnsi } from "../../src/report/_colors.ts";
import { renderMarkdown } from "../../src/report/markdown.ts";

const PAGE = `# a-code

**error** · setup · one line with \`code\`.

## Section

A paragraph that runs on
over two lines, with a [link](../cli.md), a [sibling](other-code.md) and an escaped \\| bar.

- an item with \`x\` and \`x\` twice
  continued here
- 1e-3 (Karpathy)

| key | value |
| --- | ----- |
| \`a\` | 1 |

\`\`\`sh
npx deno task diagnose run examples/scenarios/a-very-long-name-that-is-not-wrapped-because-it-is-a-command.json
\`\`\`
`;

describe("renderMarkdown", () => {
  test("headings, paragraphs, lists, tables and code blocks without Markdown punctuation", () => {
    const text = renderMarkdown(PAGE, { color: false, width: 60, path: "docs/findings/a-code.md" });
    expect(text.split("\n")[0]).toBe("A-CODE");
    expect(text).toContain("error · setup · one line with code.");
    expect(text).toContain(
      "A paragraph that runs on over two lines, with a link\n(docs/cli.md), a sibling (docs/findings/other-code.md)",
    );
    expect(text).toContain("  • an item with x and x twice continued here\n  • 1e-3 (Karpathy)");
    expect(text).toMatch(/│ key\s+│ value\s+│/);
    expect(text).toContain("\n    npx deno task diagnose run examples/scenarios/a-very-long-name");
    expect(text).not.toMatch(/\*\*|`|\]\(|^#/m);
    for (const line of text.split("\n").filter((l) => !l.startsWith("    "))) {
      expect(line.length, line).toBeLessThanOrEqual(60);
    }
  });

  test("colour paints code and bold spans once each, and adds nothing else", () => {
    const plain = renderMarkdown(PAGE, { color: false, width: 60 });
    const colored = renderMarkdown(PAGE, { color: true, width: 60 });
    expect(stripAnsi(colored)).toBe(plain);
    // "x" twice in one item: two painted spans, neither inside the other.
    const item = colored.split("\n").find((l) => l.includes("an item"))!;
    const cyan = "\u001b[36m";
    expect(item.split(cyan)).toHaveLength(3);
    expect(item).not.toContain(cyan + cyan);
  });
});
