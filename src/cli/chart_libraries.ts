/**
 * Loads the chart libraries the HTML report inlines, from node_modules at run time.
 *
 * Why at run time rather than a generated module: the UMD builds are 210 kB; a generated copy under
 * src/ would be a second, stale-able source of truth and bloat every bundle that imports src/report.
 * The CLI already runs from the project with node_modules present (Deno itself comes from there).
 *
 * @module
 */
import type { ChartLibraries } from "../report/html.ts";

/** Reads Chart.js's and chartjs-chart-matrix's minified UMD builds next to their resolved ESM entries. */
export async function readChartLibraries(): Promise<ChartLibraries> {
  const [chartJs, matrix] = await Promise.all([
    readBeside("chart.js", "chart.umd.min.js"),
    readBeside("chartjs-chart-matrix", "chartjs-chart-matrix.min.js"),
  ]);
  return { chartJs, matrix };
}

// Neither package exports its UMD file, but both keep it in the directory of their main entry.
async function readBeside(specifier: string, file: string): Promise<string> {
  const entry = new URL(import.meta.resolve(specifier));
  return await Deno.readTextFile(new URL(file, entry));
}
