/**
 * The gallery as the diagnosis must handle it: every scenario in examples/scenarios/ trained on
 * WebGPU and diagnosed; each expected code is among the errors and warnings, a healthy control gets
 * no warning and no error (info notes only), and every engine number passed its float64 consistency check.
 */
import { afterAll, describe, expect, test } from "vitest";
import { meetsExpectation } from "../../src/app/gallery.ts";
import { runScenarioFile } from "../../src/app/run.ts";
import { denoMetricHost } from "../../src/cli/deno_metric_host.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";
import { releaseTestContext, testContext } from "../helpers/gpu.ts";
import { galleryFiles } from "../helpers/gallery.ts";

afterAll(releaseTestContext);

const dir = `${Deno.cwd()}/examples/scenarios`;
// Model-file entries ("kind": "model") run as `run --model`: test/import/model_gallery.test.ts.
const files = galleryFiles("scenario");
const source = denoFileSource();
const metricHost = denoMetricHost();
const primaries: { name: string; expected: string[]; primary: string | null }[] = [];

describe("the gallery meets its expectations", () => {
  for (const file of files) {
    test(file.replace(/\.json$/, ""), async () => {
      const path = `${dir}/${file}`;
      const expected: string[] = JSON.parse(Deno.readTextFileSync(path)).expect?.findings ?? [];
      const report = await runScenarioFile(path, { source, gpu: testContext, metricHost });
      const found = report.findings.map((f) => `${f.code} (${f.severity})`);
      expect(
        meetsExpectation(expected, report),
        `expected ${JSON.stringify(expected)}, found ${found.join(", ")}`,
      )
        .toBe(true);
      // A healthy control (synthetic or real data) gets no warning at all, not only no error: a
      // warning that fires on healthy setups teaches users to ignore every warning.
      if (expected.length === 0) {
        const loud = report.findings.filter((f) => f.severity !== "info").map((f) =>
          `${f.code} (${f.severity})`
        );
        expect(loud, "a healthy control gets only info findings").toEqual([]);
      }
      const diverged = report.consistency.filter((c) => !c.ok);
      expect(diverged, "engine numbers beyond tolerance of the float64 reference").toEqual([]);
      if (expected.length > 0) primaries.push({ name: file, expected, primary: report.summary.primary });
    }, 300_000);
  }

  // The target for held-out cases: the ground truth is summary.primary in at least 80% of
  // buggy scenarios (a root cause the scenario did not declare may legitimately come first).
  test("the declared cause is summary.primary in at least 80% of buggy scenarios", () => {
    const hits = primaries.filter((p) => p.primary !== null && p.expected.includes(p.primary));
    const misses = primaries.filter((p) => !hits.includes(p)).map((p) => `${p.name}: ${p.primary}`);
    expect(primaries.length).toBe(
      files.filter((f) =>
        (JSON.parse(Deno.readTextFileSync(`${dir}/${f}`)).expect?.findings ?? []).length > 0
      ).length,
    );
    expect(hits.length / primaries.length, `primary is not the declared cause in: ${misses.join("; ")}`)
      .toBeGreaterThanOrEqual(0.8);
  });
});
