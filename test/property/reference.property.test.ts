/**
 * Invariants of the float64 references on random shapes and values (test/reference/ checks fixed
 * shapes and hand-worked values; these extend them to whatever fast-check draws): softmax and
 * log-softmax identities, non-negative losses, the chained loss + dense backward and the reference
 * trainer's step against central finite differences, and the counting identities of the metrics.
 *
 * Float64 unit roundoff u = 2^-53 throughout; Math.exp / Math.log are within 1 ulp (2u relative).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { denseBackward, denseForward } from "../../src/reference/dense.ts";
import { type LossConfig, lossGradient, lossPerRow, reduceLoss } from "../../src/reference/losses.ts";
import { type Matrix, matrix } from "../../src/reference/matrix.ts";
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  perClassMetrics,
  recall,
  trueClasses,
} from "../../src/reference/metrics.ts";
import { logSoftmax, softmax } from "../../src/reference/softmax.ts";
import { referenceForward, referenceStep, referenceTrainerState } from "../../src/reference/trainer.ts";
import { type Activation, ACTIVATIONS, type Reduction } from "../../src/scenario/types.ts";
import type { LayerWeights } from "../../src/train/records.ts";
import { checkProperty } from "../helpers/property.ts";
import { buildModel, modelTwins } from "../../src/layers/mod.ts";

const U = 2 ** -53;
/** gamma_n of Higham's Lemma 3.1 in float64: the relative error bound of an n-term sum of like-signed terms. */
const gamma = (n: number) => (n * U) / (1 - n * U);

/** A rows × cols matrix of values from `value`. */
function matrixOf(rows: number, cols: number, value: fc.Arbitrary<number>): fc.Arbitrary<Matrix> {
  return fc.array(value, { minLength: rows * cols, maxLength: rows * cols }).map((v) =>
    matrix(rows, cols, v)
  );
}

const shape = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }));
/** Logits up to ±1e4, mixed with moderate ones so rows are neither all-saturated nor all-flat. */
const logit = fc.oneof(
  fc.double({ noNaN: true, min: -1e4, max: 1e4 }),
  fc.double({ noNaN: true, min: -10, max: 10 }),
  fc.constantFrom(0, 1e4, -1e4),
);
const logits = shape.chain(([rows, cols]) => matrixOf(rows, cols, logit));

describe("softmax and log-softmax", () => {
  it("rows lie in [0, 1] and sum to 1 within (2n + 5)u", () => {
    checkProperty(
      fc.property(logits, (x) => {
        const y = softmax(x);
        const n = x.cols;
        for (let r = 0; r < x.rows; r++) {
          let sum = 0;
          for (let c = 0; c < n; c++) {
            const v = y.data[r * n + c];
            expect(v >= 0 && v <= 1, `y[${r},${c}] = ${v}`).toBe(true);
            sum += v;
          }
          // y_i = e_i(1+δe)/(S(1+δS))(1+δ/): exp 2u, S (n-1 like-signed additions of exps) 2u + γ_{n-1},
          // the division u, so each y_i is within 5u + γ_{n-1} relative; this sum adds γ_{n-1}.
          expect(Math.abs(sum - 1), `row ${r} sums to ${sum}`).toBeLessThanOrEqual(5 * U + 2 * gamma(n - 1));
        }
      }),
      300,
    );
  });

  it("log-softmax is <= 0, and log Σ exp(log-softmax) = 0 within its derived bound", () => {
    checkProperty(
      fc.property(logits, (x) => {
        const l = logSoftmax(x);
        const y = softmax(x);
        const n = x.cols;
        for (let r = 0; r < x.rows; r++) {
          let m = -Infinity;
          for (let c = 0; c < n; c++) m = Math.max(m, x.data[r * n + c]);
          let s = 0;
          let weighted = 0;
          for (let c = 0; c < n; c++) {
            const i = r * n + c;
            // (x - m) <= 0 rounds to <= 0 and log S >= 0 (S >= 1): exactly <= 0, no tolerance.
            expect(l.data[i], `l[${r},${c}]`).toBeLessThanOrEqual(0);
            s += Math.exp(l.data[i]);
            // l_i errs by u|x_i - m| (the shift) + u|l_i| (the subtraction) + the error of log S.
            weighted += y.data[i] * (U * Math.abs(x.data[i] - m) + U * Math.abs(l.data[i]) + 2 * U);
          }
          const logS = -l.data[r * n + x.data.subarray(r * n, r * n + n).indexOf(m)];
          // log S: S within 2u + γ_{n-1} relative, log adds 2u|log S|; exp(l_i) adds 2u; the sum γ_{n-1}; log(1+δ) ≈ δ.
          const tol = weighted + 2 * U * logS + 4 * U + 2 * gamma(n - 1) + 2 * U;
          expect(Math.abs(Math.log(s)), `row ${r}: log Σ exp(l) = ${Math.log(s)}`).toBeLessThanOrEqual(tol);
        }
      }),
      300,
    );
  });
});

