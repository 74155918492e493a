/**
 * The float64 backward twins against central finite differences of their forward twins: the
 * references the GPU kernels are judged by must themselves be right.
 * Central differences with h = 1e-5 have truncation error O(h²·f''') ~ 1e-10 and cancellation
 * ~ 1e-16/h ~ 1e-11 at these O(1) scales: a tolerance of 1e-6 relative to the gradient scale
 * separates a correct gradient from a wrong one by orders of magnitude.
 */
import { describe, expect, it } from "vitest";
import {
  activate,
  activationDerivative,
  type ElementwiseActivation,
} from "../../src/reference/activations.ts";
import { denseBackward, denseForward } from "../../src/reference/dense.ts";
import { dropoutApply, dropoutHash, dropoutMask, pcgHash } from "../../src/reference/dropout.ts";
import { matrix } from "../../src/reference/matrix.ts";
import { adamStep, rmspropStep, sgdStep } from "../../src/reference/optimizers.ts";
import { logSoftmax, softmax, softmaxBackward } from "../../src/reference/softmax.ts";
import type { Activation } from "../../src/scenario/types.ts";
import { randomF32 } from "../helpers/gpu.ts";

const H = 1e-5;

function expectNear(actual: number, expected: number, scale: number, what: string) {
  if (!(Math.abs(actual - expected) <= 1e-6 * scale)) {
    expect.fail(`${what}: analytic ${actual}, finite difference ${expected}, scale ${scale}`);
  }
}

describe("activation derivatives", () => {
  for (
    const activation of ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh"] as ElementwiseActivation[]
  ) {
    it(`${activation}' matches (act(z+h) - act(z-h)) / 2h away from the kink`, () => {
      for (const z of [-7.5, -2, -0.3, 0.2, 1.5, 6]) {
        const fd = (activate(z + H, activation) - activate(z - H, activation)) / (2 * H);
        expectNear(activationDerivative(z, activation), fd, 1, `${activation}'(${z})`);
      }
    });
  }

  it("Keras parameters and limits: leaky slope 0.2, elu alpha 1, saturation at ±Inf, NaN kept", () => {
    expect(activate(-1, "leaky-relu")).toBeCloseTo(-0.2, 15);
    expect(activate(-1, "elu")).toBeCloseTo(Math.exp(-1) - 1, 15);
    expect([activate(Infinity, "sigmoid"), activate(-Infinity, "sigmoid"), activate(-Infinity, "tanh")])
      .toEqual([1, 0, -1]);
    expect(activate(-1000, "sigmoid")).toBe(0);
    expect(Number.isNaN(activate(NaN, "relu"))).toBe(true);
  });
});

describe("dense backward (all activations)", () => {
  for (
    const activation of ["linear", "relu", "leaky-relu", "elu", "sigmoid", "tanh", "softmax"] as Activation[]
  ) {
    it(`${activation}: dW, db, dX against finite differences of L = Σ dY ⊙ Y`, () => {
      const [rows, inputs, units] = [4, 3, 5];
      const x = matrix(rows, inputs, randomF32(`fd x ${activation}`, rows * inputs));
      const w = matrix(inputs, units, randomF32(`fd w ${activation}`, inputs * units));
      const b = Float64Array.from(randomF32(`fd b ${activation}`, units));
      const dy = matrix(rows, units, randomF32(`fd dy ${activation}`, rows * units));
      const loss = (xm = x, wm = w, bv: ArrayLike<number> = b) => {
        const { y } = denseForward(xm, wm, bv, { activation });
        return y.data.reduce((s, v, i) => s + v * dy.data[i], 0);
      };
      const { z, y } = denseForward(x, w, b, { activation });
      const g = denseBackward({ x, w, z, y, dy }, { activation });
      const bump = (data: Float64Array, i: number, f: () => number) => {
        const keep = data[i];
        data[i] = keep + H;
        const up = f();
        data[i] = keep - H;
        const down = f();
        data[i] = keep;
        return (up - down) / (2 * H);
      };
      for (let i = 0; i < w.data.length; i++) {
        expectNear(
          g.dw.data[i],
          bump(w.data, i, () => loss()),
          1,
          `dW[${i}]`,
        );
      }
      for (let i = 0; i < b.length; i++) expectNear(g.db[i], bump(b, i, () => loss()), 1, `db[${i}]`);
      for (let i = 0; i < x.data.length; i++) {
        expectNear(
          g.dx.data[i],
          bump(x.data, i, () => loss()),
          1,
          `dX[${i}]`,
        );
      }
    });
  }
});

