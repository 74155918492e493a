/**
 * The float64 CPU trainer: the same scenario, initial weights, batch order and dropout masks as the
 * GPU trainer, computed with the float64 twins. It is the ground truth of the trajectory test (the GPU
 * losses of the first steps must follow it within a derived tolerance) and small enough to read.
 *
 * @module
 */
import { l2Gradient, regularizedLoss } from "./regularization.ts";
import type { LayerWeights } from "../train/records.ts";
import type { LossSpec, OptimizerSpec } from "../scenario/types.ts";
import type { LayerTwin } from "./layer_twin.ts";
import { lossGradient, lossPerRow, reduceLoss } from "./losses.ts";
import { type Matrix, matrix } from "./matrix.ts";
import { adamStep, rmspropStep, sgdStep } from "./optimizers.ts";

/** What the reference trainer needs to know about the model (a subset of the scenario). */
export interface ReferenceModel {
  /** The float64 twin of each layer, in order (src/layers/mod.ts `modelTwins` builds them). */
  layers: readonly LayerTwin[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
  /** Seed of the dropout masks (see `dropoutSeed` in src/train/model.ts). */
  dropoutSeed: number;
}

/** Per-parameter optimizer state, shaped like the parameters. */
interface SlotState {
  a: Float64Array;
  b: Float64Array;
}

/** Per layer: the index of its LayerWeights in the model's parameters, or null. */
function parameterSlots(model: ReferenceModel): (number | null)[] {
  let next = 0;
  return model.layers.map((l) => (l.hasParameters ? next++ : null));
}

/** Forward pass of the whole model on `x`; dropout only when `training` is given (step index). */
export function referenceForward(
  model: ReferenceModel,
  params: LayerWeights[],
  x: Matrix,
  training?: { step: number },
): ReferenceForward {
  const inputs: Matrix[] = [], zs: (Matrix | null)[] = [], ys: Matrix[] = [], caches: unknown[] = [];
  const slots = parameterSlots(model);
  let h = x;
  model.layers.forEach((layer, i) => {
    inputs.push(h);
    const p = slots[i] === null ? null : params[slots[i]!];
    const out = layer.forward(
      h,
      p,
      training ? { step: training.step, dropoutSeed: model.dropoutSeed } : null,
    );
    zs.push(out.z);
    ys.push(out.y);
    caches.push(out.cache);
    h = out.y;
  });
  return { inputs, z: zs, y: ys, caches };
}

/** Per layer: its input, pre-activation Z (null without parameters), output, backward cache. */
export interface ReferenceForward {
  inputs: Matrix[];
  z: (Matrix | null)[];
  y: Matrix[];
  caches: unknown[];
}

/** One optimizer step in float64, updating `params` and `slots` in place; returns the batch loss. */
export function referenceStep(
  model: ReferenceModel,
  state: ReferenceTrainerState,
  batch: { x: Matrix; y: Matrix },
): number {
  const { params } = state;
  const step = state.step;
  const fwd = referenceForward(model, params, batch.x, { step });
  const last = model.layers.length - 1;
  const out = fwd.y[last];
  const cfg = { name: model.loss.name, fromLogits: model.loss.fromLogits, delta: model.loss.delta };
  const slots = parameterSlots(model);
  // Keras reports (and minimises) the data loss plus each regularized kernel's l2·Σw², computed
  // with the weights of this forward pass.
  const penalties = model.layers.flatMap((l, i) =>
    l.l2 && slots[i] !== null ? [{ w: params[slots[i]!].weights, l2: l.l2 }] : []
  );
  const loss = regularizedLoss(reduceLoss(lossPerRow(cfg, batch.y, out), model.loss.reduction), penalties);
  let dy = lossGradient({ ...cfg, reduction: model.loss.reduction }, batch.y, out);
  // Every layer's gradients first, then the updates (as the GPU step: dX reads W before its update).
  const grads: { slot: number; dw: Float64Array; db: Float64Array }[] = [];
  for (let i = last; i >= 0; i--) {
    const slot = slots[i];
    const g = model.layers[i].backward(fwd.caches[i], dy, slot === null ? null : params[slot]);
    if (slot !== null) {
      const l2 = model.layers[i].l2 ?? 0;
      // The penalty's gradient 2·l2·w joins the weights' (not the biases') gradient.
      grads.push({ slot, dw: l2 > 0 ? l2Gradient(g.dw!, params[slot].weights, l2) : g.dw!, db: g.db! });
    }
    dy = g.dx;
  }
  for (const g of grads) {
    applyUpdate(model.optimizer, params[g.slot].weights, g.dw, state.slots[g.slot].weights, step + 1);
    applyUpdate(model.optimizer, params[g.slot].biases, g.db, state.slots[g.slot].biases, step + 1);
  }
  state.step++;
  return loss;
}

export interface ReferenceTrainerState {
  params: LayerWeights[];
  slots: { weights: SlotState; biases: SlotState }[];
  /** Optimizer steps taken so far. */
  step: number;
}

/** A trainer state over a copy of `params` with zeroed optimizer slots. */
export function referenceTrainerState(params: LayerWeights[]): ReferenceTrainerState {
  const slot = (n: number): SlotState => ({ a: new Float64Array(n), b: new Float64Array(n) });
  return {
    params: params.map((p) => ({ ...p, weights: p.weights.slice(), biases: p.biases.slice() })),
    slots: params.map((p) => ({ weights: slot(p.weights.length), biases: slot(p.biases.length) })),
    step: 0,
  };
}

/** Keras optimizer update of one tensor in place (`t` is the 1-based step, for Adam). */
function applyUpdate(opt: OptimizerSpec, w: Float64Array, g: ArrayLike<number>, slot: SlotState, t: number) {
  switch (opt.name) {
    case "sgd": {
      const r = sgdStep({ w, velocity: slot.a }, g, {
        learningRate: opt.learningRate,
        momentum: opt.momentum,
      });
      w.set(r.w);
      slot.a.set(r.velocity);
      return;
    }
    case "adam": {
      const r = adamStep({ w, m: slot.a, v: slot.b }, g, {
        learningRate: opt.learningRate,
        step: t,
        beta1: opt.beta1,
        beta2: opt.beta2,
        epsilon: opt.epsilon,
      });
      w.set(r.w);
      slot.a.set(r.m);
      slot.b.set(r.v);
      return;
    }
    case "rmsprop": {
      const r = rmspropStep({ w, ms: slot.a }, g, {
        learningRate: opt.learningRate,
        rho: opt.rho,
        epsilon: opt.epsilon,
      });
      w.set(r.w);
      slot.a.set(r.ms);
      return;
    }
  }
}

/** Rows `index` of a row-major matrix, gathered into a new one (a batch). */
export function gatherRows(m: Matrix, index: ArrayLike<number>): Matrix {
  const out = matrix(index.length, m.cols);
  for (let r = 0; r < index.length; r++) {
    out.data.set(m.data.subarray(index[r] * m.cols, (index[r] + 1) * m.cols), r * m.cols);
  }
  return out;
}
