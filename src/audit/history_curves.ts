/**
 * The curves of a training log: where the loss stops being finite, diverges or oscillates, never
 * moves, where validation turns away from training, and a metric frozen to every logged digit while
 * the loss moves. Each reading states what the numbers alone cannot decide.
 *
 * @module
 */
import type { Finding } from "../report/types.ts";
import type { History } from "../history/types.ts";
import { binaryEntropy, type HistoryFacts } from "./history_bounds.ts";
import { finitePoints, type SplitSeries } from "./history_series.ts";
import { fmt } from "./infer.ts";

/** NaN/Inf onset in the per-epoch losses and the per-step loss series. */
export function nonFiniteFindings(history: History, splits: SplitSeries[], facts: HistoryFacts): Finding[] {
  const out: Finding[] = [];
  for (const s of splits) {
    const loss = s.loss;
    if (!loss) continue;
    const row = loss.values.findIndex((v) => v !== null && !Number.isFinite(v));
    if (row < 0) continue;
    const before = finitePoints(loss.values.slice(0, row));
    // The same quantity per step: Lightning's train_loss_step beside train_loss_epoch, or the key itself.
    const stem = (k: string) => k.replace(/_(step|epoch)$/, "");
    const stepKey = Object.keys(history.steps ?? {}).find((k) => stem(k) === stem(loss.key));
    const steps = stepKey ? history.steps![stepKey] : null;
    const stepIndex = steps ? steps.values.findIndex((v) => v === null || !Number.isFinite(v)) : -1;
    const grew = before.length >= 2 &&
      before[before.length - 1].value > 2 * Math.min(...before.map((p) => p.value));
    out.push({
      code: "non-finite-loss",
      severity: "error",
      title: `The ${s.split === "train" ? "training" : "validation"} loss is ${loss.values[row]} from epoch ${
        facts.epochs[row]
      }`,
      message: `${loss.key} becomes ${loss.values[row]} at epoch ${facts.epochs[row]}${
        stepIndex >= 0 ? ` (first at step ${steps!.steps[stepIndex]})` : ""
      }${
        before.length > 0
          ? ` after ${fmt(before[before.length - 1].value)} at epoch ${
            facts.epochs[before[before.length - 1].row]
          }`
          : ", from the first epoch"
      }. Once a weight is NaN every later output is too, so nothing after this point is learned.${
        grew ? " The loss grew before it broke: the updates were too large." : ""
      } Without the weights, which layer broke first cannot be told from the log.`,
      evidence: {
        key: loss.key,
        epoch: facts.epochs[row],
        ...(stepIndex >= 0 ? { step: steps!.steps[stepIndex] } : {}),
        lastFinite: before.length > 0 ? before[before.length - 1].value : null,
      },
      fix: before.length === 0
        ? "Check the data for NaN/Inf and the labels' range; lower the learning rate and clip gradients."
        : "Lower the learning rate (10x), clip gradients (clipnorm=1.0), and check the inputs for NaN/Inf or huge values.",
    });
    if (grew && s.split === "train") {
      out.push({
        code: "learning-rate-too-high",
        severity: "warning",
        title: "The training loss grew before it became non-finite",
        message: `${loss.key} rose from ${fmt(Math.min(...before.map((p) => p.value)))} to ${
          fmt(before[before.length - 1].value)
        } and then broke: the classic course of updates too large for the loss surface.`,
        evidence: { key: loss.key, rising: before.map((p) => p.value) },
        fix: "Lower the learning rate by 10x, or add gradient clipping.",
      });
    }
  }
  return out;
}

