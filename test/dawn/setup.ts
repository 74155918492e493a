/**
 * Per-file setup of the Dawn run (vitest.dawn.config.ts `setupFiles`): each test file runs in its
 * own worker, which needs its own Dawn instance and globals before the test imports touch WebGPU.
 */
import process from "node:process";
import { installDawn, selectVulkanDriver } from "./dawn_gpu.ts";

selectVulkanDriver(process.env);
installDawn();
