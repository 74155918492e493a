// Before anything else: the ES2024 built-ins vitest 5 needs and Node 20 lacks.
import "./test/dawn/node_compat.ts";
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

// The kernel equivalence suite again, in Node on Dawn (Chrome's WebGPU, with SwiftShader's Vulkan
// driver), so every shader is proven on a second implementation besides Deno's wgpu/naga.
// `npx deno task test:dawn` runs it.
export default defineConfig({
  // The main config's .wgsl-as-text plugin, so shaders load here exactly as they do under Deno.
  plugins: base.plugins,
  test: {
    ...base.test,
    include: [
      "test/kernels/**/*.test.ts",
      // The same kernels against their twins on shapes and values fast-check draws.
      "test/property/gpu.property.test.ts",
      // The layer kinds' training trajectories against the float64 trainer (embedding, conv1d, batch norm).
      "test/layers/sequence_layers.test.ts",
      // The whole-model trajectories against the float64 trainer (dense stacks and a CNN).
      "test/train/trajectory.test.ts",
      // The batch-norm statistics the trainer reads back each epoch against the float64 twin.
      "test/train/batchnorm_records.test.ts",
      // Checks that only make sense on Dawn (named .dawn.ts so the Deno suite skips them).
      "test/dawn/**/*.dawn.ts",
    ],
    // coverage.test.ts runs no shader: it lists files with Deno.readDirSync and checks the kernel
    // table against the WGSL text, which says nothing about an implementation and already runs
    // under Deno.
    exclude: ["test/kernels/coverage.test.ts"],
    globalSetup: ["test/dawn/global_setup.ts"],
    setupFiles: ["test/dawn/setup.ts"],
  },
});