/** Divergence and oscillation of the training loss. */
export function divergenceFindings(s: SplitSeries, facts: HistoryFacts): Finding[] {
  const loss = s.loss;
  if (!loss || s.split !== "train") return [];
  const pts = finitePoints(loss.values);
  if (pts.length < 4 || pts.length < loss.values.filter((v) => v !== null).length) return [];
  const vals = pts.map((p) => p.value);
  const minIdx = vals.indexOf(Math.min(...vals));
  const last = vals[vals.length - 1], first = vals[0], min = vals[minIdx];
  const noise = 2 * loss.precision;
  // Divergence: after its minimum the loss climbs past twice that minimum and past where it started.
  if (minIdx < vals.length - 2 && last > 2 * min + noise && last > first + noise && min >= 0) {
    return [{
      code: "learning-rate-too-high",
      severity: "warning",
      title: `The training loss diverges: ${fmt(min)} at epoch ${facts.epochs[pts[minIdx].row]}, ${
        fmt(last)
      } at the end`,
      message: `${loss.key} fell to ${fmt(min)} and then climbed to ${fmt(last)}, above its first value ${
        fmt(first)
      }. A training loss that rises for several epochs while the data does not change means steps too large for the curvature the model has reached.`,
      evidence: { key: loss.key, min, minEpoch: facts.epochs[pts[minIdx].row], last, first },
      fix: "Lower the learning rate (or add a decay schedule) and clip gradients.",
    }];
  }
  // Oscillation: most epoch-to-epoch moves change direction with large amplitude and no net progress.
  if (vals.length >= 6) {
    let flips = 0, big = 0;
    for (let i = 1; i < vals.length; i++) {
      const d = vals[i] - vals[i - 1];
      if (Math.abs(d) > 0.1 * Math.abs(vals[i - 1]) + noise) big++;
      if (i >= 2 && Math.sign(d) !== 0 && Math.sign(d) === -Math.sign(vals[i - 1] - vals[i - 2])) flips++;
    }
    if (flips >= 0.6 * (vals.length - 2) && big >= 0.6 * (vals.length - 1) && last > 0.8 * first) {
      return [{
        code: "learning-rate-too-high",
        severity: "warning",
        title: "The training loss oscillates without settling",
        message: `${loss.key} changes direction in ${flips} of ${
          vals.length - 2
        } epochs, by more than 10% each time, and ends at ${fmt(last)} against ${fmt(first)} at the start.`,
        evidence: { key: loss.key, values: vals },
        fix: "Lower the learning rate; with SGD, lower it or the momentum.",
      }];
    }
  }
  return [];
}

/** The length of the final stretch of values equal to the last one (to the written precision). */
function frozenTail(values: number[], precision: number): number {
  const last = values[values.length - 1];
  let n = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    if (Math.abs(values[i] - last) <= 2 * precision + Math.abs(last) * 64 * 2 ** -24) n++;
    else break;
  }
  return n;
}

/**
 * An accuracy frozen while the loss moves; a loss that never moves; perfect training numbers from the
 * first epoch. `facts.classes` sharpens chance and prior.
 */
