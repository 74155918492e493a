/**
 * The HTML report (`diagnose run --html OUT.html`): one self-contained file with Chart.js inlined,
 * no network access (a Content-Security-Policy forbids it), every user-provided string escaped.
 *
 * src/report stays runtime-neutral, so the chart libraries come in as text: the CLI reads Chart.js's
 * and chartjs-chart-matrix's UMD builds from node_modules (src/cli/chart_libraries.ts).
 *
 * @module
 */
import {
  cellText,
  consistencyGroups,
  countWords,
  escapeControls,
  type EvidenceItem,
  evidenceItems,
  formatDuration,
  formatNumber,
  notVerifiedOf,
} from "./format.ts";
import { HTML_SCRIPT } from "./_html_script.ts";
import type { ConsistencyEntry, Finding, Report } from "./types.ts";

/** The UMD builds the report inlines: `chart.js/dist/chart.umd.min.js` and chartjs-chart-matrix's. */
export interface ChartLibraries {
  chartJs: string;
  matrix: string;
}

/**
 * Renders `report` as a standalone HTML document: loss and accuracy curves, per-class precision and
 * recall, the confusion matrix, findings with evidence, the before/after curves of `--verify`, and
 * the consistency checks. Charts are drawn only for the data the report has.
 *
 * @example
 * ```ts ignore
 * const html = renderHtml(report, { chartJs, matrix });
 * await atomicWriteTextFile("report.html", html);
 * ```
 */
export function renderHtml(report: Report, libraries: ChartLibraries): string {
  const title = report.scenario ? `fitcheck · ${report.scenario.name}` : `fitcheck · ${report.mode}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="fitcheck ${esc(report.tool.version)}">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(report)}
${curvesSection(report)}
${classesSection(report)}
${findingsSection(report)}
${consistencySection(report)}
<footer>${esc(timings(report))} · fitcheck ${esc(report.tool.version)}</footer>
<script type="application/json" id="fitcheck-report">${jsonForScript(report)}</script>
<script>${scriptText(libraries.chartJs)}</script>
<script>${scriptText(libraries.matrix)}</script>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
}

function header(report: Report): string {
  const a = report.adapter;
  const adapter = a
    ? `${a.description || "unnamed adapter"}${a.isFallbackAdapter ? " (software fallback)" : ""}`
    : "none (nothing ran on the GPU)";
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  const status = report.summary.status === "ok"
    ? "no problems found"
    : countWords({ error: counts.error, warning: counts.warning });
  const rows: [string, string][] = [["mode", report.mode], ["adapter", adapter]];
  if (report.scenario) rows.push(["scenario file", report.scenario.path]);
  if (report.summary.primary) rows.push(["primary finding", report.summary.primary]);
  const symptoms = report.symptoms;
  if (symptoms) {
    if (symptoms.initialLoss !== null) rows.push(["initial loss", formatNumber(symptoms.initialLoss)]);
    rows.push(["train", metricsText(symptoms.train)]);
    if (symptoms.validation) rows.push(["validation", metricsText(symptoms.validation)]);
    const baseline = Object.entries(symptoms.baseline).filter(([, v]) => v !== undefined);
    if (baseline.length > 0) {
      // "majority class accuracy 0.34", in words as the terminal writes it.
      const words = (k: string) => k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
      rows.push([
        "baseline",
        baseline.map(([k, v]) => `${words(k)} ${formatNumber(v as number)}`).join(" · "),
      ]);
    }
  }
  return `<header>
<h1>${esc(report.scenario?.name ?? `fitcheck ${report.mode}`)}</h1>
<p class="status status-${esc(report.summary.status)}">${esc(status)}</p>
${table(["", ""], rows, "facts")}
</header>`;
}

function metricsText(m: Record<string, number | null>): string {
  return Object.entries(m).map(([k, v]) => `${k} ${formatNumber(v)}`).join(" · ") || "–";
}

function curvesSection(report: Report): string {
  if (report.history.length === 0) return "";
  const metrics = new Set(report.history.flatMap((h) => Object.keys(h.train)));
  const shown = ["loss", "accuracy"].filter((m) => metrics.has(m));
  if (!metrics.has("accuracy")) {
    const other = [...metrics].find((m) => m !== "loss");
    if (other) shown.push(other);
  }
  const canvases = shown.map((m) => canvas({ chart: "curve", metric: m }, `${m} per epoch`));
  return `<section id="curves"><h2>Training curves</h2><div class="charts">${
    canvases.join("")
  }</div></section>`;
}

function classesSection(report: Report): string {
  const parts: string[] = [];
  if (report.perClass && report.perClass.classes.length > 0) {
    parts.push(canvas({ chart: "per-class" }, "per-class precision and recall"));
  }
  if (report.confusion && report.confusion.labels.length > 0) {
    parts.push(canvas({ chart: "confusion" }, "confusion matrix", "square"));
  }
  if (parts.length === 0) return "";
  return `<section id="classes"><h2>Per class</h2><div class="charts">${parts.join("")}</div></section>`;
}

function findingsSection(report: Report): string {
  const findings = report.findings;
  if (findings.length === 0) return `<section id="findings"><h2>Findings</h2><p>No findings.</p></section>`;
  const items = findings.map((f, index) => {
    const evidence = evidenceItems(f.evidence, { maxRows: 20, maxItems: 12 });
    return `<article class="finding severity-${esc(f.severity)}" data-code="${esc(f.code)}" data-severity="${
      esc(f.severity)
    }">
