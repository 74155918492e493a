/**
 * Metric forensics: each number logged at the chosen epoch and split, against every candidate
 * definition recomputed from the predictions, with a tolerance derived from how the number was
 * produced and written.
 *
 * Tolerance of one comparison (all terms added):
 * - Written precision of the log: half a unit of the coarsest decimal place that reproduces every
 *   value in the history file (0 for machine-written logs: CSVLogger and JSON carry full repr).
 * - float32 arithmetic of the producing framework: |v|·(N/8 + 2·log2 N + 16)·2^-24 + 16·2^-24. Per-element ops
 *   cost a few ulps; a tree reduction (TF) about log2 N; tfjs and Keras then average the batch
 *   results in float32, one rounding per batch: N/8 batches bounds that for batches of ≥ 8 rows.
 *   The absolute 16·2^-24 is for values near 0: rounding an output near 1 to float32 moves -log p
 *   by up to 2^-24 whatever the size of the loss, and the division by the row sum, the clip and
 *   the log each add such a step.
 * - Written precision of the predictions, propagated: |f(P ± δ) - f(P)| for δ half a unit of
 *   their last decimal (0 for .npy and full-precision CSV). A first-order estimate: it catches
 *   thresholds crossed and log terms moved by the rounding, not argmax ties within 2δ.
 * - Training split only: the logged value is a running mean over the epoch while the weights move
 *   (and with dropout on), so it cannot equal the end-of-epoch predictions' value; the change of the
 *   logged value from the neighbouring epoch bounds that drift to first order and is added.
 *
 * @module
 */
import type { Matrix } from "../reference/matrix.ts";
import { type Candidate, type Verdict } from "./candidates.ts";
import type { History } from "./inputs.ts";
import { writtenPrecision } from "./inputs.ts";
import { classifyKey, type KeyInfo } from "./names.ts";

/** One candidate's value against one logged number. */
export interface CandidateCheck {
  id: string;
  description: string;
  verdict: Verdict;
  problem?: string;
  variant?: Candidate["variant"];
  value: number;
  absError: number;
  matches: boolean;
}

/** The verdict on one logged number. */
export interface QuantityCheck {
  key: string;
  /** "validation.accuracy" */
  quantity: string;
  info: KeyInfo;
  epoch: number;
  logged: number | null;
  tolerance: number;
  /**
   * `ok`: a correct definition reproduces it. `wrong-definition`: only definitions that name a
   * mistake do. `unreproduced`: none does. `unrecognised`: no family to recompute. `not-finite`.
   */
  status: "ok" | "wrong-definition" | "unreproduced" | "unrecognised" | "not-finite";
  /** The definition shown as the reference: the matching one nearest the logged value, else the nearest correct one. */
  best: CandidateCheck | null;
  candidates: CandidateCheck[];
}

/** Options of {@linkcode runForensics}. */
export interface ForensicsOptions {
  split: "train" | "validation";
  /** Row index in the history. */
  row: number;
  predictionPrecision: number;
  /** Candidate values by id, shared between calls on the same predictions (other epochs). */
  cache?: Map<string, { value: number; input: number }>;
}

const U = 2 ** -24;

/** Checks every key of the split at one history row. */
export function runForensics(
  history: History,
  candidates: Candidate[],
  raw: Matrix,
  options: ForensicsOptions,
): QuantityCheck[] {
  const logPrecision = writtenPrecision(
    Float64Array.from(
      Object.values(history.values).flat().filter((v): v is number => v !== null && Number.isFinite(v)),
    ),
  );
  const cache = options.cache ?? new Map<string, { value: number; input: number }>();
  const evaluate = (c: Candidate) => {
    let hit = cache.get(c.id);
    if (!hit) {
      const value = c.compute(raw);
      let input = 0;
      if (options.predictionPrecision > 0) {
        const d = options.predictionPrecision;
        for (const s of [d, -d]) {
          const shifted = { ...raw, data: raw.data.map((v) => v + s) };
          const v = c.compute(shifted);
          if (Number.isFinite(v)) input = Math.max(input, Math.abs(v - value));
        }
      }
      hit = { value, input };
      cache.set(c.id, hit);
    }
    return hit;
  };
  const out: QuantityCheck[] = [];
  for (const key of history.keys) {
    const info = classifyKey(key);
    if (info.split !== options.split || info.bookkeeping) continue;
    const logged = history.values[key][options.row];
    const epoch = history.epochs[options.row];
    const quantity = `${info.split}.${info.base}`;
    const base = { key, quantity, info, epoch, logged };
    if (info.family === null) {
      out.push({ ...base, tolerance: 0, status: "unrecognised", best: null, candidates: [] });
      continue;
    }
    if (logged === null || !Number.isFinite(logged)) {
      out.push({ ...base, tolerance: 0, status: "not-finite", best: null, candidates: [] });
      continue;
    }
    const pool = candidates.filter((c) => c.family === info.family && fitsTags(c, info.tags));
    const shared = logPrecision + Math.abs(logged) * (raw.rows / 8 + 2 * Math.log2(raw.rows) + 16) * U +
      (options.split === "train" ? drift(history.values[key], options.row) : 0) + 16 * U;
    const checks = pool.map((c): CandidateCheck => {
      const { value, input } = evaluate(c);
      const absError = Math.abs(value - logged);
      return {
        id: c.id,
        description: c.description,
        verdict: c.verdict,
        problem: c.problem,
        variant: c.variant,
        value,
        absError,
        matches: Number.isFinite(value) && absError <= shared + input,
      };
    });
    const byError = (a: CandidateCheck, b: CandidateCheck) => a.absError - b.absError;
    const correctMatch = checks.filter((c) => c.matches && c.verdict === "correct").sort(byError)[0];
    const wrongMatch = checks.filter((c) => c.matches && c.verdict !== "correct").sort(byError)[0];
    const nearestCorrect = checks.filter((c) =>
      c.verdict === "correct" && Number.isFinite(c.value)
    ).sort(byError)[0];
    const status = correctMatch ? "ok" : wrongMatch ? "wrong-definition" : "unreproduced";
    out.push({
      ...base,
      tolerance: shared,
      status,
      best: correctMatch ?? wrongMatch ?? nearestCorrect ?? null,
      candidates: checks,
    });
  }
  return out;
}

function fitsTags(c: Candidate, tags: string[]): boolean {
  for (const t of tags) {
    if (t.startsWith("k=")) {
      if (c.id !== `top-${t.slice(2)}-accuracy`) return false;
    } else if (!c.tags.includes(t)) return false;
  }
  return true;
}

function drift(values: (number | null)[], row: number): number {
  const here = values[row];
  const other = row > 0 ? values[row - 1] : values[row + 1];
  // One epoch only: nothing bounds the drift, so allow the value's own size (the check is then weak).
  if (here === null) return 0;
  if (other === null || other === undefined || !Number.isFinite(other)) return Math.abs(here);
  return Math.abs(here - other);
}
