import { defineConfig } from "vitest/config";

// Deno and `deno bundle` load shaders with `import code from "./x.wgsl" with { type: "text" }`.
// Vite does not know that attribute, so this plugin turns every .wgsl module into a string export:
// one way to load shaders, everywhere.
const wgslAsText = {
  name: "wgsl-as-text",
  transform(code: string, id: string) {
    if (!id.endsWith(".wgsl")) return null;
    return { code: `export default ${JSON.stringify(code)};`, map: null };
  },
};

export default defineConfig({
  plugins: [wgslAsText],
  test: {
    include: ["test/**/*.test.ts"],
    // One GPU adapter per process on CPU software adapters: files run one after another to keep
    // the two cores for the kernels and keep adapter creation from racing.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
