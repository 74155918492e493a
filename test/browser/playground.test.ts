// The playground end to end: the bundle built from src/, served on 127.0.0.1, opened in Debian's
// Chromium with WebGPU (a CPU software adapter here), gallery scenarios run from the URL. Asserts the
// expected finding codes appear as [data-code] elements with no console error, "apply fix" shows a
// verification with before/after curves, a bad form value shows one line, and a browser without
// WebGPU gets the message. Full-page screenshots go to test-artifacts/browser/ for a person to check.
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundle, type GalleryIndexEntry } from "../../scripts/bundle.ts";
import { type RunningServer, startServer } from "../../scripts/serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const ARTIFACTS = `${ROOT}/test-artifacts/browser`;
const BASE_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** A run on the software adapter takes 5 to 15 s here; this leaves room for a loaded machine. */
const RUN_TIMEOUT = 90_000;

/**
 * Fast scenarios with different kinds of expectation: a setup error, a data error found before
 * training, a wrong user metric (a module metric bundled to JS), a healthy control, and a CNN (conv2d,
 * pooling and flatten kernels in the page's WebGPU).
 */
const SCENARIOS = [
  "a0-ex1-mse-on-multiclass",
  "a2-ex1-missing-values-not-imputed",
  "a4-ex3-hard-coded-accuracy",
  "healthy-multiclass-3-blobs",
  "cnn-shapes-unscaled-255",
  // A gallery model-file entry: the page imports the .keras file (zip, HDF5 via h5wasm) with the same code.
  "model-keras-seed-001-ex2-mse-softmax-hidden",
];

const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Console errors and warnings, page errors and dialogs of one page: a clean run has none. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

async function waitForRun(page: Page): Promise<string> {
  await page.waitForFunction(
    () => document.body.dataset.state === "done" || document.body.dataset.state === "error",
    null,
    { timeout: RUN_TIMEOUT },
  );
  return await page.evaluate(() => document.body.dataset.state!);
}

/** Share of a canvas's pixels that are painted: axes alone stay well under 1%, a drawn series above. */
function paintedShare(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    (canvases as HTMLCanvasElement[]).map((c) => {
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n / (c.width * c.height);
    }));
}