// --------------------------------------------------------------------------------------------- losses

const rowsCols = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }));
const probability = fc.oneof(
  fc.double({ noNaN: true, min: 0, max: 1 }),
  fc.constantFrom(0, 1, 1e-9, 1 - 1e-9),
);

/** Targets valid for the loss: 0/1 or soft labels, one-hot rows, class indices, or real values. */
function targetsFor(cfg: LossConfig, rows: number, cols: number): fc.Arbitrary<Matrix> {
  switch (cfg.name) {
    case "binary-crossentropy":
      return matrixOf(
        rows,
        cols,
        fc.oneof(fc.constantFrom(0, 1), fc.double({ noNaN: true, min: 0, max: 1 })),
      );
    case "categorical-crossentropy":
      return fc.array(fc.nat(cols - 1), { minLength: rows, maxLength: rows }).map((k) => {
        const m = matrix(rows, cols);
        k.forEach((c, r) => (m.data[r * cols + c] = 1));
        return m;
      });
    case "sparse-categorical-crossentropy":
      return matrixOf(rows, 1, fc.nat(cols - 1));
    default:
      return matrixOf(rows, cols, fc.double({ noNaN: true, min: -50, max: 50 }));
  }
}

const CE_CONFIGS: LossConfig[] =
  (["binary-crossentropy", "categorical-crossentropy", "sparse-categorical-crossentropy"] as const)
    .flatMap((name) => [{ name, fromLogits: false }, { name, fromLogits: true }]);

