// A CLI entry for process tests: the real Deno I/O of src/cli/main.ts with engines that return the
// fixture report named by FITCHECK_TEST_REPORT (a test double; the real engines need a GPU).
import { denoCliIo } from "../../src/cli/main.ts";
import { runCli } from "../../src/cli/program.ts";
import { fakeEngines, fixture } from "./_fake.ts";

const report = fixture(Deno.env.get("FITCHECK_TEST_REPORT") ?? "run_loss_task_mismatch");
Deno.exit(await runCli(Deno.args, denoCliIo(), fakeEngines(report)));
