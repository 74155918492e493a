/** Ordering and summary: severity tiers, root cause before symptom, each code once, the not-learning fallback. */
import { describe, expect, it } from "vitest";
import { CATALOGUE, explainedBy, makeFinding, orderFindings, summarize } from "../../src/diagnose/mod.ts";
import { FINDING_CODES, type FindingCode, type Severity } from "../../src/report/types.ts";

function f(code: FindingCode, severity?: Severity, evidence: Record<string, unknown> = {}) {
  return makeFinding(code, { title: code, message: `${code} seen`, fix: "-", severity, evidence });
}

describe("catalogue", () => {
  it("covers every finding code and its cause graph is acyclic", () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual([...FINDING_CODES].sort());
    for (const code of FINDING_CODES) expect(explainedBy(code).has(code), code).toBe(false);
  });
});

describe("orderFindings", () => {
  it("puts errors before warnings before info", () => {
    const out = orderFindings([
      f("class-imbalance", "info"),
      f("overfitting", "warning"),
      f("repeated-batch", "error"),
    ]);
    expect(out.map((x) => x.code)).toEqual(["repeated-batch", "overfitting", "class-imbalance"]);
  });

  it("puts a root cause before the symptom it explains, within a tier", () => {
    const out = orderFindings([
      f("learning-rate-too-high"),
      f("non-finite-loss"),
      f("loss-reduction-sum", "error"),
    ]);
    expect(out.map((x) => x.code)).toEqual([
      "loss-reduction-sum",
      "learning-rate-too-high",
      "non-finite-loss",
    ]);
  });

  it("raises a warning-level cause of an error symptom, and says so", () => {
    const out = orderFindings([f("split-distribution-shift", "error"), f("unshuffled-data", "warning")]);
    expect(out.map((x) => [x.code, x.severity])).toEqual([["unshuffled-data", "error"], [
      "split-distribution-shift",
      "error",
    ]]);
    expect(out[0].evidence.severityRaised).toEqual({
      from: "warning",
      explains: ["split-distribution-shift"],
    });
    expect(summarize(out)).toEqual({ status: "errors", primary: "unshuffled-data" });
  });

  it("does not let a raised cause jump an independent original error", () => {
    const out = orderFindings([
      f("majority-class-collapse", "error"),
      f("class-imbalance", "warning"),
      f("learning-rate-too-high", "error"),
    ]);
    expect(out.map((x) => x.code)).toEqual([
      "learning-rate-too-high",
      "class-imbalance",
      "majority-class-collapse",
    ]);
  });

  it("a probe-backed underfitting explains the collapse it causes, and is raised to its severity", () => {
    const out = orderFindings([f("majority-class-collapse"), f("underfitting")]);
    expect(out.map((x) => [x.code, x.severity])).toEqual([
      ["underfitting", "error"],
      ["majority-class-collapse", "error"],
    ]);
  });

  it("never raises an info note", () => {
    const out = orderFindings([f("loss-reduction-sum", "info"), f("learning-rate-too-high", "error")]);
    expect(out.map((x) => [x.code, x.severity])).toEqual([["learning-rate-too-high", "error"], [
      "loss-reduction-sum",
      "info",
    ]]);
  });

  it("drops not-learning beside a cause that explains it (also through a chain)", () => {
    expect(orderFindings([f("not-learning"), f("double-softmax")]).map((x) => x.code)).toEqual([
      "double-softmax",
    ]);
    expect(orderFindings([f("not-learning"), f("class-imbalance")]).map((x) => x.code)).toEqual([
      "class-imbalance",
    ]);
    expect(orderFindings([f("not-learning"), f("overfitting")]).map((x) => x.code)).toEqual([
      "not-learning",
      "overfitting",
    ]);
  });

  it("keeps each code once, merging evidence from the repeats", () => {
    const out = orderFindings([
      f("class-imbalance", "warning", { counts: [90, 10] }),
      f("class-imbalance", "error", { ratio: 0.11 }),
      f("class-imbalance", "info", { ratio: 0.2, split: "validation" }),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0].severity).toBe("error");
    expect(out[0].evidence).toMatchObject({ ratio: 0.11, counts: [90, 10], split: "validation" });
    expect(out[0].evidence.alsoSeen).toHaveLength(2);
  });

  it("labels-not-class-indices comes before the loss-task mismatch it causes", () => {
    const out = orderFindings([f("loss-task-mismatch"), f("not-learning"), f("labels-not-class-indices")]);
    expect(out.map((x) => x.code)).toEqual(["labels-not-class-indices", "loss-task-mismatch"]);
  });
});

describe("summarize", () => {
  it("reports ok with no primary when nothing was found, warnings when only warnings", () => {
    expect(summarize([])).toEqual({ status: "ok", primary: null });
    expect(summarize([f("class-imbalance", "info")])).toEqual({ status: "ok", primary: "class-imbalance" });
    expect(summarize([f("overfitting", "warning")])).toEqual({ status: "warnings", primary: "overfitting" });
  });
});

describe("makeFinding", () => {
  it("keeps non-finite evidence readable in JSON and stores the remedy", () => {
    const x = makeFinding("non-finite-loss", {
      title: "t",
      message: "m",
      fix: "x",
      evidence: { loss: NaN, values: new Float64Array([1, Infinity]) },
      remedy: { kind: "scale-learning-rate", factor: 0.1 },
    });
    expect(JSON.parse(JSON.stringify(x)).evidence).toEqual({
      loss: "NaN",
      values: [1, "Infinity"],
      remedy: { kind: "scale-learning-rate", factor: 0.1 },
    });
    expect(x.severity).toBe("error");
  });
});
