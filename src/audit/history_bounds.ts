/**
 * What any predictions could produce: bounds that tie a logged loss to a logged accuracy of the same
 * split and epoch, and the ranges of losses and metrics, from the definitions in src/reference/
 * (losses.ts: Keras semantics, probabilities clipped to [ε, 1-ε] with ε = KERAS_EPSILON = 1e-7, mean
 * reduction; metrics.ts: argmax accuracy, binary accuracy at threshold 0.5). A logged pair outside a
 * bound cannot come from one set of predictions: the loss and the metric are not computed on the same
 * outputs and labels, or one of them is not what its name says.
 *
 * The bounds hold for Keras's training-split numbers too: those are means over the epoch's batches of
 * the per-batch loss and accuracy with the same batch weights, and each bound below is linear in the
 * per-row terms, so it holds for every batch and hence for their weighted mean. Regularisation
 * penalties only add to the loss, which can only move a pair away from a violation.
 *
 * @module
 */
import { KERAS_EPSILON } from "../reference/losses.ts";
import type { Finding } from "../report/types.ts";
import { fmt } from "./infer.ts";
import { finitePoints, type Series, type SplitSeries } from "./history_series.ts";

/** What the history-only audit knows about the run besides the log. */
export interface HistoryFacts {
  /** The loss family: declared (--loss), or read from the log's key names, or unknown. */
  lossKind: "crossentropy" | "mse" | "mae" | "unknown";
  /** True when the kind came from --loss (bounds that depend on it are then errors, else warnings). */
  lossDeclared: boolean;
  /** --classes, or 2 for --task binary; null when unknown. */
  classes: number | null;
  task: "binary" | "multiclass" | "multilabel" | "regression" | null;
  epochs: number[];
  /** The log has validation numbers. */
  hasValidation: boolean;
}

const LN2 = Math.LN2;

/**
 * Largest value a loss can have while being "0" as logged: Keras clips p to 1-ε, so a row whose
 * prediction is certain and right still costs -ln(1-ε) ≈ ε; a mean of such rows is ≈ ε.
 */
function zeroTolerance(s: Series): number {
  return Math.max(2 * s.precision, 1.5 * KERAS_EPSILON);
}

/**
 * The lower bound on argmax / 0.5-threshold accuracy that a mean loss `loss` allows, or null when the
 * loss family gives none.
 *
 * Proofs (N rows, a the accuracy, L the mean loss, ℓ_i ≥ 0 the row losses):
 * - Cross-entropy, argmax accuracy (categorical / sparse): a misclassified row has some k ≠ y with
 *   p_k ≥ p_y, and p_k + p_y ≤ 1, so p_y ≤ 1/2 and ℓ_i = -ln p_y ≥ ln 2. Hence L ≥ (1 - a)·ln 2, i.e.
 *   a ≥ 1 - L / ln 2. (A softmax-normalised row sums to 1; Keras's `fromLogits: false` divides by the
 *   sum first, so the same holds.)
 * - Binary cross-entropy with binary accuracy at 0.5: a misclassified cell has y = 1, p ≤ 1/2 (ℓ =
 *   -ln p ≥ ln 2) or y = 0, p > 1/2 (ℓ = -ln(1-p) > ln 2); the mean over cells gives the same bound.
 * - MSE on one-hot rows of K columns with argmax accuracy: a misclassified row has o_k ≥ o_y for some
 *   k ≠ y, and (1 - o_y)² + o_k² ≥ (1 - o_y)² + o_y² ≥ 1/2 (minimum at o_y = 1/2), so ℓ_i ≥ 1/(2K) and
 *   a ≥ 1 - 2K·L. One unit at threshold 0.5: |y - o| ≥ 1/2, ℓ_i ≥ 1/4, a ≥ 1 - 4L (the K = 2 value).
 * - MAE likewise: |1 - o_y| + |o_k| ≥ 1 with o_k ≥ o_y, so ℓ_i ≥ 1/K and a ≥ 1 - K·L (one unit: 1 - 2L).
 * - Any loss that is 0 only for perfect predictions: L = 0 forces a = 1 (the case that needs no family).
 */
export function accuracyFloor(loss: number, facts: HistoryFacts): number | null {
  switch (facts.lossKind) {
    case "crossentropy":
      return 1 - loss / LN2;
    case "mse":
      return facts.classes === null ? null : 1 - 2 * Math.max(2, facts.classes) * loss;
    case "mae":
      return facts.classes === null ? null : 1 - Math.max(2, facts.classes) * loss;
    default:
      return null;
  }
}

