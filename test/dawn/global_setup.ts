/**
 * Once per Dawn run (vitest.dawn.config.ts `globalSetup`): finds the adapter, prints which
 * implementation runs the suite, and stops the run with one line when there is none (instead of
 * every test failing with the same NoAdapterError, or a stack trace through vitest).
 */
import process from "node:process";
import { describeDawnAdapter, installDawn, noAdapterHint, selectVulkanDriver } from "./dawn_gpu.ts";

/** vitest's globalSetup entry point. */
export default async function setup(): Promise<void> {
  const icd = selectVulkanDriver(process.env);
  const adapter = await installDawn().requestAdapter();
  if (!adapter) {
    console.error(noAdapterHint(icd));
    process.exit(1);
  }
  console.log(`[test:dawn] ${describeDawnAdapter(adapter)} (VK_ICD_FILENAMES=${icd})`);
}
