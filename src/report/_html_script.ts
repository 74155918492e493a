/**
 * The browser script of the HTML report, as text to inline (the report file must stand alone). Kept
 * as plain ES2020 rather than a TypeScript function's `toString()`: test transpilers inject helpers
 * (`__name`) into function bodies, which would break the inlined copy. Tested by opening generated
 * reports in headless Chromium (test/report/html_browser.test.ts).
 *
 * It reads the report from `<script id="fitcheck-report" type="application/json">` and draws every
 * `<canvas data-chart="...">`: `curve` (data-metric), `per-class`, `confusion`, `verify`
 * (data-finding, data-metric). When done it sets `data-charts-drawn` on <html> to the count drawn;
 * on failure it sets `data-chart-error` and rethrows so the console shows the error.
 *
 * @module
 */
export const HTML_SCRIPT = String.raw`
(function () {
  "use strict";
  var Chart = window.Chart;
  var report = JSON.parse(document.getElementById("fitcheck-report").textContent);
  var COLORS = { train: "#2563eb", validation: "#ea580c", precision: "#0891b2", recall: "#7c3aed" };
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, sans-serif";

  function value(metrics, key) {
    var v = metrics ? metrics[key] : null;
    return typeof v === "number" && isFinite(v) ? v : null;
  }
  function column(history, split, key) {
    return history.map(function (h) { return value(split === "train" ? h.train : h.validation, key); });
  }
  // Loss that spans orders of magnitude (divergence) is unreadable on a linear axis.
  // Accuracy-like metrics live in [0, 1]: a fixed axis keeps noise of 0.01 from looking like learning.
  function yScale(datasets, metric) {
    if (metric !== "loss" && /accuracy|precision|recall|f1|auc/.test(metric)) return { min: 0, max: 1 };
    var values = [];
    datasets.forEach(function (d) { d.data.forEach(function (v) { if (v !== null) values.push(v); }); });
    var positive = values.length > 0 && values.every(function (v) { return v > 0; });
    var ratio = positive ? Math.max.apply(null, values) / Math.min.apply(null, values) : 1;
    return { type: ratio > 1e3 ? "logarithmic" : "linear", title: { display: false } };
  }
  function lineDataset(label, data, color, dashed) {
    return { label: label, data: data, borderColor: color, backgroundColor: color, borderDash: dashed ? [6, 4] : [],
      pointRadius: data.length > 40 ? 0 : 2, spanGaps: false, tension: 0 };
  }
  function curves(canvas, history, metric, labelPrefix, dashed) {
    return ["train", "validation"].map(function (split) {
      return lineDataset(labelPrefix + split + " " + metric, column(history, split, metric), COLORS[split], dashed);
    }).filter(function (d) { return d.data.some(function (v) { return v !== null; }); });
  }
  function lineChart(canvas, labels, datasets, title, metric) {
    return new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: { plugins: { title: { display: true, text: title } }, scales: { x: { title: { display: true, text: "epoch" } }, y: yScale(datasets, metric) } },
    });
  }
  function epochs(history) { return history.map(function (h) { return h.epoch; }); }

  // Class names come from user data and can be long: cut tick labels so the plot keeps its room.
  var shortTicks = { callback: function (v) {
    var label = String(this.getLabelForValue(v));
    return label.length > 16 ? label.slice(0, 15) + "…" : label;
  } };

  // Writes each cell's count on the heatmap (dark text on light cells, white on dark ones).
  var cellCounts = {
    id: "fitcheckCellCounts",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.font = "12px system-ui, sans-serif";
      meta.data.forEach(function (element, i) {
        var cell = chart.data.datasets[0].data[i];
        if (element.width < 18 || element.height < 12) return;
        var center = element.getCenterPoint();
        ctx.fillStyle = cell.share > 0.5 ? "#ffffff" : "#1f2937";
        ctx.fillText(String(cell.v), center.x, center.y);
      });
      ctx.restore();
    },
  };

  var draw = {
    curve: function (canvas) {
      var metric = canvas.dataset.metric;
      return lineChart(canvas, epochs(report.history), curves(canvas, report.history, metric, "", false), metric + " per epoch", metric);
    },
    "per-class": function (canvas) {
      var classes = report.perClass.classes;
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: classes.map(function (c) { return c.label; }),
          datasets: ["precision", "recall"].map(function (key) {
            return { label: key, data: classes.map(function (c) { return c[key]; }), backgroundColor: COLORS[key] };
          }),
        },
        options: {
          plugins: { title: { display: true, text: "per-class precision and recall (" + report.perClass.split + ", epoch " + report.perClass.epoch + ")" } },
          scales: { x: { ticks: shortTicks }, y: { min: 0, max: 1 } },
        },
      });
    },
    confusion: function (canvas) {
      var c = report.confusion;
      var n = c.labels.length;
      var cells = [];
      var max = 0;
      c.matrix.forEach(function (row, i) {
        var total = row.reduce(function (a, b) { return a + b; }, 0);
        row.forEach(function (count, j) {
          // Shade by the share of the true class's rows, so a rare class's failure is as visible as a common one's.
          var share = total > 0 ? count / total : 0;
          cells.push({ x: c.labels[j], y: c.labels[i], v: count, share: share });
          max = Math.max(max, count);
        });
      });
      return new Chart(canvas, {
        type: "matrix",
        data: { datasets: [{
          label: "rows",
          data: cells,
          backgroundColor: function (ctx) {
            var cell = ctx.dataset.data[ctx.dataIndex];
            return "rgba(37, 99, 235, " + (0.06 + 0.94 * (cell ? cell.share : 0)).toFixed(3) + ")";
          },
          borderColor: "#ffffff",
          borderWidth: 1,
          width: function (ctx) { var a = ctx.chart.chartArea; return a ? a.width / n - 1 : 10; },
          height: function (ctx) { var a = ctx.chart.chartArea; return a ? a.height / n - 1 : 10; },
        }] },
        options: {
          plugins: {
            legend: { display: false },
            title: { display: true, text: "confusion matrix (" + c.split + ", epoch " + c.epoch + "): rows true, columns predicted" },
            tooltip: { callbacks: {
              title: function () { return ""; },
              label: function (ctx) {
                var d = ctx.raw;
                return "true " + d.y + ", predicted " + d.x + ": " + d.v + " (" + (100 * d.share).toFixed(1) + "% of the class)";
              },
            } },
          },
          scales: {
            x: { type: "category", labels: c.labels, offset: true, ticks: shortTicks, grid: { display: false }, title: { display: true, text: "predicted" } },
            // Not reversed: a vertical category scale already puts its first label at the top (Chart.js
            // inverts vertical category scales), so class 0 is the top row, as confusion matrices are printed.
            y: { type: "category", labels: c.labels, offset: true, reverse: false, ticks: shortTicks, grid: { display: false }, title: { display: true, text: "true" } },
          },
        },
        plugins: [cellCounts],
      });
    },
    verify: function (canvas) {
      var finding = report.findings[Number(canvas.dataset.finding)];
      var metric = canvas.dataset.metric;
      var h = finding.verification.history;
      var longest = h.before.length >= h.after.length ? h.before : h.after;
      var datasets = curves(canvas, h.before, metric, "before: ", true).concat(curves(canvas, h.after, metric, "after: ", false));
      datasets.forEach(function (d) { if (d.label.indexOf("before") === 0) d.borderColor = d.backgroundColor = d.borderColor + "99"; });
      return lineChart(canvas, epochs(longest), datasets, metric + " before and after: " + finding.verification.change, metric);
    },
  };

  var drawn = 0;
  try {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      draw[canvas.dataset.chart](canvas);
      drawn++;
    });
    document.documentElement.setAttribute("data-charts-drawn", String(drawn));
  } catch (e) {
    document.documentElement.setAttribute("data-chart-error", String(e && e.message || e));
    throw e;
  }
})();
`;