describe("losses", () => {
  it("every cross-entropy variant is >= 0 per row and reduced, from probabilities and from logits", () => {
    const inputs = fc.tuple(
      fc.constantFrom(...CE_CONFIGS),
      rowsCols,
      fc.constantFrom<Reduction>("mean", "sum"),
    )
      .chain(([cfg, [rows, cols], reduction]) =>
        fc.record({
          cfg: fc.constant(cfg),
          reduction: fc.constant(reduction),
          yTrue: targetsFor(cfg, rows, cols),
          yPred: matrixOf(rows, cols, cfg.fromLogits ? logit : probability),
        })
      );
    checkProperty(
      fc.property(inputs, ({ cfg, reduction, yTrue, yPred }) => {
        // Categorical from probabilities divides by the row sum: a zero row is the documented NaN case.
        if (cfg.name === "categorical-crossentropy" && !cfg.fromLogits) {
          for (let r = 0; r < yPred.rows; r++) {
            fc.pre(yPred.data.subarray(r * yPred.cols, (r + 1) * yPred.cols).some((p) => p > 0));
          }
        }
        const perRow = lossPerRow(cfg, yTrue, yPred);
        // Each form is >= 0 in exact arithmetic and stays so under monotone rounding (see losses.ts:
        // log of a clipped probability <= 0; lse >= max logit; log Σc >= log c_k): no tolerance.
        perRow.forEach((v, r) => expect(v, `${cfg.name} row ${r}`).toBeGreaterThanOrEqual(0));
        expect(reduceLoss(perRow, reduction)).toBeGreaterThanOrEqual(0);
      }),
      400,
    );
  });

  it("cross-entropy of softmax / sigmoid probabilities equals cross-entropy from the logits", () => {
    // Logits within ±5 over <= 6 classes keep every probability inside Keras' clip [1e-7, 1 - 1e-7]
    // (e^-10 / 6 > 1e-7), where both forms are the same function. Softmax needs >= 2 classes: over
    // one it is 1, clipped to 1 - 1e-7 (the single-unit-softmax case, not an identity).
    const inputs = fc.tuple(fc.constantFrom(...CE_CONFIGS.filter((c) => c.fromLogits)), rowsCols).map((
      [cfg, [rows, cols]],
    ) => ({ cfg, rows, cols: cfg.name === "binary-crossentropy" ? cols : Math.max(2, cols) })).chain((
      { cfg, rows, cols },
    ) =>
      fc.record({
        cfg: fc.constant(cfg),
        yTrue: targetsFor(cfg, rows, cols),
        x: matrixOf(rows, cols, fc.double({ noNaN: true, min: -5, max: 5 })),
      })
    );
    checkProperty(
      fc.property(inputs, ({ cfg, yTrue, x }) => {
        const probs = cfg.name === "binary-crossentropy"
          ? { ...x, data: x.data.map((v) => 1 / (1 + Math.exp(-v))) }
          : softmax(x);
        const fromLogits = lossPerRow(cfg, yTrue, x);
        const fromProbs = lossPerRow({ ...cfg, fromLogits: false }, yTrue, probs);
        fromLogits.forEach((v, r) => {
          // Probabilities carry 5u + γ_{K-1} relative (softmax bound above), which log turns into that
          // much absolute error per unit of target mass (Σ|y| <= K here); the forms' own rounding adds
          // ~(K + 8)u relative. 2x margin.
          const K = x.cols;
          let tol = 2 * (K * (5 * U + gamma(K)) + (K + 8) * U * (1 + Math.abs(v)));
          if (cfg.name === "binary-crossentropy") {
            // 1 - p cancels: its u·p absolute error is u·p/(1-p) relative inside log(1 - p) (and
            // symmetrically for p), averaged over the K columns.
            for (let c = 0; c < K; c++) {
              const p = probs.data[r * K + c];
              tol += (4 * U * (p / (1 - p) + (1 - p) / p)) / K;
            }
          }
          expect(Math.abs(fromProbs[r] - v), `${cfg.name} row ${r}: ${fromProbs[r]} vs ${v}`)
            .toBeLessThanOrEqual(tol);
        });
      }),
      300,
    );
  });

  it("mse, mae and huber are >= 0, and exactly 0 when predictions equal targets", () => {
    const inputs = fc.tuple(
      fc.constantFrom("mse", "mae", "huber") as fc.Arbitrary<"mse" | "mae" | "huber">,
      rowsCols,
    )
      .chain(([name, [rows, cols]]) =>
        fc.record({
          cfg: fc.double({ noNaN: true, min: 0.01, max: 10 }).map((delta): LossConfig => ({
            name,
            fromLogits: false,
            delta,
          })),
          yTrue: matrixOf(rows, cols, fc.double({ noNaN: true, min: -1e6, max: 1e6 })),
          yPred: matrixOf(rows, cols, fc.double({ noNaN: true, min: -1e6, max: 1e6 })),
        })
      );
    checkProperty(
      fc.property(inputs, ({ cfg, yTrue, yPred }) => {
        lossPerRow(cfg, yTrue, yPred).forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
        lossPerRow(cfg, yTrue, yTrue).forEach((v) => expect(v).toBe(0));
        lossGradient({ ...cfg, reduction: "mean" }, yTrue, yTrue).data.forEach((g) =>
          expect(Math.abs(g)).toBe(0)
        );
      }),
      300,
    );
  });
});

// ------------------------------------------------------------------------------- finite differences

const ALL_LOSSES: LossConfig[] = [
  { name: "mse", fromLogits: false },
  { name: "mae", fromLogits: false },
  { name: "huber", fromLogits: false },
  ...CE_CONFIGS,
];
/** Losses that read probabilities need outputs in (0, 1): sigmoid or softmax heads. */
const readsProbabilities = (cfg: LossConfig) => !cfg.fromLogits && cfg.name.endsWith("crossentropy");
const KINKED: ReadonlySet<Activation> = new Set(["relu", "leaky-relu", "elu"]);
/** Distance from a kink (ReLU family at 0, MAE at e = 0, Huber at |e| = δ) below which a point is skipped. */
const KINK_MARGIN = 1e-3;

