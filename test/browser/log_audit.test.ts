// The playground's "Your log" panel in Chromium: a pasted Keras/PyTorch log and dropped TensorBoard
// event files (a run directory with train/ and validation/) go through the same readers and
// history-only audit as `diagnose audit --history`, and show the same findings as [data-code]
// elements, with the list of what the log alone cannot decide. No WebGPU is needed for this.
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundle } from "../../scripts/bundle.ts";
import { type RunningServer, startServer } from "../../scripts/serve.ts";
import { auditHistory } from "../../src/audit/mod.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const ARTIFACTS = `${ROOT}/test-artifacts/browser`;
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

async function audited(page: Page): Promise<{ state: string; codes: string[]; undecidable: number }> {
  await page.waitForFunction(
    () => document.body.dataset.state === "done" || document.body.dataset.state === "error",
    null,
    { timeout: 30_000 },
  );
  return {
    state: await page.evaluate(() => document.body.dataset.state!),
    codes: await page.$$eval("#findings [data-code]", (els) => els.map((e) => e.getAttribute("data-code")!)),
    undecidable: await page.$$eval("#undecidable li", (els) => els.length),
  };
}

describe.skipIf(!hasChromium)("playground: audit a log", () => {
  let server: RunningServer;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    await bundle({ root: ROOT });
    server = await startServer({ port: 0, root: `${ROOT}/examples` });
    profile = await Deno.makeTempDir({ prefix: "fitcheck-log-" });
    // No WebGPU flag: a log audit must work without it.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 900 },
      args: ["--no-sandbox", "--headless", "--disable-background-networking", "--no-first-run"],
    });
    await Deno.mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (profile) await Deno.remove(profile, { recursive: true }).catch(() => {});
  });

  test("a pasted log gives the findings the CLI gives", async () => {
    const file = `${ROOT}/examples/audits/logs/seed001-single-unit-softmax.log`;
    const cli = await auditHistory({ history: file }, denoFileSource());
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.click("#tab-log");
    await page.fill("#log-text", await Deno.readTextFile(file));
    await page.click("#run-log");
    const r = await audited(page);
    await page.screenshot({ path: `${ARTIFACTS}/log-pasted-single-unit-softmax.png`, fullPage: true });
    await page.close();
    expect(r.state).toBe("done");
    expect(r.codes).toEqual(cli.findings.map((f) => f.code));
    expect(r.codes[0]).toBe("single-unit-softmax");
    expect(r.undecidable).toBeGreaterThan(0);
  });

  test("dropped TensorBoard event files of a train/validation run directory are read as one run", async () => {
    const dir = `${ROOT}/test/fixtures/history/tb_keras_layout`;
    const files = ["train", "validation"].map((split) => {
      const name = [...Deno.readDirSync(`${dir}/${split}`)][0].name;
      return { split, name, bytes: Deno.readFileSync(`${dir}/${split}/${name}`) };
    });
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.click("#tab-log");
    // A drop of two files keeping their run subdirectories, as a dropped folder gives them.
    const transfer = await page.evaluateHandle((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) {
        const file = new File([new Uint8Array(f.bytes)], f.name);
        Object.defineProperty(file, "webkitRelativePath", { value: `run/${f.split}/${f.name}` });
        dt.items.add(file);
      }
      return dt;
    }, files.map((f) => ({ split: f.split, name: f.name, bytes: [...f.bytes] })));
    await page.dispatchEvent("#log-drop", "drop", { dataTransfer: transfer });
    await page.waitForFunction(() => !(document.getElementById("run-log") as HTMLButtonElement).disabled);
    await page.fill("#log-loss", "binary-crossentropy");
    await page.click("#run-log");
    const r = await audited(page);
    const status = await page.textContent("#status");
    await page.screenshot({ path: `${ARTIFACTS}/log-tensorboard-dropped.png`, fullPage: true });
    await page.close();
    expect(r.state).toBe("done");
    expect(status).toContain("8 epochs read");
    expect(r.codes.filter((c) => c !== "validation-better-than-training")).toEqual([]); // healthy
  });

  test("a log with no epoch lines is one clear line", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.click("#tab-log");
    await page.fill("#log-text", "Loading data...\nTraining finished.\n");
    await page.click("#run-log");
    const r = await audited(page);
    const line = await page.textContent("#error");
    await page.close();
    expect(r.state).toBe("error");
    expect(line).toMatch(/^pasted log: no epoch lines/);
  });
});