describe.skipIf(!hasChromium)("browser playground in Chromium", () => {
  let server: RunningServer;
  let gpu: BrowserContext;
  let profile: string;
  let gallery: GalleryIndexEntry[];

  beforeAll(async () => {
    await bundle({ root: ROOT });
    gallery = JSON.parse(await Deno.readTextFile(`${ROOT}/examples/browser/dist/gallery.json`));
    server = await startServer({ port: 0, root: `${ROOT}/examples` });
    profile = await Deno.makeTempDir({ prefix: "fitcheck-playground-" });
    gpu = await chromium.launchPersistentContext(`${profile}/gpu`, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      args: [...BASE_ARGS, "--enable-unsafe-webgpu"],
    });
    await Deno.mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await gpu?.close();
    await server?.close();
    if (profile) await Deno.remove(profile, { recursive: true }).catch(() => {});
  });

  for (const name of SCENARIOS) {
    test(`?scenario=${name}&autorun shows the expected findings, no console error`, async () => {
      const entry = gallery.find((g) => g.name === name);
      expect(entry, `${name} is in the gallery index`).toBeDefined();
      const page = await gpu.newPage();
      const problems = watch(page);
      await page.goto(`${server.url}?scenario=${name}&autorun`);
      const state = await waitForRun(page);
      const seen = await page.evaluate(() => ({
        error: document.getElementById("error")!.textContent,
        findings: [...document.querySelectorAll<HTMLElement>("#findings [data-code]")].map((e) => ({
          code: e.dataset.code!,
          severity: e.dataset.severity!,
          parts: ["badge", "message", "fix"].filter((c) => e.querySelector(`.${c}`)?.textContent?.trim()),
        })),
        checked: Number(document.getElementById("consistency")?.dataset.checked ?? -1),
        ok: Number(document.getElementById("consistency")?.dataset.ok ?? -1),
        symptoms: document.getElementById("symptoms")!.textContent,
      }));
      await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
      const painted = await paintedShare(page, "canvas[data-chart=curve]");
      await page.close();

      expect(state, seen.error ?? "").toBe("done");
      expect(problems).toEqual([]);
      const codes = seen.findings.map((f) => f.code);
      for (const code of entry!.expected) expect(codes, `expected ${code}`).toContain(code);
      if (entry!.expected.length === 0) {
        expect(seen.findings.filter((f) => f.severity === "error")).toEqual([]);
      }
      for (const f of seen.findings) expect(f.parts, f.code).toEqual(["badge", "message", "fix"]);
      // Every engine number the page's GPU produced was checked against float64, and agreed.
      expect(seen.checked).toBeGreaterThan(0);
      expect(seen.ok).toBe(seen.checked);
      expect(seen.symptoms).toMatch(/initial loss/);
      for (const share of painted) expect(share).toBeGreaterThan(0.01);
    });
  }

  test("apply fix re-trains with the remedy and overlays before/after curves", async () => {
    const page = await gpu.newPage();
    const problems = watch(page);
    // NaN feature cells: the remedy drops those rows, and the CLI's --verify confirms it (the loss
    // stays finite and accuracy rises far above the collapse).
    await page.goto(`${server.url}?scenario=a2-ex1-missing-values-not-imputed&autorun`);
    expect(await waitForRun(page)).toBe("done");
    const finding = page.locator('[data-code="non-finite-data"]');
    await finding.locator("button.apply-fix").click();
    await finding.locator(".verification").waitFor({ timeout: RUN_TIMEOUT });
    const verification = await finding.locator(".verification").evaluate((el) => ({
      confirmed: (el as HTMLElement).dataset.confirmed,
      verdict: el.querySelector(".verdict")!.textContent,
      rows: el.querySelectorAll("table.before-after tr").length,
    }));
    // Chart.js draws on the next frame after the overlay is attached.
    await page.waitForFunction(() => document.querySelectorAll("canvas[data-chart=verify]").length >= 2);
    const overlays = await paintedShare(page, "canvas[data-chart=verify]");
    await page.screenshot({
      path: `${ARTIFACTS}/apply-fix-a2-ex1-missing-values-not-imputed.png`,
      fullPage: true,
    });
    const state = await page.evaluate(() => document.body.dataset.state);
    await page.close();

    expect(problems).toEqual([]);
    expect(state).toBe("done");
    expect(verification.verdict).toContain("drop rows with NaN or Inf");
    expect(verification.confirmed).toBe("true");
    expect(verification.rows).toBeGreaterThan(2);
    for (const share of overlays) expect(share).toBeGreaterThan(0.01);
  });

  /** Opens the page, switches to the CSV tab and uploads the gallery's species.csv. */
  async function uploadSpecies(page: Page): Promise<void> {
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    await page.click("#tab-csv");
    await page.setInputFiles("#csv-file", {
      name: "species.csv",
      mimeType: "text/csv",
      // playwright base64-encodes a Node Buffer; a plain Uint8Array is not accepted.
      buffer: Buffer.from(await Deno.readFile(`${ROOT}/examples/scenarios/data/species.csv`)),
    });
    await page.waitForFunction(() => !(document.getElementById("run-csv") as HTMLButtonElement).disabled);
  }

  test("an uploaded CSV trains through the same pipeline: sigmoid outputs for species classes are flagged", async () => {
    const page = await gpu.newPage();
    const problems = watch(page);
    await uploadSpecies(page);
    // The last column (species, text) is the default target.
    expect(await page.$eval("#target", (s) => (s as HTMLSelectElement).value)).toBe("species");
    await page.selectOption("#layers li:last-child select.activation", "sigmoid");
    await page.fill("#epochs", "5");
    await page.click("#run-csv");
    const state = await waitForRun(page);
    const codes = await page.$$eval(
      "#findings [data-code]",
      (els) => els.map((e) => e.getAttribute("data-code")),
    );
    const status = await page.textContent("#status");
    await page.screenshot({ path: `${ARTIFACTS}/csv-species-sigmoid-head.png`, fullPage: true });
    await page.close();

    expect(problems).toEqual([]);
    expect(state).toBe("done");
    expect(status).toContain("5 epochs");
    expect(codes).toContain("sigmoid-multiclass-head");
  });

  test("an uploaded model file (a PyTorch ONNX export) replaces the layers: its softmax before CE is found", async () => {
    const page = await gpu.newPage();
    const problems = watch(page);
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    await page.click("#tab-csv");
    const models = `${ROOT}/examples/scenarios/models`;
    await page.setInputFiles("#csv-file", {
      name: "iris_standardized.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(await Deno.readFile(`${models}/iris_standardized.csv`)),
    });
    await page.waitForFunction(() => !(document.getElementById("run-csv") as HTMLButtonElement).disabled);
    await page.setInputFiles("#model-file", {
      name: "mlp-iris-softmax.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(await Deno.readFile(`${models}/mlp-iris-softmax.onnx`)),
    });
    await page.selectOption("#loss", "sparse-categorical-crossentropy");
    await page.check("#from-logits");
    await page.fill("#epochs", "5");
    await page.click("#run-csv");
    const state = await waitForRun(page);
    const codes = await page.$$eval(
      "#findings [data-code]",
      (els) => els.map((e) => e.getAttribute("data-code")),
    );
    const error = await page.textContent("#error");
    await page.close();

    expect(problems).toEqual([]);
    expect(state, error ?? "").toBe("done");
    expect(codes[0]).toBe("double-softmax");
  });

  test("a bad value in the CSV form is one clear line naming the field", async () => {
    const page = await gpu.newPage();
    const problems = watch(page);
    await uploadSpecies(page);
    await page.fill("#layers li:first-child input.units", "many");
    await page.click("#run-csv");
    const state = await waitForRun(page);
    const line = await page.textContent("#error");
    await page.close();

    expect(problems).toEqual([]);
    expect(state).toBe("error");
    expect(line).toBe('form: field "model.layers[0].units": expected a number, got "many"');
  });

  test("a browser without WebGPU gets the message, not a blank page", async () => {
    const plain = await chromium.launchPersistentContext(`${profile}/plain`, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      args: [...BASE_ARGS, "--disable-features=WebGPU"],
    });
    try {
      const page = await plain.newPage();
      const problems = watch(page);
      await page.goto(`${server.url}?scenario=a0-ex1-mse-on-multiclass&autorun`);
      expect(await waitForRun(page)).toBe("error");
      const banner = page.locator("#no-webgpu");
      expect(await banner.isVisible()).toBe(true);
      const text = await banner.textContent();
      await page.screenshot({ path: `${ARTIFACTS}/no-webgpu.png`, fullPage: true });
      // Chromium itself warns "No available adapters." when WebGPU is off; nothing else may appear.
      expect(problems.filter((p) => p !== "warning: No available adapters.")).toEqual([]);
      expect(text).toMatch(/WebGPU/);
      expect(text).toMatch(/Chrome or Edge 113/);
      expect(text).toMatch(/--enable-unsafe-webgpu/);
      expect(text).toMatch(/127\.0\.0\.1/);
    } finally {
      await plain.close();
    }
  });
});