/**
 * The lowest loss categorical cross-entropy can reach when the outputs are already a softmax and the
 * loss applies softmax again (`fromLogits: true` on probabilities, or `nn.Softmax` before PyTorch's
 * `CrossEntropyLoss`): with p on the simplex, ℓ = -p_y + ln Σ_k e^{p_k}; moving mass from any k to y
 * changes ℓ by -(1 - q_y) - q_k < 0 (q = softmax(p)), so the minimum is at p = e_y:
 * ℓ_min = ln(e + K - 1) - 1 = ln(1 + (K - 1)/e). K = 2: 0.3133; K = 3: 0.5514; K = 10: 1.4619.
 */
export function doubleSoftmaxFloor(classes: number): number {
  return Math.log(1 + (classes - 1) / Math.E);
}

/** Binary entropy H(q) = -q ln q - (1-q) ln(1-q): the cross-entropy of always predicting the prior q. */
export function binaryEntropy(q: number): number {
  if (q <= 0 || q >= 1) return 0;
  return -q * Math.log(q) - (1 - q) * Math.log(1 - q);
}

/** Findings from the bounds of one split. */
export function boundFindings(s: SplitSeries, facts: HistoryFacts): Finding[] {
  const out: Finding[] = [];
  const name = s.split === "train" ? "training" : "validation";
  const loss = s.loss;
  // Metric ranges: every bounded metric is a fraction in [0, 1].
  for (const m of [...s.accuracies, ...s.bounded]) {
    const bad = finitePoints(m.values).find((p) => p.value < -m.precision || p.value > 1 + m.precision);
    if (bad) {
      out.push({
        code: "metric-mismatch",
        severity: "error",
        title: `${m.key} = ${fmt(bad.value)} at epoch ${facts.epochs[bad.row]}: outside [0, 1]`,
        message:
          `${m.key} is a fraction of rows (or of cells, or an area under a curve): no predictions give ${
            fmt(bad.value)
          }. It is not the metric its name says (a sum over rows instead of a mean, a count, a value in the wrong units).`,
        evidence: { key: m.key, epoch: facts.epochs[bad.row], value: bad.value },
        fix: "Compute the metric as a mean over rows (a fraction), or use the framework's built-in metric.",
      });
    }
  }
  if (!loss) return out;
  const negative = finitePoints(loss.values).find((p) => p.value < -2 * loss.precision - 1e-12);
  if (negative) {
    const ce = facts.lossKind === "crossentropy" || (facts.lossKind === "unknown" && s.accuracies.length > 0);
    out.push(
      ce
        ? {
          code: "labels-not-class-indices",
          severity: facts.lossKind === "crossentropy" ? "error" : "warning",
          title: `The ${name} loss is negative (${fmt(negative.value)} at epoch ${
            facts.epochs[negative.row]
          })`,
          message:
            `A cross-entropy is a sum of -y·ln p terms with p ≤ 1, never below 0 for targets in [0, 1]${
              facts.lossKind === "crossentropy"
                ? ""
                : " (assuming the loss is a cross-entropy, as the accuracy metric suggests)"
            }. A negative value means targets outside [0, 1]: class labels 1..C or -1/1 fed to binary cross-entropy, or scaled/standardized labels.`,
          evidence: { key: loss.key, epoch: facts.epochs[negative.row], loss: negative.value },
          fix:
            "Encode the targets as 0/1 (binary) or as class indices 0..C-1 / one-hot rows; never scale or standardize them.",
        }
        : {
          code: "loss-mismatch",
          severity: facts.lossKind === "unknown" ? "warning" : "error",
          title: `The ${name} loss is negative (${fmt(negative.value)} at epoch ${
            facts.epochs[negative.row]
          })`,
          message: `${
            facts.lossKind === "unknown"
              ? "A squared, absolute or cross-entropy loss"
              : `A ${facts.lossKind} loss`
          } is a mean of non-negative terms; a negative logged value is not that loss (a sign flipped, a reward, or a likelihood term added).`,
          evidence: { key: loss.key, epoch: facts.epochs[negative.row], loss: negative.value },
          fix: "Log the loss the optimizer minimises, as a mean of the per-row losses.",
        },
    );
  }
  for (const acc of s.accuracies) out.push(...pairFindings(loss, acc, facts, name));
  return out;
}

