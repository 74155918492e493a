/**
 * The playground's charts: loss and one score (accuracy, else the first metric) per epoch, drawn
 * live as epochs finish, and the before/after overlay of an applied fix. Chart.js comes from
 * node_modules, bundled into dist/main.js.
 *
 * @module
 */
import { Chart, type ChartDataset, registerables } from "chart.js";
import type { HistoryEntry, SplitMetrics } from "../../src/report/types.ts";

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "system-ui, sans-serif";

const COLORS = { train: "#2563eb", validation: "#ea580c" } as const;
type Split = keyof typeof COLORS;

/** Scores bounded to [0, 1]: drawn on a fixed axis so noise of 0.01 does not look like learning. */
const BOUNDED = /accuracy|precision|recall|f1|auc/;

/** The metric the second chart shows: accuracy when recorded, else the first non-loss metric. */
export function scoreMetric(metrics: SplitMetrics | undefined): string | null {
  if (!metrics) return null;
  const keys = Object.keys(metrics).filter((k) => k !== "loss");
  return keys.find((k) => k === "accuracy") ?? keys.find((k) => BOUNDED.test(k)) ?? keys[0] ?? null;
}

function finite(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function dataset(label: string, color: string, dashed: boolean): ChartDataset<"line", (number | null)[]> {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderDash: dashed ? [6, 4] : [],
    pointRadius: 2,
    // Points on the last epoch sit on the plot's edge: let them draw past it instead of being cut.
    clip: 6,
    tension: 0,
    spanGaps: false,
  };
}

function lineChart(
  canvas: HTMLCanvasElement,
  title: string,
  yTitle: string,
  bounded: boolean,
): Chart<"line"> {
  return new Chart(canvas, {
    type: "line",
    data: { labels: [], datasets: [] },
    options: {
      plugins: { title: { display: true, text: title }, legend: { position: "bottom" } },
      scales: {
        x: { title: { display: true, text: "epoch" } },
        y: { title: { display: true, text: yTitle }, ...(bounded ? { min: 0, max: 1 } : {}) },
      },
    },
  });
}

/**
 * Loss diverging over orders of magnitude is unreadable on a linear axis: switch to a log axis when
 * every value is positive and they span more than 1e3.
 */
function fitLossAxis(chart: Chart<"line">): void {
  const values = chart.data.datasets.flatMap((d) => d.data).filter((v): v is number => typeof v === "number");
  const positive = values.length > 0 && values.every((v) => v > 0);
  const log = positive && Math.max(...values) / Math.min(...values) > 1e3;
  const y = chart.options.scales!.y!;
  if ((y.type === "logarithmic") !== log) y.type = log ? "logarithmic" : "linear";
}

/** The two live charts of a run. */
export class LiveCharts {
  #loss: Chart<"line">;
  #score: Chart<"line">;
  #scoreName: string | null = null;
  #scoreCanvas: HTMLCanvasElement;

  constructor(lossCanvas: HTMLCanvasElement, scoreCanvas: HTMLCanvasElement) {
    this.#loss = lineChart(lossCanvas, "Loss per epoch", "loss", false);
    this.#scoreCanvas = scoreCanvas;
    this.#score = lineChart(scoreCanvas, "Accuracy per epoch", "accuracy", true);
  }