<h3><span class="badge">${esc(f.severity)}</span> <code>${esc(f.code)}</code> ${esc(f.title)}</h3>
<p>${esc(f.message)}</p>
${evidence.length > 0 ? evidenceTable(evidence) : ""}
<p class="fix"><strong>Fix:</strong> ${esc(f.fix)}</p>
${verification(f, index)}
</article>`;
  });
  return `<section id="findings"><h2>Findings</h2>${items.join("\n")}${notVerifiedHtml(report)}</section>`;
}

/** The findings --verify did not retrain for, and why. */
function notVerifiedHtml(report: Report): string {
  const entries = notVerifiedOf(report);
  if (entries.length === 0) return "";
  const rows = entries.map((e) => [e.code, e.reason]);
  return `<div class="not-verified"><p><strong>--verify did not retrain for ${entries.length} finding${
    entries.length === 1 ? "" : "s"
  }:</strong></p>${table(["finding", "why"], rows, "not-verified")}</div>`;
}

function verification(f: Finding, index: number): string {
  const v = f.verification;
  if (!v) return "";
  const keys = [...new Set([...Object.keys(v.before), ...Object.keys(v.after)])];
  const rows = keys.map((k): [string, string, string] => [k, cellText(v.before[k]), cellText(v.after[k])]);
  const history = v.history;
  const metrics = history
    ? ["loss", "accuracy"].filter((m) => history.before.concat(history.after).some((h) => m in h.train))
    : [];
  const charts = metrics.map((m) =>
    canvas({ chart: "verify", finding: String(index), metric: m }, `${m} before and after`)
  );
  return `<div class="verification">
<p><strong>Verified ${v.confirmed ? "(confirmed)" : "(not confirmed)"}:</strong> ${esc(v.change)}</p>
${rows.length > 0 ? table(["", "before", "after"], rows, "before-after") : ""}
${charts.length > 0 ? `<div class="charts">${charts.join("")}</div>` : ""}
</div>`;
}

function consistencySection(report: Report): string {
  const entries = report.consistency;
  if (entries.length === 0) return "";
  const groups = consistencyGroups(entries);
  const failing = [...groups.outside, ...groups.wrongDefinition];
  const worst = entries.reduce((a, b) => ((b.absError ?? Infinity) > (a.absError ?? Infinity) ? b : a));
  const row = (e: ConsistencyEntry): string[] => [
    e.quantity,
    String(e.epoch),
    ...[e.engine, e.reference, e.absError, e.tolerance].map(formatNumber),
    e.ok
      ? "ok"
      : groups.wrongDefinition.includes(e)
      ? "only a wrong definition matches"
      : "outside tolerance",
  ];
  const head = ["quantity", "epoch", "engine", "reference", "abs. error", "tolerance", ""];
  return `<section id="consistency"><h2>Consistency with the float64 reference</h2>
<p>${countWords({ check: entries.length })}; largest error ${esc(formatNumber(worst.absError))} (${
    esc(worst.quantity)
  }, epoch ${worst.epoch});