/**
 * A small network problem: batch 1..5, inputs 1..6, a hidden layer of 1..5 units with any activation,
 * an output layer of 1..5 units whose activation suits the loss, targets valid for the loss.
 */
const problem = fc.record({
  batch: fc.integer({ min: 1, max: 5 }),
  inputs: fc.integer({ min: 1, max: 6 }),
  hidden: fc.integer({ min: 1, max: 5 }),
  outputs: fc.integer({ min: 1, max: 5 }),
  cfg: fc.tuple(fc.constantFrom(...ALL_LOSSES), fc.double({ noNaN: true, min: 0.2, max: 2 }))
    .map(([cfg, delta]) => (cfg.name === "huber" ? { ...cfg, delta } : cfg)),
  reduction: fc.constantFrom<Reduction>("mean", "sum"),
  hiddenActivation: fc.constantFrom(...ACTIVATIONS),
  headActivation: fc.constantFrom(...ACTIVATIONS),
  dropout: fc.constantFrom(0, 0.3),
}).map((p) => ({
  ...p,
  headActivation: readsProbabilities(p.cfg) && p.headActivation !== "softmax"
    ? "sigmoid" as const
    : p.headActivation,
})).chain((p) =>
  fc.record({
    p: fc.constant(p),
    x: matrixOf(p.batch, p.inputs, fc.double({ noNaN: true, min: -2, max: 2 })),
    w1: matrixOf(p.inputs, p.hidden, fc.double({ noNaN: true, min: -1, max: 1 })),
    b1: matrixOf(1, p.hidden, fc.double({ noNaN: true, min: -0.5, max: 0.5 })),
    w2: matrixOf(p.hidden, p.outputs, fc.double({ noNaN: true, min: -1, max: 1 })),
    b2: matrixOf(1, p.outputs, fc.double({ noNaN: true, min: -0.5, max: 0.5 })),
    yTrue: targetsFor(p.cfg, p.batch, p.outputs),
  })
);
type Problem = typeof problem extends fc.Arbitrary<infer T> ? T : never;

/** fc.pre: no pre-activation near a kink of its activation, no error near the loss's kink, probabilities off the clip. */
function awayFromKinks(
  zs: { z: Matrix; activation: Activation }[],
  out: Matrix,
  yTrue: Matrix,
  cfg: LossConfig,
): void {
  for (const { z, activation } of zs) {
    if (KINKED.has(activation)) fc.pre(z.data.every((v) => Math.abs(v) > KINK_MARGIN));
  }
  if (cfg.name === "mae" || cfg.name === "huber") {
    const kink = cfg.name === "mae" ? 0 : cfg.delta ?? 1;
    out.data.forEach((v, i) => fc.pre(Math.abs(Math.abs(v - yTrue.data[i]) - kink) > KINK_MARGIN));
  }
  // 1e-3 from 0 and 1 keeps Keras' clip (1e-7) inactive under a step of h; the third derivative of
  // log p (2/p³ <= 2e9) only inflates the Richardson estimate, which the tolerance carries.
  if (readsProbabilities(cfg)) fc.pre(out.data.every((v) => v > 1e-3 && v < 1 - 1e-3));
}

const H = 1e-5;

/**
 * Checks analytic derivatives against central differences of `f` in each coordinate of `data`.
 * Tolerance: rtol 1e-5 on the derivative, plus |D(h) - D(2h)| (3x Richardson's estimate of the O(h²f''')
 * truncation error of D(h)), plus the round-off of the quotient, 2γ_n·|f|/h for an f computed with n
 * chained roundings, plus `slack` (what the analytic side's own recovery may err by).
 */
