// The reference in docs/ covers what the code defines: every finding code has its page (and a line in
// the index), every scenario key the zod schema accepts has an entry in docs/scenario.md, every command
// and flag of the CLI has one in docs/cli.md. The lists come from the code itself (the catalogue, the
// schema walked as JSON Schema, the commander program), so a new code, key or flag fails here, with a
// message naming the entry and the file to add it to, until it is documented.
import { describe, expect, it } from "vitest";
import type { Command } from "commander";
import { CATALOGUE } from "../../src/diagnose/finding.ts";
import { FINDING_CODES } from "../../src/report/types.ts";
import { scenarioJsonSchema } from "../../src/scenario/json_schema.ts";
import { METRIC_NAMES } from "../../src/scenario/schema.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { renderMarkdown } from "../../src/report/markdown.ts";
import { fakeEngines, fixture, memoryIo } from "../cli/_fake.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));
const exists = async (path: string) => {
  try {
    await Deno.stat(new URL(path, root));
    return true;
  } catch {
    return false;
  }
};

/** Every code the source names: the report's list, the catalogue, and each literal a detector emits. */
async function codesInSource(): Promise<Set<string>> {
  const codes = new Set<string>([...FINDING_CODES, ...Object.keys(CATALOGUE)]);
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}${e.name}`;
      if (e.isDirectory) await walk(path + "/");
      else if (path.endsWith(".ts")) {
        const text = await read(path);
        for (const m of text.matchAll(/makeFinding\(\s*"([a-z0-9-]+)"|\bcode: "([a-z0-9-]+)"/g)) {
          codes.add(m[1] ?? m[2]);
        }
      }
    }
  };
  await walk("src/diagnose/");
  await walk("src/audit/");
  return codes;
}

const SECTIONS = ["What it means", "How it is detected", "Thresholds", "Example", "Fix", "Related"];

describe("docs/findings: one page per finding code", async () => {
  const codes = [...await codesInSource()].sort();
  const index = await read("docs/README.md");
  it("finds the codes", () => expect(codes.length).toBeGreaterThanOrEqual(39));
  for (const code of codes) {
    const file = `docs/findings/${code}.md`;
    it(code, async () => {
      expect(
        await exists(file),
        `finding code "${code}" has no page: add ${file} (copy the sections of another page)`,
      )
        .toBe(true);
      const page = await read(file);
      expect(page.split("\n")[0], `${file}: the first line must be "# ${code}"`).toBe(`# ${code}`);
      const info = CATALOGUE[code as keyof typeof CATALOGUE];
      expect(info, `"${code}" is emitted in src/ but missing from CATALOGUE in src/diagnose/finding.ts`)
        .toBeDefined();
      expect(page, `${file}: the line after the title must start "**${info.severity}** · "`).toContain(
        `\n\n**${info.severity}** · `,
      );
      const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(headings, `${file}: needs the sections ${SECTIONS.join(", ")}, in this order`).toEqual(SECTIONS);
      for (const section of SECTIONS) {
        const body = page.split(`## ${section}\n`)[1].split(/\n## /)[0].trim();
        expect(body.length, `${file}: section "${section}" is empty`).toBeGreaterThan(20);
      }
      const related = page.split("## Related\n")[1];
      for (
        const other of [
          ...info.explains,
          ...codes.filter((c) =>
            (CATALOGUE as Record<string, { explains: readonly string[] }>)[c]?.explains.includes(code)
          ),
        ]
      ) {
        expect(related, `${file}: "Related" must link ${other} (the catalogue ties them)`).toContain(
          `(${other}.md)`,
        );
      }
      for (const m of page.matchAll(/\]\(([a-z0-9-]+)\.md\)/g)) {
        expect(codes, `${file} links ${m[1]}.md, which is not a finding code`).toContain(m[1]);
      }
      const example = page.split("## Example\n")[1].split("\n## ")[0];
      for (const m of example.matchAll(/examples\/scenarios\/([a-z0-9-]+\.json)/g)) {
        const scenario = JSON.parse(await read(`examples/scenarios/${m[1]}`));
        expect(scenario.expect?.findings, `${file}: the example scenario ${m[1]} does not expect ${code}`)
          .toContain(code);
      }
      expect(index, `docs/README.md: add a row for [\`${code}\`](findings/${code}.md)`).toContain(
        `(findings/${code}.md)`,
      );
      // explain draws it with no Markdown punctuation left over.
      // Code blocks are shown verbatim (indented by 4), so a command stays copyable.
      const text = renderMarkdown(page, { color: false, width: 80, path: file }).split("\n")
        .filter((l) => !l.startsWith("    ")).join("\n");
      for (const noise of ["```", "## ", "**", "](", "`"]) {
        expect(text.includes(noise), `${file} rendered for the terminal still shows ${noise}`).toBe(false);
      }
      expect(Math.max(...text.split("\n").map((l) => l.length)), `${file}: a line wider than 80`)
        .toBeLessThanOrEqual(80);
    });
  }
  it("has no page for a code that does not exist", async () => {
    for await (const e of Deno.readDir(new URL("docs/findings/", root))) {
      const code = e.name.replace(/\.md$/, "");
      expect(codes, `docs/findings/${e.name} documents no finding code`).toContain(code);
    }
  });
});

