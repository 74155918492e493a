/**
 * Ordering of findings (CONTRACT §4): errors before warnings before info, a root cause before the
 * symptoms it explains, each code once. The two rules conflict when a warning-level cause explains an
 * error-level symptom (unsorted rows → a validation split missing a class); then the cause is raised
 * to the symptom's severity, said so in its evidence (`severityRaised`), so that both rules hold and
 * `summary.primary` names the cause. Raising never changes the summary status: it only happens when
 * an error is already present.
 */
import type { Finding, FindingCode, Report, Severity } from "../report/types.ts";
import { FINDING_CODES } from "../report/types.ts";
import { CATALOGUE, explainedBy } from "./finding.ts";

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const CODE_INDEX = new Map<FindingCode, number>(FINDING_CODES.map((c, i) => [c, i]));

/**
 * Orders findings most important first; merges repeated codes into one finding; drops the
 * `not-learning` fallback when a present finding explains it.
 *
 * Merging keeps the most severe occurrence's text and fix; evidence keys it lacks are taken from the
 * others, and the others' own messages and evidence are kept under `evidence.alsoSeen`.
 *
 * @example
 * ```ts
 * const ordered = orderFindings([notLearning, lossTaskMismatch]); // [lossTaskMismatch]
 * ```
 */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  const merged = mergeByCode(findings);
  const present = new Set(merged.keys());
  const closure = new Map<FindingCode, Set<FindingCode>>();
  for (const code of present) closure.set(code, explainedBy(code));

  // not-learning is the fallback "no more specific cause found": drop it beside any cause of it.
  if (present.has("not-learning")) {
    const causes = [...present].filter((c) => closure.get(c)!.has("not-learning"));
    if (causes.length > 0) {
      merged.delete("not-learning");
      present.delete("not-learning");
    }
  }

  const original = new Map<FindingCode, Severity>();
  for (const [code, f] of merged) original.set(code, f.severity);

  // Raise a cause to the most severe symptom it explains (transitively) among those present.
  // Info-level causes are notes, not claims, and are never raised.
  for (const [code, f] of merged) {
    if (f.severity === "info") continue;
    const symptoms = [...closure.get(code)!].filter((s) => present.has(s));
    let best: Severity = f.severity;
    const because: FindingCode[] = [];
    for (const s of symptoms) {
      const sev = original.get(s)!;
      if (RANK[sev] < RANK[best]) best = sev;
      if (RANK[sev] < RANK[f.severity]) because.push(s);
    }
    if (best !== f.severity) {
      merged.set(code, {
        ...f,
        severity: best,
        evidence: { ...f.evidence, severityRaised: { from: f.severity, explains: because } },
      });
    }
  }

  // Kahn's algorithm per severity tier: a finding is ready once every present cause of it is placed.
  // Among ready ones: originally more severe first (a cause raised only to sit before its symptom
  // does not jump an independent original error), then catalogue order (setup, data, training, metric).
  const out: Finding[] = [];
  const placed = new Set<FindingCode>();
  for (const tier of ["error", "warning", "info"] as const) {
    const pending = [...merged.values()].filter((f) => f.severity === tier);
    while (pending.length > 0) {
      const ready = pending.filter((f) =>
        ![...present].some((c) =>
          c !== f.code && !placed.has(c) && closure.get(c)!.has(f.code) &&
          RANK[merged.get(c)!.severity] <= RANK[tier]
        )
      );
      // The catalogue is acyclic, so something is always ready; the fallback only guards the loop.
      const pool = ready.length > 0 ? ready : pending;
      pool.sort((a, b) =>
        RANK[original.get(a.code)!] - RANK[original.get(b.code)!] ||
        CODE_INDEX.get(a.code)! - CODE_INDEX.get(b.code)!
      );
      const next = pool[0];
      out.push(next);
      placed.add(next.code);
      pending.splice(pending.indexOf(next), 1);
    }
  }
  return out;
}

/**
 * The report's `summary`: `errors` when any finding is an error, `warnings` when any is a warning,
 * else `ok`; `primary` is the first finding's code (call on ordered findings) or null.
 */
export function summarize(findings: readonly Finding[]): Report["summary"] {
  const status = findings.some((f) => f.severity === "error")
    ? "errors"
    : findings.some((f) => f.severity === "warning")
    ? "warnings"
    : "ok";
  return { status, primary: findings.length > 0 ? findings[0].code : null };
}

function mergeByCode(findings: readonly Finding[]): Map<FindingCode, Finding> {
  const groups = new Map<FindingCode, Finding[]>();
  for (const f of findings) {
    if (!(f.code in CATALOGUE)) throw new RangeError(`orderFindings: unknown finding code "${f.code}"`);
    const g = groups.get(f.code);
    if (g) g.push(f);
    else groups.set(f.code, [f]);
  }
  const out = new Map<FindingCode, Finding>();
  for (const [code, group] of groups) {
    if (group.length === 1) {
      out.set(code, group[0]);
      continue;
    }
    const sorted = [...group].sort((a, b) => RANK[a.severity] - RANK[b.severity]);
    const head = sorted[0];
    const evidence: Record<string, unknown> = { ...head.evidence };
    const alsoSeen: unknown[] = [];
    for (const other of sorted.slice(1)) {
      for (const [k, v] of Object.entries(other.evidence)) if (!(k in evidence)) evidence[k] = v;
      alsoSeen.push({ severity: other.severity, message: other.message, evidence: other.evidence });
    }
    evidence.alsoSeen = alsoSeen;
    out.set(code, {
      ...head,
      evidence,
      verification: head.verification ?? sorted.find((f) => f.verification)?.verification,
    });
    if (out.get(code)!.verification === undefined) delete out.get(code)!.verification;
  }
  return out;
}