function expectGradient(
  label: string,
  data: Float64Array,
  analytic: ArrayLike<number>,
  f: () => number,
  options: { chain: number; slack?: ArrayLike<number> },
): void {
  const { chain, slack } = options;
  for (let i = 0; i < data.length; i++) {
    const keep = data[i];
    const at = (d: number) => {
      data[i] = keep + d;
      const v = f();
      data[i] = keep;
      return v;
    };
    const fp = at(H), fm = at(-H), fp2 = at(2 * H), fm2 = at(-2 * H);
    const d1 = (fp - fm) / (2 * H);
    const d2 = (fp2 - fm2) / (4 * H);
    const scale = Math.max(Math.abs(fp), Math.abs(fm), Math.abs(fp2), Math.abs(fm2));
    // Each rounding errs by u|result| + η (η = 2^-1075, the underflow term of Higham's model, §2.1).
    const roundoff = (2 * gamma(chain) * scale + chain * 2 ** -1074) / H;
    const tol = 1e-5 * Math.abs(analytic[i]) + Math.abs(d1 - d2) + roundoff + (slack?.[i] ?? 0);
    if (!(Math.abs(d1 - analytic[i]) <= tol)) {
      expect.fail(
        `${label}[${i}]: analytic ${analytic[i]}, central difference ${d1} (2h: ${d2}), tolerance ${tol}`,
      );
    }
  }
}

describe("gradients against central finite differences (random shapes, every activation and loss)", () => {
  it("loss gradient chained through the dense backward: dW, db, dX of one layer", () => {
    checkProperty(
      fc.property(problem, ({ p, x, w2, b2, yTrue }) => {
        // One layer: the input is `x` resized to the head (inputs -> hidden units of w2).
        const xin = matrix(
          p.batch,
          p.hidden,
          Array.from({ length: p.batch * p.hidden }, (_, i) => x.data[i % x.data.length]),
        );
        const options = { activation: p.headActivation };
        const cfg = p.cfg;
        const loss = () =>
          reduceLoss(lossPerRow(cfg, yTrue, denseForward(xin, w2, b2.data, options).y), p.reduction);
        const { z, y } = denseForward(xin, w2, b2.data, options);
        awayFromKinks([{ z, activation: p.headActivation }], y, yTrue, cfg);
        const dy = lossGradient({ ...cfg, reduction: p.reduction }, yTrue, y);
        const g = denseBackward({ x: xin, w: w2, z, y, dy }, options);
        const chain = p.hidden + p.outputs + p.batch + 20;
        expectGradient("dW", w2.data, g.dw.data, loss, { chain });
        expectGradient("db", b2.data, g.db, loss, { chain });
        expectGradient("dX", xin.data, g.dx.data, loss, { chain });
      }),
      150,
    );
  });

  it("the reference trainer's step (two layers, dropout): SGD with lr 1 moves each weight by its gradient", () => {
    checkProperty(
      fc.property(problem, ({ p, x, w1, b1, w2, b2, yTrue }: Problem) => {
        const params: LayerWeights[] = [
          { weights: w1.data, biases: b1.data, inputs: p.inputs, units: p.hidden },
          { weights: w2.data, biases: b2.data, inputs: p.hidden, units: p.outputs },
        ];
        const model = {
          layers: modelTwins(
            buildModel([p.inputs], [
              { units: p.hidden, activation: p.hiddenActivation, dropout: p.dropout },
              { units: p.outputs, activation: p.headActivation, dropout: 0 },
            ]),
          ),
          loss: {
            name: p.cfg.name,
            fromLogits: p.cfg.fromLogits,
            reduction: p.reduction,
            delta: p.cfg.delta ?? 1,
          },
          optimizer: { name: "sgd" as const, learningRate: 1, momentum: 0 },
          dropoutSeed: 12345,
        };
        // The loss of step 0 as a function of the parameters: the same dropout masks as the step uses.
        const loss = () => {
          const fwd = referenceForward(model, params, x, { step: 0 });
          const cfg = { name: p.cfg.name, fromLogits: p.cfg.fromLogits, delta: p.cfg.delta };
          return reduceLoss(lossPerRow(cfg, yTrue, fwd.y[1]), p.reduction);
        };
        const fwd = referenceForward(model, params, x, { step: 0 });
        awayFromKinks(
          [{ z: fwd.z[0]!, activation: p.hiddenActivation }, { z: fwd.z[1]!, activation: p.headActivation }],
          fwd.y[1],
          yTrue,
          p.cfg,
        );
        const state = referenceTrainerState(params);
        referenceStep(model, state, { x, y: yTrue });
        const chain = p.inputs + p.hidden + p.outputs + p.batch + 30;
        params.forEach((layer, l) => {
          for (const key of ["weights", "biases"] as const) {
            const before = layer[key], after = state.params[l][key];
            // The gradient read back from the step: w - 1·g rounds once and the difference back once
            // more, each by at most u(|w| + |g|) (plus η below the normal range).
            const g = before.map((w, i) => w - after[i]);
            const slack = before.map((w, i) => 2 * U * (Math.abs(w) + Math.abs(g[i])) + 2 ** -1073);
            expectGradient(`layer ${l} ${key}`, before, g, loss, { chain, slack });
          }
        });
      }),
      150,
    );
  });
});