/** Key paths (`model.layers[].units`) and the literal values each accepts, from the JSON Schema. */
function schemaEntries(schema: Record<string, unknown>) {
  const keys = new Set<string>();
  const values = new Map<string, Set<string>>();
  const visit = (node: unknown, path: string) => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    for (const v of (n.anyOf ?? n.oneOf ?? []) as unknown[]) visit(v, path);
    const literals = [...((n.enum as unknown[]) ?? []), ...("const" in n ? [n.const] : [])];
    for (const v of literals) {
      if (typeof v === "string") values.set(path, (values.get(path) ?? new Set()).add(v));
    }
    if (n.properties) {
      for (const [k, v] of Object.entries(n.properties as Record<string, unknown>)) {
        const p = path ? `${path}.${k}` : k;
        keys.add(p);
        visit(v, p);
      }
    }
    if (n.items) visit(n.items, `${path}[]`);
  };
  visit(schema, "");
  return { keys, values };
}

describe("docs/scenario.md: every scenario key the schema accepts", async () => {
  const doc = await read("docs/scenario.md");
  const data = await read("docs/data.md");
  const { keys, values } = schemaEntries(scenarioJsonSchema());
  const quoted = (text: string, s: string) => text.includes("`" + s + "`") || text.includes(`"${s}"`);
  // A validation DataSpec is the same as data's: documented once, under data.
  const documented = [...keys].filter((k) =>
    !(k.startsWith("validation.") && keys.has("data." + k.slice(11)))
  );
  // Generator and transform parameters are tabled in docs/data.md (checked there by test/data/docs.test.ts).
  const inDataMd = (k: string) => /^data\.(generate|transforms\[\])\./.test(k);
  it("walks the schema", () => expect(documented.length).toBeGreaterThan(30));
  for (const key of documented) {
    it(`key ${key}`, () => {
      const leaf = key.split(".").at(-1)!.replace("[]", "");
      const ok = quoted(doc, key) || (inDataMd(key) && quoted(data, leaf));
      expect(
        ok,
        `scenario key ${key} (src/scenario/schema.ts) has no entry: add \`${key}\` to docs/scenario.md`,
      )
        .toBe(true);
    });
  }
  for (const [key, set] of values) {
    if (key === "expect.findings[]") continue; // the finding codes: docs/findings/
    for (const value of set) {
      it(`value ${key} = ${value}`, () => {
        expect(
          quoted(doc, value) || quoted(data, value),
          `the value "${value}" of ${
            key || "the scenario"
          } (src/scenario/schema.ts) is not documented: add \`${value}\` to the entry of \`${key}\` in docs/scenario.md`,
        ).toBe(true);
      });
    }
  }
  for (const name of METRIC_NAMES) {
    it(`metric ${name}`, () => {
      expect(
        quoted(doc, name),
        `metric "${name}" (src/reference/metrics.ts) is not listed in docs/scenario.md, metrics`,
      )
        .toBe(true);
    });
  }
});

/** The commands of the program, each with its docs/cli.md heading. */
function commands(program: Command): { heading: string; command: Command }[] {
  const out: { heading: string; command: Command }[] = [];
  const walk = (c: Command, prefix: string) => {
    const name = prefix ? `${prefix} ${c.name()}` : c.name();
    out.push({ heading: name, command: c });
    for (const sub of c.commands) walk(sub, name);
  };
  walk(program, "");
  return out;
}

describe("docs/cli.md: every command and flag", async () => {
  const doc = await read("docs/cli.md");
  const { io } = memoryIo({});
  const program = buildProgram(io, fakeEngines(fixture("data_clean")), () => {});
  const section = (heading: string) => {
    const start = doc.indexOf(`\n## ${heading}\n`);
    return start < 0 ? null : doc.slice(start).split(/\n## /)[1];
  };
  const every = section("Every command")!;
  for (const { heading, command } of commands(program)) {
    it(heading, () => {
      const text = section(heading);
      expect(text, `command "${heading}" has no section: add "## ${heading}" to docs/cli.md`).not.toBeNull();
      for (const option of command.options) {
        const flag = option.long ?? option.short!;
        const where = flag === "--version" || flag === "--help" ? every : text!;
        expect(
          new RegExp("`(-\\w, )?" + flag + "( [<\\[][^`]*)?`").test(where),
          `flag ${flag} of "${heading}" has no entry: add \`${option.flags}\` to the table under "## ${heading}" in docs/cli.md`,
        ).toBe(true);
      }
      for (const argument of command.registeredArguments) {
        const shown = argument.required ? `<${argument.name()}>` : `[${argument.name()}]`;
        expect(
          text,
          `argument ${shown} of "${heading}": add \`${shown}\` under "## ${heading}" in docs/cli.md`,
        )
          .toContain("`" + shown + "`");
      }
      expect(command.helpInformation() + helpAfter(command), `${heading} --help must point to docs/`).toMatch(
        /docs\/cli\.md/,
      );
    });
  }
});

/** The text commander prints after the options (the examples and the reference pointer). */
function helpAfter(command: Command): string {
  let text = "";
  const c = command as unknown as {
    _lifeCycleHooks?: unknown;
    listeners(e: string): ((...a: unknown[]) => void)[];
  };
  for (const listener of c.listeners("afterHelp")) {
    listener({ write: (s: string) => (text += s), command, error: false });
  }
  return text;
}