export function plateauFindings(s: SplitSeries, facts: HistoryFacts): Finding[] {
  const out: Finding[] = [];
  const loss = s.loss;
  const name = s.split === "train" ? "training" : "validation";
  const lossPts = loss ? finitePoints(loss.values) : [];
  const lossMoves = (from: number): boolean => {
    const vs = lossPts.filter((p) => p.row >= from).map((p) => p.value);
    if (vs.length < 2 || !loss) return false;
    const hi = Math.max(...vs), lo = Math.min(...vs);
    return hi - lo > Math.max(1e-3 * Math.abs(hi), 2 * loss.precision);
  };
  for (const acc of s.accuracies) {
    const pts = finitePoints(acc.values);
    const vals = pts.map((p) => p.value);
    // An accuracy that stays at (nearly) 0 while the loss is low: no classifier that learns anything
    // scores below chance at every epoch with a small loss; exact-match accuracy on continuous outputs does.
    // Below chance only: with 1000 classes an accuracy of 0.001 is a guess, not a wrong metric. So the
    // loss must be low (a classifier that bad has a loss near ln C), or beyond any cross-entropy over
    // 20,000 classes (ln 20000 ≈ 9.9: a squared error on unscaled targets), or --classes says so.
    const lastLoss = lossPts.length > 0 ? lossPts[lossPts.length - 1].value : null;
    const belowChance = lastLoss !== null &&
      (lastLoss < 0.1 || Math.max(...lossPts.map((p) => p.value)) > 10 ||
        (facts.classes !== null && Math.max(...vals) < 0.2 / facts.classes));
    if (pts.length >= 3 && Math.max(...vals) <= 0.02 + acc.precision && belowChance && loss) {
      out.push({
        code: "accuracy-semantics-mismatch",
        severity: "error",
        title: `${acc.key} stays near 0 (at most ${fmt(Math.max(...vals))}) while the ${name} loss is ${
          fmt(lossPts[lossPts.length - 1].value)
        }`,
        message:
          `An accuracy of about 0 at every epoch, with the loss low or falling, is not a classifier failing: even a constant guess scores a class's share. It is what an exact-match accuracy gives on continuous outputs: a regression target (or scaled labels) measured with "accuracy".`,
        evidence: {
          key: acc.key,
          max: Math.max(...vals),
          lossKey: loss.key,
          lossEnd: lossPts[lossPts.length - 1].value,
        },
        fix:
          "For regression, log mae/mse/r2 instead of accuracy; for classification, use class-index or one-hot targets with a matching accuracy.",
      });
      continue;
    }
    if (pts.length < 4) continue;
    const tail = frozenTail(vals, acc.precision);
    if (tail < 4 || tail < vals.length / 2) continue;
    const q = vals[vals.length - 1];
    const from = pts[vals.length - tail].row;
    const tailLoss = lossPts.filter((p) => p.row >= from).map((p) => p.value);
    const evidence = {
      key: acc.key,
      value: q,
      epochs: tail,
      fromEpoch: facts.epochs[from],
      ...(loss && tailLoss.length > 0
        ? { lossKey: loss.key, lossRange: [Math.min(...tailLoss), Math.max(...tailLoss)] }
        : {}),
    };
    if (!lossMoves(from)) continue; // loss frozen too: not-learning below reads it
    const lossEnd = tailLoss[tailLoss.length - 1];
    const chance = facts.classes ? 1 / facts.classes : null;
    if (q <= acc.precision + 1e-9) {
      out.push({
        code: "accuracy-semantics-mismatch",
        severity: "error",
        title: `${acc.key} is 0 for ${tail} epochs while the loss falls`,
        message:
          `No classifier that learns anything scores exactly 0 epoch after epoch while its loss improves (${
            fmt(Math.max(...tailLoss))
          } → ${
            fmt(lossEnd)
          }). An accuracy of exactly 0 is what an exact-match accuracy gives on continuous outputs: a regression target (or scaled labels) measured with "accuracy".`,
        evidence,
        fix:
          "For regression, log mae/mse/r2 instead of accuracy; for classification, use class-index or one-hot targets with a matching accuracy.",
      });
      continue;
    }
    if (q >= 1 - acc.precision - 1e-9) {
      if (Math.max(...tailLoss) >= 0.5) {
        out.push({
          code: "metric-insensitive",
          severity: "error",
          title: `${acc.key} is 1 at every epoch while the loss is as high as ${fmt(Math.max(...tailLoss))}`,
          message: `A perfect accuracy from epoch ${
            facts.epochs[from]
          } on, while the loss starts near what an untrained model gives and moves, means the metric does not look at the predictions: it is hard-coded, compares labels with themselves, or returns a constant.`,
          evidence,
          fix:
            "Check the metric function: it must compute from y_true and y_pred; log a built-in accuracy next to it to compare.",
        });
      }
      continue;
    }
    // A constant predictor that outputs the prior q (binary) has cross-entropy H(q); a collapsed model
    // sits near it. A loss well below H(q) means the outputs carry information the accuracy never shows.
    const prior = binaryEntropy(q);
    // How far the loss moves while the accuracy is frozen: at convergence an accuracy settles while the
    // loss creeps down by a few percent, which is healthy; a collapse or a dead metric moves it more.
    const relMove = (Math.max(...tailLoss) - Math.min(...tailLoss)) / Math.max(...tailLoss.map(Math.abs));
    // Cross-entropy of always predicting the class shares, when the majority share is q: at least H(q)
    // (the other classes in one) and at most H(q) + (1 - q)·ln(C - 1) (spread evenly over C - 1).
    const spread = (1 - q) * Math.log(Math.max(2, facts.classes ?? 2) - 1);
    const nearPrior = lossEnd >= 0.9 * prior &&
      lossEnd <= 1.3 * (prior + spread) + 2 * (loss?.precision ?? 0);
    const collapse = (chance === null || q >= chance - acc.precision) && relMove >= 0.05 &&
      (facts.lossKind !== "crossentropy" || nearPrior);
    if (!collapse && relMove < 0.25) continue;
    if (collapse) {
      out.push({
        code: "majority-class-collapse",
        severity: "warning",
        title: `${acc.key} is frozen at ${fmt(q)} for ${tail} epochs: the model likely predicts one class`,
        message: `${acc.key} = ${fmt(q)} at every epoch from ${
          facts.epochs[from]
        } on, to every logged digit, while the ${name} loss moves (${fmt(Math.max(...tailLoss))} → ${
          fmt(lossEnd)
        }). An accuracy that never changes by a single row is what predicting one class for every row gives: it equals that class's share of the rows${
          facts.lossKind === "crossentropy"
            ? ` (the cross-entropy of always predicting the share ${fmt(q)} is ${fmt(prior)})`
            : ""
        }. Without predictions this cannot be confirmed, and the share of each class is not in the log.`,
        evidence: { ...evidence, priorCrossEntropy: prior },
        fix:
          "Check the class balance (class_weight or resampling), the learning rate, and that the features are scaled; confirm with audit --labels --predictions.",
      });
    } else {
      out.push({
        code: "metric-insensitive",
        severity: "error",
        title: `${acc.key} never changes (${fmt(q)} for ${tail} epochs) while the loss moves`,
        message: `${acc.key} stays at ${fmt(q)} from epoch ${facts.epochs[from]} to the end while ${
          loss!.key
        } goes from ${fmt(Math.max(...tailLoss))} to ${fmt(lossEnd)}${
          facts.lossKind === "crossentropy"
            ? `, below ${fmt(prior)}, what always predicting a share of ${fmt(q)} costs`
            : ""
        }. The outputs change but the metric does not respond: it is hard-coded, computed on something other than the outputs, or returns a constant.`,
        evidence,
        fix:
          "Check the metric function: it must compute from y_true and y_pred (no constants, no captured tensors); log a built-in metric next to it to compare.",
      });
    }
  }
  // A loss that never moves at all, or one that only jitters around ln k, a uniform guess over k
  // classes (k from --classes, else the nearest integer), for the whole run.
  const chanceK = (v: number) => facts.classes ?? Math.round(Math.exp(v));
  const jittersAtChance = lossPts.length >= 5 && lossPts.every((p) => {
    const k = chanceK(lossPts[lossPts.length - 1].value);
    return k >= 2 && Math.abs(p.value - Math.log(k)) <= 0.02 * Math.log(k);
  });
  if (loss && s.split === "train" && lossPts.length >= 5 && (!lossMoves(0) || jittersAtChance)) {
    const v = lossPts[lossPts.length - 1].value;
    const k = chanceK(v);
    const atChance = k >= 2 && Math.abs(v - Math.log(k)) <= 0.02 * Math.log(k);
    out.push({
      code: "not-learning",
      severity: "warning",
      title: `The training loss does not move (${fmt(v)} for ${lossPts.length} epochs)`,
      message: `${loss.key} stays within ${fmt(Math.max(1e-3 * Math.abs(v), 2 * loss.precision))} of ${
        fmt(v)
      }${
        atChance ? `, which is ln ${k}: the cross-entropy of a uniform guess over ${k} classes` : ""
      }. Nothing is learned: the gradients are zero or the updates do not reach the weights (a frozen model, a learning rate of 0, dead units, a loss detached from the outputs). Which of these needs the model or a run.`,
      evidence: {
        key: loss.key,
        value: v,
        epochs: lossPts.length,
        ...(atChance ? { chanceClasses: k } : {}),
      },
      fix:
        "Check that the optimizer gets the model's parameters and a non-zero learning rate, that the loss is computed from the outputs, and that the inputs are scaled.",
    });
  }
  // Perfect training numbers for (nearly) the whole run, and no validation numbers to compare.
  const acc = s.accuracies[0];
  if (s.split === "train" && acc && loss && !facts.hasValidation) {
    const a = finitePoints(acc.values), l = lossPts;
    const perfect = a.filter((p) => p.value >= 1 - acc.precision - 1e-9).length;
    if (
      a.length >= 5 && perfect >= 0.75 * a.length && a[a.length - 1].value >= 1 - acc.precision - 1e-9 &&
      l.length > 0 && l[l.length - 1].value < 0.01
    ) {
      out.push({
        code: "repeated-batch",
        severity: "warning",
        title:
          `Perfect training loss and accuracy in ${perfect} of ${a.length} epochs, and no validation numbers`,
        message: `${loss.key} ends at ${
          fmt(l[l.length - 1].value)
        } with ${acc.key} = 1 in ${perfect} of ${a.length} epochs. A perfect fit this early is what a loop gives when it trains on the same few rows at every step (the same batch over and over), or a training set so small it is memorised, or a feature that gives the label away. The log alone cannot tell these apart; validation numbers on held-out rows would.`,
        evidence: { lossKey: loss.key, accuracyKey: acc.key, perfectEpochs: perfect, epochs: a.length },
        fix:
          "Iterate over the whole dataset in shuffled batches (a fresh batch each step), and log validation loss and accuracy on held-out rows.",
      });
    }
  }
  return out;
}

