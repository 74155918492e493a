/**
 * The report as page elements: the symptoms line, the consistency summary, and one element per
 * finding (`data-code`, severity, title, message, evidence table, fix, and the verification of an
 * applied fix), in the report's order.
 *
 * @module
 */
import { remedyOf } from "../../src/diagnose/finding.ts";
import { cellText, evidenceItems, formatNumber } from "../../src/report/format.ts";
import type { Finding, Report, SplitMetrics, Verification } from "../../src/report/types.ts";
import { overlayChart, scoreMetric } from "./charts.ts";
import { h } from "./dom.ts";

/** "initial loss 1.099 · train: loss 0.02, accuracy 0 · validation: … · baseline majority-class accuracy 0.34" */
export function symptomsText(report: Report): string {
  const s = report.symptoms;
  if (!s) return "";
  const parts: string[] = [];
  if (s.initialLoss !== null) parts.push(`initial loss ${formatNumber(s.initialLoss)}`);
  const split = (name: string, m: SplitMetrics | null) => {
    const entries = m ? Object.entries(m) : [];
    if (entries.length > 0) {
      parts.push(`${name}: ${entries.map(([k, v]) => `${k} ${formatNumber(v)}`).join(", ")}`);
    }
  };
  split("train", s.train);
  split("validation", s.validation);
  if (s.baseline.majorityClassAccuracy !== undefined) {
    parts.push(`majority-class accuracy ${formatNumber(s.baseline.majorityClassAccuracy)}`);
  }
  if (s.baseline.meanPredictorLoss !== undefined) {
    parts.push(`mean-predictor loss ${formatNumber(s.baseline.meanPredictorLoss)}`);
  }
  return parts.join(" · ");
}

/** The consistency summary: how many engine numbers were checked against float64, how many agreed. */
export function consistencyElement(report: Report): HTMLElement {
  const n = report.consistency.length;
  const bad = report.consistency.filter((c) => !c.ok);
  const ok = n - bad.length;
  const el = h(
    "p",
    {
      id: "consistency",
      class: bad.length > 0 ? "consistency bad" : "consistency",
      "data-checked": n,
      "data-ok": ok,
    },
    h("strong", {}, "Consistency: "),
    n === 0
      ? "nothing ran on the GPU, so no engine number was checked."
      : `${n} checked / ${ok} ok: every loss and metric the GPU computed, each epoch, against the float64 reference.`,
  );
  if (bad.length > 0) {
    const list = bad.slice(0, 5).map((c) =>
      `${c.quantity} @ epoch ${c.epoch}: engine ${formatNumber(c.engine)} vs ${formatNumber(c.reference)}`
    );
    el.append(
      h("span", { class: "muted" }, ` Outside tolerance: ${list.join("; ")}${bad.length > 5 ? "; …" : ""}.`),
    );
  }
  return el;
}

/** What the finding list needs from the page. */
export interface FindingActions {
  /** Re-trains with the finding's remedy and resolves with the verified finding (or null). */
  applyFix(finding: Finding): Promise<Finding | null>;
}

/** The findings, in report order; "Apply fix" on every error with an automatic remedy. */
export function findingsElement(report: Report, actions: FindingActions): HTMLElement {
  if (report.findings.length === 0) {
    return h(
      "p",
      { id: "findings", class: "no-findings" },
      "No findings: nothing wrong with this setup was found.",
    );
  }
  return h("ol", { id: "findings" }, ...report.findings.map((f) => findingElement(f, actions)));
}

function findingElement(f: Finding, actions: FindingActions): HTMLElement {
  const el = h(
    "li",
    { class: `finding severity-${f.severity}`, "data-code": f.code, "data-severity": f.severity },
    h(
      "div",
      { class: "finding-head" },
      h("span", { class: `badge badge-${f.severity}` }, f.severity),
      h("code", {}, f.code),
      h("strong", {}, f.title),
    ),
    h("p", { class: "message" }, f.message),
    evidenceTable(f.evidence),
    h("p", { class: "fix" }, h("strong", {}, "Fix: "), f.fix),
  );
  // verify.ts re-trains only error findings with an automatic remedy: offer the button for exactly those.
  if (f.severity === "error" && remedyOf(f)) {
    const button = h("button", { type: "button", class: "apply-fix" }, "Apply fix and re-train");
    const slot = h("div", { class: "verification-slot" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Re-training with the fix…";
      const verified = await actions.applyFix(f);
      button.textContent = "Apply fix and re-train";
      button.disabled = false;
      slot.replaceChildren(
        verified?.verification ? verificationElement(verified.verification) : h(
          "p",
          { class: "muted" },
          "This remedy does not apply to this setup automatically; see the fix above.",
        ),
      );
    });
    el.append(button, slot);
  }
  return el;
}

/** Evidence as a two-column table (src/report/format.ts `evidenceItems`): nested lists as small tables. */
function evidenceTable(evidence: Record<string, unknown>): HTMLElement | null {
  const items = evidenceItems(evidence);
  if (items.length === 0) return null;
  const value = (item: typeof items[number]) => {
    if (item.kind !== "table") return item.text;
    const head = item.columns.some((c) => c) ? [h("tr", {}, ...item.columns.map((c) => h("th", {}, c)))] : [];
    const rows = item.rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))));
    const more = item.more > 0 ? [h("tr", {}, h("td", {}, `… +${item.more} more`))] : [];
    return h("table", { class: "evidence-sub" }, ...head, ...rows, ...more);
  };
  return h(
    "table",
    { class: "evidence" },
    h("caption", {}, "Evidence"),
    ...items.map((item) => h("tr", {}, h("td", {}, item.key), h("td", {}, value(item)))),
  );
}

/** The verification of an applied fix: the change, before/after key symptoms, and overlaid curves. */
export function verificationElement(v: Verification): HTMLElement {
  const keys = [...new Set([...Object.keys(v.before), ...Object.keys(v.after)])];
  const cell = (x: unknown) => cellText(x, 4);
  const el = h(
    "div",
    { class: "verification", "data-confirmed": String(v.confirmed) },
    h(
      "p",
      { class: v.confirmed ? "verdict confirmed" : "verdict unconfirmed" },
      h("strong", {}, v.confirmed ? "✓ Confirmed: " : "✗ Not confirmed: "),
      `re-trained with ${v.change}. `,
      v.confirmed
        ? "The finding is gone and the key metric improved."
        : "The finding did not go away, or the key metric did not clearly improve.",
    ),
    h(
      "table",
      { class: "before-after" },
      h("tr", {}, h("th", {}, ""), h("th", {}, "before"), h("th", {}, "after")),
      ...keys.map((k) =>
        h("tr", {}, h("td", {}, k), h("td", {}, cell(v.before[k])), h("td", {}, cell(v.after[k])))
      ),
    ),
  );
  if (v.history) {
    const charts = h("div", { class: "charts overlay" });
    el.append(charts);
    const metric = scoreMetric(v.history.before.at(-1)?.train ?? v.history.after.at(-1)?.train);
    for (const m of ["loss", ...(metric ? [metric] : [])]) {
      const canvas = h("canvas", { "data-chart": "verify" });
      const box = h("div", { class: "chart-box" }, canvas);
      charts.append(box);
      // Chart.js measures its parent: attach first, draw after.
      queueMicrotask(() => {
        if (!overlayChart(canvas, v.history!, m)) box.remove();
      });
    }
  }
  return el;
}