/** The loss/accuracy pair of one split, epoch by epoch. */
function pairFindings(loss: Series, acc: Series, facts: HistoryFacts, name: string): Finding[] {
  const rows: { row: number; loss: number; acc: number }[] = [];
  loss.values.forEach((l, row) => {
    const a = acc.values[row];
    if (l !== null && a !== null && Number.isFinite(l) && Number.isFinite(a)) {
      rows.push({ row, loss: l, acc: a });
    }
  });
  if (rows.length === 0) return [];
  const epoch = (r: number) => facts.epochs[r];
  // Loss 0 (as logged) with accuracy below 1: no loss that vanishes only on perfect predictions allows it.
  const isZero = (l: number) => Math.abs(l) <= zeroTolerance(loss);
  const zero = rows.filter((r) => isZero(r.loss) && r.acc < 1 - 2 * acc.precision - 1e-6);
  if (zero.length > 0) {
    const allZero = rows.length >= 3 && rows.every((r) => isZero(r.loss));
    const accs = rows.map((r) => r.acc);
    const frozen = Math.max(...accs) - Math.min(...accs) <= 2 * acc.precision + 1e-9;
    const first = zero[0];
    const evidence = {
      lossKey: loss.key,
      accuracyKey: acc.key,
      epochs: zero.map((r) => epoch(r.row)),
      loss: first.loss,
      accuracy: first.acc,
      bound: "loss = 0 requires accuracy = 1",
    };
    if (allZero && frozen && facts.task !== "regression") {
      return [{
        code: "single-unit-softmax",
        severity: facts.lossKind === "crossentropy" || facts.lossKind === "unknown" ? "error" : "warning",
        title: `The ${name} loss is 0 at every epoch while ${acc.key} stays at ${fmt(first.acc)}`,
        message: `A loss of ${
          fmt(first.loss)
        } means every prediction is certain and right, which forces accuracy 1; yet ${acc.key} = ${
          fmt(first.acc)
        } for all ${rows.length} epochs. This is the signature of categorical cross-entropy over one output unit: softmax over one unit is always 1, so -y·ln(1) = 0 for every row whatever the weights, nothing is learned, and the accuracy (a 0.5 threshold on that constant 1) is the share of positive rows. Categorical cross-entropy with targets that are all zero (not one-hot) gives the same 0.`,
        evidence,
        fix:
          "For two classes use one sigmoid unit with binary-crossentropy (or two softmax units with one-hot targets and categorical-crossentropy); for C classes use C softmax units.",
      }];
    }
    return [{
      code: "loss-mismatch",
      severity: "error",
      title: `The ${name} loss is 0 at epoch ${epoch(first.row)} but ${acc.key} is ${fmt(first.acc)}`,
      message:
        `A loss of 0 (to the logged precision) means every prediction is certain and right, so the accuracy on the same rows must be 1; ${acc.key} = ${
          fmt(first.acc)
        } is impossible with it. The loss is not computed on the outputs and labels the accuracy sees (a loss on the wrong tensors, a single-unit softmax, targets that are not one-hot).`,
      evidence,
      fix: "Check that the loss and the metric receive the same model outputs and the same labels.",
    }];
  }
  const violations = rows
    .map((r) => ({ ...r, floor: accuracyFloor(r.loss, facts) }))
    .filter((r) =>
      r.floor !== null &&
      // Slack: the written precision of both numbers, plus 0.01 for sample/class weights (which weigh
      // the loss by w/N but the accuracy by w/Σw) and label smoothing.
      r.acc < r.floor - (acc.precision + 2 * loss.precision + 0.01)
    );
  if (violations.length === 0) return [];
  const v = violations[0];
  const how = facts.lossKind === "crossentropy"
    ? "a misclassified row puts at most 1/2 on its true class, so its cross-entropy is at least ln 2, and accuracy ≥ 1 - loss/ln 2"
    : facts.lossKind === "mse"
    ? `a misclassified one-hot row has squared error at least 1/(2K) with K = ${facts.classes}, so accuracy ≥ 1 - 2K·loss`
    : `a misclassified one-hot row has absolute error at least 1/K with K = ${facts.classes}, so accuracy ≥ 1 - K·loss`;
  return [{
    code: "metric-mismatch",
    severity: facts.lossDeclared ? "error" : "warning",
    title: `${acc.key} = ${fmt(v.acc)} is below what a ${name} loss of ${fmt(v.loss)} allows (≥ ${
      fmt(Math.max(0, v.floor!))
    })`,
    message: `With ${
      facts.lossDeclared ? "the declared" : "a"
    } ${facts.lossKind} loss, ${how}. At ${violations.length} of ${rows.length} epochs (first: epoch ${
      epoch(v.row)
    }) the logged accuracy is lower than any predictions with that loss could give${
      facts.lossDeclared ? "" : " (if the loss is indeed a " + facts.lossKind + ")"
    }: the accuracy is not computed on the outputs and labels the loss sees (an exact-match accuracy on continuous outputs, a threshold applied to logits, labels in another encoding), or the loss is not the mean over the same rows.`,
    evidence: {
      lossKey: loss.key,
      accuracyKey: acc.key,
      epoch: epoch(v.row),
      loss: v.loss,
      accuracy: v.acc,
      accuracyFloor: v.floor,
      violatingEpochs: violations.map((r) => epoch(r.row)),
    },
    fix:
      "Log a built-in accuracy that matches the loss (binary accuracy for a sigmoid output, categorical/sparse for softmax) and check that both see the same labels.",
  }];
}