/** Overfitting onset, and validation better than training all along. */
export function generalisationFindings(train: SplitSeries, val: SplitSeries, facts: HistoryFacts): Finding[] {
  const out: Finding[] = [];
  const tl = train.loss, vl = val.loss;
  if (vl) {
    const pts = finitePoints(vl.values);
    if (pts.length >= 6) {
      const vals = pts.map((p) => p.value);
      const minIdx = vals.indexOf(Math.min(...vals));
      const min = vals[minIdx], last = vals[vals.length - 1];
      const trainAt = (row: number) => (tl ? tl.values[row] : null);
      const tMin = trainAt(pts[minIdx].row), tLast = trainAt(pts[pts.length - 1].row);
      const trainFalls = tMin !== null && tLast !== null && Number.isFinite(tMin) && Number.isFinite(tLast) &&
        tLast < tMin;
      // Or: the validation loss turned up (5%) while the accuracy gap opened by 0.1 to at least 0.15.
      const ta = train.accuracies[0], va = val.accuracies[0];
      const gapAt = (row: number) => {
        const t = ta?.values[row], v = va?.values[row];
        return t === null || v === null || t === undefined || v === undefined ? null : t - v;
      };
      const gapEnd = gapAt(pts[pts.length - 1].row), gapStart = gapAt(pts[0].row);
      const gapOpens = gapEnd !== null && gapStart !== null && gapEnd >= 0.15 && gapEnd - gapStart >= 0.1 &&
        last > 1.05 * min + 2 * vl.precision;
      if (minIdx <= vals.length - 3 && (last > 1.25 * min + 2 * vl.precision || gapOpens) && trainFalls) {
        out.push({
          code: "overfitting",
          severity: "warning",
          title: `Validation loss turns up from epoch ${
            facts.epochs[pts[minIdx].row]
          } while the training loss keeps falling`,
          message: `${vl.key} reached ${fmt(min)} at epoch ${facts.epochs[pts[minIdx].row]} and ends at ${
            fmt(last)
          } (+${Math.round((last / min - 1) * 100)}%), while ${tl!.key} went on from ${fmt(tMin!)} to ${
            fmt(tLast!)
          }: from that epoch on the model fits the training rows at the expense of new ones.`,
          evidence: {
            key: vl.key,
            bestEpoch: facts.epochs[pts[minIdx].row],
            best: min,
            last,
            trainAtBest: tMin,
            trainLast: tLast,
          },
          fix:
            "Stop at the best epoch (EarlyStopping(monitor='val_loss', restore_best_weights=True)), add regularisation (dropout, L2) or more data.",
        });
      }
    }
  }
  // No validation loss, or one that did not turn up: a training accuracy near perfect far above the
  // validation accuracy at the end is overfitting all the same.
  const ta = train.accuracies[0], va = val.accuracies[0];
  if (ta && va && !out.some((f) => f.code === "overfitting")) {
    const t = finitePoints(ta.values), v = finitePoints(va.values);
    const tEnd = t[t.length - 1], vEnd = v[v.length - 1];
    if (t.length >= 3 && v.length >= 3 && tEnd.value >= 0.95 && tEnd.value - vEnd.value >= 0.25) {
      out.push({
        code: "overfitting",
        severity: "warning",
        title: `Training accuracy ${fmt(tEnd.value)} against validation accuracy ${fmt(vEnd.value)}`,
        message: `${ta.key} ends at ${fmt(tEnd.value)} and ${va.key} at ${
          fmt(vEnd.value)
        }: the model fits the training rows far better than new ones (memorised, or the validation rows come from another distribution, which the data would show).`,
        evidence: { trainKey: ta.key, train: tEnd.value, validationKey: va.key, validation: vEnd.value },
        fix:
          "Add regularisation (dropout, L2), more data or augmentation, and stop at the best validation epoch.",
      });
    }
  }
  // Validation persistently better than training.
  if (tl && vl) {
    const pairs: [number, number][] = [];
    tl.values.forEach((t, r) => {
      const v = vl.values[r];
      if (t !== null && v !== null && Number.isFinite(t) && Number.isFinite(v) && t > 0) pairs.push([t, v]);
    });
    if (pairs.length >= 3) {
      const better = pairs.filter(([t, v]) => v < 0.9 * t - 2 * vl.precision).length;
      if (better >= 0.8 * pairs.length && !out.some((f) => f.code === "overfitting")) {
        const ratios = pairs.map(([t, v]) => v / t).sort((a, b) => a - b);
        out.push({
          code: "validation-better-than-training",
          severity: "info",
          title: `Validation loss below training loss in ${better} of ${pairs.length} epochs`,
          message:
            `${vl.key} is below ${tl.key} by more than 10% in ${better} of ${pairs.length} epochs (median ratio ${
              fmt(ratios[Math.floor(ratios.length / 2)])
            }). Usually benign: dropout and regularisation penalties apply only while training, and Keras's training numbers are means over an epoch in which the model was still improving. If the validation numbers are near perfect, check that validation rows are not also training rows (train-validation-overlap); that needs the data.`,
          evidence: { pairs: pairs.length, better, medianRatio: ratios[Math.floor(ratios.length / 2)] },
          fix:
            "Nothing to fix when dropout or regularisation explain it; otherwise compare the two splits for duplicated rows.",
        });
      }
    }
  }
  return out;
}
