// Shared loading of the fixture reports (test/fixtures/reports/) and the chart libraries.
import type { ChartLibraries } from "../../src/report/html.ts";
import type { Report } from "../../src/report/types.ts";

export const FIXTURES = [
  "run_loss_task_mismatch",
  "audit_metric_mismatch",
  "data_clean",
  "run_non_finite_hostile",
] as const;

export function loadFixture(name: typeof FIXTURES[number]): Report {
  return JSON.parse(Deno.readTextFileSync(`test/fixtures/reports/${name}.json`)) as Report;
}

export function chartLibraries(): ChartLibraries {
  return {
    chartJs: Deno.readTextFileSync("node_modules/chart.js/dist/chart.umd.min.js"),
    matrix: Deno.readTextFileSync("node_modules/chartjs-chart-matrix/dist/chartjs-chart-matrix.min.js"),
  };
}