  /** Forgets every point (a new run). */
  reset(): void {
    for (const c of [this.#loss, this.#score]) {
      c.data.labels = [];
      c.data.datasets = [];
      c.update();
    }
    this.#scoreName = null;
  }

  /** Adds one epoch's train and validation numbers. */
  add(epoch: number, metrics: { train: SplitMetrics; validation: SplitMetrics | null }): void {
    // A metric may first appear late (a module metric is computed on the last epoch only): the
    // score chart keeps every epoch's label, and its series start with gaps.
    if (this.#scoreName === null) {
      this.#scoreName = scoreMetric(metrics.train);
      if (this.#scoreName) this.#retitleScore(this.#scoreName);
    }
    push(this.#loss, epoch, metrics, "loss");
    push(this.#score, epoch, metrics, this.#scoreName);
    fitLossAxis(this.#loss);
    noteNonFinite(this.#loss, "Loss per epoch");
    this.#loss.update();
    this.#score.update();
  }

  /** Replaces the live points with the report's history (the final, complete numbers). */
  showHistory(history: HistoryEntry[]): void {
    this.reset();
    for (const h of history) this.add(h.epoch, { train: h.train, validation: h.validation });
  }

  #retitleScore(name: string): void {
    const bounded = BOUNDED.test(name);
    const o = this.#score.options;
    o.plugins!.title!.text = `${name[0].toUpperCase()}${name.slice(1)} per epoch`;
    const y = o.scales!.y!;
    (y as { title: { text: string } }).title.text = name;
    y.min = bounded ? 0 : undefined;
    y.max = bounded ? 1 : undefined;
    this.#scoreCanvas.dataset.metric = name;
  }
}

function push(
  chart: Chart<"line">,
  epoch: number,
  metrics: { train: SplitMetrics; validation: SplitMetrics | null },
  key: string | null,
): void {
  const labels = chart.data.labels as number[];
  labels.push(epoch);
  if (key === null) return;
  for (const split of ["train", "validation"] as Split[]) {
    const m = split === "train" ? metrics.train : metrics.validation;
    if (!m || !(key in m)) continue;
    let d = chart.data.datasets.find((x) => x.label === `${split} ${key}`);
    if (!d) {
      d = dataset(`${split} ${key}`, COLORS[split], false);
      d.data = labels.slice(0, -1).map(() => null);
      chart.data.datasets.push(d);
    }
    d.data.push(finite(m[key]));
    // A metric computed on few epochs (a module metric: the last one only) would be a speck: enlarge it.
    d.pointRadius = d.data.filter((v) => v !== null).length <= 2 ? 5 : 2;
  }
}

/** NaN and Inf cannot be drawn: say so in the title rather than leave an empty plot unexplained. */
function noteNonFinite(chart: Chart<"line">, title: string): void {
  const gaps = chart.data.datasets.some((d) => d.data.some((v) => v === null));
  chart.options.plugins!.title!.text = gaps ? `${title} (NaN/Inf epochs not drawn)` : title;
}

/**
 * Before (dashed) and after (solid) curves of one metric, for a fix's verification. Returns null when
 * neither run recorded the metric.
 */
export function overlayChart(
  canvas: HTMLCanvasElement,
  history: { before: HistoryEntry[]; after: HistoryEntry[] },
  metric: string,
): Chart<"line"> | null {
  const sets: ChartDataset<"line", (number | null)[]>[] = [];
  const length = Math.max(history.before.length, history.after.length);
  const labels = Array.from({ length }, (_, i) => (history.after[i] ?? history.before[i]).epoch);
  for (const [when, runs] of [["before", history.before], ["after", history.after]] as const) {
    for (const split of ["train", "validation"] as Split[]) {
      const data = labels.map((_, i) => {
        const m = split === "train" ? runs[i]?.train : runs[i]?.validation;
        return finite(m?.[metric]);
      });
      if (data.every((v) => v === null)) continue;
      const d = dataset(`${when}: ${split} ${metric}`, COLORS[split], when === "before");
      d.data = data;
      sets.push(d);
    }
  }
  if (sets.length === 0) return null;
  const chart = lineChart(
    canvas,
    `${metric}: before (dashed) and after the fix (solid)`,
    metric,
    BOUNDED.test(metric) && metric !== "loss",
  );
  chart.data.labels = labels;
  chart.data.datasets = sets;
  if (metric === "loss") fitLossAxis(chart);
  chart.update();
  canvas.dataset.metric = metric;
  return chart;
}