describe("softmax", () => {
  it("softmaxBackward is the Jacobian-vector product (finite differences)", () => {
    const x = matrix(3, 6, randomF32("fd softmax x", 18, { scale: 3 }));
    const dy = matrix(3, 6, randomF32("fd softmax dy", 18));
    const dx = softmaxBackward(softmax(x), dy);
    for (let i = 0; i < 18; i++) {
      const keep = x.data[i];
      x.data[i] = keep + H;
      const up = softmax(x).data.reduce((s, v, j) => s + v * dy.data[j], 0);
      x.data[i] = keep - H;
      const down = softmax(x).data.reduce((s, v, j) => s + v * dy.data[j], 0);
      x.data[i] = keep;
      expectNear(dx.data[i], (up - down) / (2 * H), 1, `dX[${i}]`);
    }
  });

  it("log-softmax is log of softmax, rows sum to 1, and ±1e4 logits stay finite", () => {
    const x = matrix(2, 3, [1e4, -1e4, 0, 2, 2, 2]);
    const y = softmax(x).data;
    const l = logSoftmax(x).data;
    expect(Array.from(y)).toEqual([1, 0, 0, 1 / 3, 1 / 3, 1 / 3]);
    expect(l[0]).toBe(0);
    expect(l[1]).toBe(-2e4);
    expect(l[4]).toBeCloseTo(Math.log(1 / 3), 15);
    expect(softmax(matrix(1, 2, [NaN, 1])).data.every(Number.isNaN)).toBe(true);
  });
});

describe("dropout twin", () => {
  it("pcgHash matches known values of the PCG RXS-M-XS permutation", () => {
    // Computed by hand from the definition with 64-bit integer arithmetic, mod 2^32:
    // state = 0·747796405 + 2891336453 = 2891336453; (state >> 28) + 4 = 14; ...
    const state = 2891336453;
    const word = Number((BigInt(((state >>> 14) ^ state) >>> 0) * 277803737n) % 2n ** 32n);
    expect(pcgHash(0)).toBe(((word >>> 22) ^ word) >>> 0);
    expect(dropoutHash(1, 2, 3, 4)).not.toBe(dropoutHash(1, 2, 3, 5));
  });

  it("keeps 1 - rate of the elements, scales by 1/(1 - rate), and its gradient is the same map", () => {
    const key = { rate: 0.25, seed: 3, step: 9, layer: 1 };
    const mask = dropoutMask(100_000, key);
    const kept = mask.reduce((s, v) => s + v, 0) / mask.length;
    expect(Math.abs(kept - 0.75)).toBeLessThan(5 * Math.sqrt(0.25 * 0.75 / 100_000));
    const y = dropoutApply([2, 2, 2, 2], key);
    for (const v of y) expect([0, 2 / 0.75]).toContain(v);
  });
});

describe("optimizer twins", () => {
  it("SGD: plain and Keras momentum (v = μv - lr·g; w += v)", () => {
    const s1 = sgdStep({ w: [1], velocity: [0] }, [2], { learningRate: 0.1 });
    expect(s1.w[0]).toBeCloseTo(0.8, 15);
    const m1 = sgdStep({ w: [1], velocity: [0] }, [2], { learningRate: 0.1, momentum: 0.9 });
    const m2 = sgdStep(m1, [2], { learningRate: 0.1, momentum: 0.9 });
    expect(m2.velocity[0]).toBeCloseTo(0.9 * -0.2 - 0.2, 15);
    expect(m2.w[0]).toBeCloseTo(1 - 0.2 - 0.38, 15);
  });

  it("Adam step 1 moves each weight by lr·sign(g) (up to epsilon), as bias correction intends", () => {
    const r = adamStep({ w: [1, 1], m: [0, 0], v: [0, 0] }, [0.5, -3], { learningRate: 0.01, step: 1 });
    // m = 0.1g, v = 0.001g², alpha = lr·sqrt(0.001)/0.1: update = lr·|g|/(|g| + eps/sqrt(0.001)).
    expect(r.w[0]).toBeCloseTo(1 - 0.01 * 0.5 / (0.5 + 1e-7 / Math.sqrt(0.001)), 14);
    expect(r.w[1]).toBeCloseTo(1 + 0.01 * 3 / (3 + 1e-7 / Math.sqrt(0.001)), 14);
  });

  it("RMSprop: Keras 3 puts epsilon inside the sqrt, tf.keras 2 outside", () => {
    const inside = rmspropStep({ w: [0], ms: [0] }, [1e-3], { learningRate: 1 });
    const outside = rmspropStep({ w: [0], ms: [0] }, [1e-3], { learningRate: 1, epsilonInsideSqrt: false });
    expect(inside.ms[0]).toBeCloseTo(1e-7, 20);
    expect(inside.w[0]).toBeCloseTo(-1e-3 / Math.sqrt(1e-7 + 1e-7), 12);
    expect(outside.w[0]).toBeCloseTo(-1e-3 / (Math.sqrt(1e-7) + 1e-7), 12);
  });
});