${
    failing.length === 0 ? "all within tolerance." : [
      groups.outside.length > 0 ? `<strong>${groups.outside.length} outside tolerance.</strong>` : "",
      groups.wrongDefinition.length > 0
        ? `${groups.wrongDefinition.length} reproduced within tolerance only by a definition that does not fit the task (see the findings).`
        : "",
    ].filter((t) => t).join(" ")
  }</p>
${failing.length > 0 ? table(head, failing.map(row), "consistency failing") : ""}
<details><summary>All ${entries.length} checks</summary>${
    table(head, entries.map(row), "consistency")
  }</details>
</section>`;
}

function timings(report: Report): string {
  const t = report.timings;
  return `total ${formatDuration(t.totalMs)}, training ${formatDuration(t.trainMs)}, diagnosis ${
    formatDuration(t.diagnoseMs)
  }`;
}

function canvas(data: Record<string, string>, label: string, shape = "wide"): string {
  const attributes = Object.entries(data).map(([k, v]) => `data-${k}="${esc(v)}"`).join(" ");
  return `<figure class="chart ${shape}"><canvas ${attributes} role="img" aria-label="${
    esc(label)
  }"></canvas></figure>`;
}

/** The evidence table: a row per item; a nested list or object as a small table in its cell. */
function evidenceTable(items: EvidenceItem[]): string {
  const rows = items.map((item) => {
    const value = item.kind === "table"
      ? table(item.columns, item.rows, "evidence-sub") +
        (item.more > 0 ? `<p class="more">… +${item.more} more (in the JSON report)</p>` : "")
      : esc(item.text);
    return `<tr><td>${esc(item.key)}</td><td>${value}</td></tr>`;
  });
  return `<table class="evidence"><thead><tr><th>evidence</th><th>value</th></tr></thead><tbody>${
    rows.join("\n")
  }</tbody></table>`;
}

function table(head: string[], rows: string[][], className: string): string {
  const th = head.some((h) => h)
    ? `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`
    : "";
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table class="${esc(className)}">${th}<tbody>${body}</tbody></table>`;
}

/** HTML-escapes text for element content and double-quoted attributes. */
export function esc(text: string): string {
  return escapeControls(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * JSON safe inside `<script type="application/json">`: `<` is escaped so no string can close the
 * element ("</script>") or open a comment, and `&`, `>`, U+2028/2029 for good measure.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Library text safe to inline: no "</script" (escaping it as "<\/script" keeps JS meaning), no source map link. */
function scriptText(source: string): string {
  return source.replace(/<\/script/gi, "<\\/script").replace(/^\/\/# sourceMappingURL=.*$/m, "");
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --error: #b91c1c; --warning: #b45309; --info: #0e7490; --ok: #15803d; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); margin: 0 auto; padding: 1.5rem; max-width: 1100px; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; } h2 { border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
.status { font-weight: 600; margin: 0 0 .75rem; } .status-errors { color: var(--error); } .status-warnings { color: var(--warning); } .status-ok { color: var(--ok); }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; } td, th { border: 1px solid var(--line); padding: .2rem .5rem; text-align: left; vertical-align: top; }
table.facts td:first-child, table.evidence > tbody > tr > td:first-child { color: var(--muted); white-space: nowrap; }
table.evidence > tbody > tr > td:last-child { font-family: ui-monospace, monospace; word-break: break-word; }
table.evidence-sub { margin: 0; font-size: 0.95em; }
table.evidence-sub td, table.evidence-sub th { padding: 1px 8px 1px 0; }
p.more { margin: 2px 0 0; color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; position: relative; height: 280px; flex: 1 1 460px; min-width: 320px; } figure.chart.square { height: 420px; flex: 1 1 420px; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.severity-error { border-left-color: var(--error); } .severity-warning { border-left-color: var(--warning); } .severity-info { border-left-color: var(--info); }
.badge { text-transform: uppercase; font-size: .75rem; letter-spacing: .05em; color: #fff; background: var(--muted); border-radius: 4px; padding: .1rem .4rem; }
.severity-error .badge { background: var(--error); } .severity-warning .badge { background: var(--warning); } .severity-info .badge { background: var(--info); }
.fix { background: #f0fdf4; border-radius: 4px; padding: .4rem .6rem; } .verification { border-top: 1px dashed var(--line); margin-top: .75rem; padding-top: .5rem; }
footer { color: var(--muted); margin-top: 2rem; font-size: .85rem; }
`;