// ------------------------------------------------------------------------------------------- metrics

const classification = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2, max: 6 })).chain((
  [n, k],
) =>
  fc.record({
    labels: fc.array(fc.nat(k - 1), { minLength: n, maxLength: n }),
    // Coarse scores (multiples of 1/8) make argmax ties common: ties must not break the identities.
    scores: matrixOf(n, k, fc.oneof(fc.double({ noNaN: true, min: 0, max: 1 }), fc.nat(8).map((v) => v / 8))),
  })
);

describe("metrics", () => {
  it("accuracy in [0, 1]; confusion sums to the rows with true-class supports; macro recall = mean per-class recall", () => {
    checkProperty(
      fc.property(classification, ({ labels, scores }) => {
        const n = labels.length, k = scores.cols;
        const sparse = matrix(n, 1, labels);
        const oneHot = matrix(n, k);
        labels.forEach((c, r) => (oneHot.data[r * k + c] = 1));
        const binaryTargets = matrix(n, 1, labels.map((c) => (c === 0 ? 0 : 1)));
        const binaryScores = matrix(n, 1, Array.from({ length: n }, (_, r) => scores.data[r * k]));
        for (const [yT, yP] of [[sparse, scores], [oneHot, scores], [binaryTargets, binaryScores]]) {
          const a = accuracy(yT, yP).value;
          expect(a >= 0 && a <= 1, `accuracy ${a}`).toBe(true);
        }
        const cm = confusionMatrix(sparse, scores);
        expect(cm.rows).toBe(k);
        expect(cm.data.reduce((s, v) => s + v, 0)).toBe(n);
        for (let c = 0; c < k; c++) {
          let row = 0;
          for (let j = 0; j < k; j++) row += cm.data[c * k + j];
          expect(row, `support of class ${c}`).toBe(labels.filter((l) => l === c).length);
        }
        // Accuracy is the trace over the rows, for class indices and one-hot targets alike.
        let trace = 0;
        for (let c = 0; c < k; c++) trace += cm.data[c * k + c];
        expect(accuracy(sparse, scores).value).toBe(trace / n);
        expect(accuracy(oneHot, scores).value).toBe(trace / n);
        // Macro recall from first principles: per present class, hits / support, averaged.
        const predicted = Array.from({ length: n }, (_, r) => {
          let best = 0;
          for (let c = 1; c < k; c++) if (scores.data[r * k + c] > scores.data[r * k + best]) best = c;
          return best;
        });
        const present = [...new Set(labels)].sort((a, b) => a - b);
        const perClass = present.map((c) => {
          const rows = labels.flatMap((l, r) => (l === c ? [r] : []));
          return rows.filter((r) => predicted[r] === c).length / rows.length;
        });
        const mean = perClass.reduce((s, v) => s + v, 0) / perClass.length;
        // Both sides sum the same <= 6 values in class order and divide once: within γ_6 of each other.
        expect(Math.abs(recall(sparse, scores) - mean)).toBeLessThanOrEqual(gamma(k + 1) * mean);
        expect(Math.abs(balancedAccuracy(oneHot, scores) - mean)).toBeLessThanOrEqual(gamma(k + 1) * mean);
        const pc = perClassMetrics(sparse, scores);
        present.forEach((c, i) => expect(pc.recall[c]).toBe(perClass[i]));
        expect(Array.from(trueClasses(oneHot))).toEqual(labels);
      }),
      300,
    );
  });
});
