/**
 * Every shader is a listed kernel with a float64 twin from src/reference/ and an equivalence case;
 * each definition agrees with its WGSL (bindings, access, uniform fields, override constants), and
 * the copies of the shared activation code are identical.
 */
import { describe, expect, it } from "vitest";
import { KERNELS } from "../../src/kernels/mod.ts";

const root = new URL("../../", import.meta.url);

function listFiles(dir: URL, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) out.push(...listFiles(url, suffix));
    else if (entry.name.endsWith(suffix)) out.push(url.pathname);
  }
  return out;
}

const shaderNames = listFiles(new URL("shaders/", root), ".wgsl").map((p) =>
  p.split("/").pop()!.replace(/\.wgsl$/, "")
);
const testSources = listFiles(new URL("test/", root), ".test.ts").map((p) => Deno.readTextFileSync(p)).join(
  "\n",
);

describe("kernel coverage", () => {
  it("every shaders/*.wgsl file is in KERNELS, under its file stem, once", () => {
    const listed = KERNELS.map((k) => k.name);
    expect(new Set(listed).size).toBe(listed.length);
    expect(shaderNames.filter((name) => !listed.includes(name))).toEqual([]);
    expect(listed.filter((name) => !shaderNames.includes(name))).toEqual([]);
  });

  it("every kernel has a float64 twin exported from src/reference/", async () => {
    const exported = new Set<unknown>();
    for (const path of listFiles(new URL("src/reference/", root), ".ts")) {
      for (const value of Object.values(await import(path))) exported.add(value);
    }
    const missing = KERNELS.filter((k) => k.twins.length === 0 || !k.twins.every((t) => exported.has(t)));
    expect(missing.map((k) => k.name)).toEqual([]);
  });

  it('every kernel has an equivalence case: describeKernel("<name>", ...) or describeKernels([..., "<name>"], ...) in a test file', () => {
    const missing = KERNELS.filter((k) =>
      !new RegExp(`describeKernel\\(\\s*"${k.name}"`).test(testSources) &&
      !new RegExp(`describeKernels\\(\\s*\\[[^\\]]*"${k.name}"`).test(testSources)
    );
    expect(missing.map((k) => k.name)).toEqual([]);
  });
});

describe("definitions agree with their WGSL", () => {
  for (const kernel of KERNELS) {
    it(`${kernel.name}: bindings, access, Params fields and override names`, () => {
      const code = kernel.code;
      const buffers = [
        ...code.matchAll(/@binding\((\d+)\)\s*var<(storage|uniform)(?:,\s*(read_write|read))?>\s*(\w+)/g),
      ].map((m) => ({
        index: Number(m[1]),
        kind: m[2],
        access: m[3] === "read_write" ? "read-write" : "read",
        name: m[4],
      }));
      const textures = [
        ...code.matchAll(
          /@binding\((\d+)\)\s*var\s+(\w+)\s*:\s*texture_(2d<f32>|storage_2d<rgba32float,\s*write>)/g,
        ),
      ].map((m) => ({
        index: Number(m[1]),
        kind: "texture",
        access: m[3] === "2d<f32>" ? "texture" : "write-texture",
        name: m[2],
      }));
      const bindings = [...buffers, ...textures].sort((a, b) => a.index - b.index);
      expect(code.match(/@binding\(/g)?.length, "every binding is a storage buffer, a uniform or a texture")
        .toBe(bindings.length);
      const resources = bindings.filter((b) => b.kind !== "uniform");
      expect(resources.map((b) => [b.index, b.name, b.access])).toEqual(
        kernel.bindings.map((b, i) => [i, b.name, b.access]),
      );
      const uniform = bindings.filter((b) => b.kind === "uniform");
      if (kernel.uniforms.length === 0) {
        expect(uniform).toEqual([]);
      } else {
        expect(uniform.map((b) => b.index)).toEqual([kernel.bindings.length]);
        const struct = code.match(/struct\s+Params\s*\{([^}]*)\}/);
        expect(struct, "struct Params").not.toBeNull();
        const fields = [...struct![1].matchAll(/(\w+)\s*:\s*(\w+)/g)].map((m) => [m[1], m[2]]);
        expect(fields).toEqual(kernel.uniforms.map((f) => [f.name, f.type]));
      }
      const overrides = [...code.matchAll(/^override\s+(\w+)/gm)].map((m) => m[1]).sort();
      expect(overrides).toEqual(Object.keys(kernel.overrides).sort());
      expect(code).toMatch(/@compute[^\n]*\n?\s*fn main\(/);
    });
  }

  it("the shared activation block is identical in every shader that carries it", () => {
    const blocks = KERNELS.map((k) =>
      k.code.match(/\/\/ --- activation[\s\S]*?\/\/ --- end activation ---/)?.[0]
    )
      .filter((b): b is string => b !== undefined);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(blocks).size).toBe(1);
  });

  it("the training step's loss (loss_backward) carries loss_forward's row loss and its helpers unchanged", () => {
    // WGSL has no includes: the fused step copies the per-row loss, so that its reduced loss is the
    // evaluation's to the bit; held equal here, function by function.
    const code = (name: string) => KERNELS.find((k) => k.name === name)!.code;
    const fn = (source: string, name: string) =>
      source.match(new RegExp(`^fn ${name}\\([\\s\\S]*?^\\}`, "m"))?.[0];
    for (const name of ["rowLoss", "isFinite", "clip", "log1pSmall", "truth", "pred", "sparseLabel"]) {
      const original = fn(code("loss_forward"), name);
      expect(original, `loss_forward's fn ${name}`).toBeDefined();
      expect(fn(code("loss_backward"), name), `loss_backward's fn ${name}`).toBe(original);
    }
  });

  it("act' (fn derivative) is the same function in every shader that applies it", () => {
    // activation_backward, the vec4 matmul's fused dX epilogue, pooling's fused backward and the loss
    // step's head: WGSL has no includes, so the copies are held equal here.
    const copies = KERNELS.map((k) => k.code.match(/^fn derivative\(v: f32\) -> f32 \{[\s\S]*?^\}/m)?.[0])
      .filter((b): b is string => b !== undefined);
    expect(copies.length).toBeGreaterThanOrEqual(4);
    expect(new Set(copies).size).toBe(1);
  });
});
