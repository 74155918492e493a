/**
 * Keras's `EarlyStopping` callback as a pure state machine, shared by the GPU trainer and the float64
 * trainer so both stop at the same epoch. After each epoch, `wait` counts up; an improvement on the
 * best value so far (by more than `minDelta`, in the monitor's direction) records the epoch and
 * resets it; training stops once `wait >= patience` (never after the first epoch). With
 * `restoreBestWeights` the weights of the best epoch come back when training stops early (Keras
 * restores only on an early stop, not when the last epoch is reached).
 *
 * @module
 */

/** The scenario's `training.earlyStopping`, defaults filled in (Keras's: patience 0, minDelta 0). */
export interface EarlyStoppingSpec {
  monitor: string;
  patience: number;
  minDelta: number;
  restoreBestWeights: boolean;
  mode: "auto" | "min" | "max";
}

/**
 * The direction of `monitor` under mode "auto", as Keras infers it from the name: accuracies, AUC,
 * precision, recall, F1 and R² improve upward; losses and errors downward.
 */
export function monitorDirection(spec: Pick<EarlyStoppingSpec, "monitor" | "mode">): "min" | "max" {
  if (spec.mode !== "auto") return spec.mode;
  const name = spec.monitor.replace(/^val_/, "");
  const up = /(accuracy|acc|auc|precision|recall|f1|r2)$/.test(name);
  return up ? "max" : "min";
}

/** The split and metric a monitor names: "val_loss" → validation loss, "accuracy" → train accuracy. */
export function monitorTarget(monitor: string): { split: "train" | "validation"; metric: string } {
  return monitor.startsWith("val_")
    ? { split: "validation", metric: monitor.slice(4) }
    : { split: "train", metric: monitor };
}

/** What the callback decided after one epoch. */
export interface EarlyStoppingDecision {
  /** This epoch is the best so far (snapshot the weights when restoring). */
  improved: boolean;
  /** Stop training after this epoch. */
  stop: boolean;
}

/** The callback's state across epochs. */
export class EarlyStopping {
  readonly spec: EarlyStoppingSpec;
  readonly direction: "min" | "max";
  best: number;
  bestEpoch = 0;
  wait = 0;
  stoppedEpoch = 0;

  constructor(spec: EarlyStoppingSpec) {
    this.spec = spec;
    this.direction = monitorDirection(spec);
    this.best = this.direction === "min" ? Infinity : -Infinity;
  }

  /**
   * Feeds the monitored value of 1-based `epoch`. A non-finite value never improves (Keras compares
   * with `np.less`, false for NaN); it still counts towards patience.
   */
  update(epoch: number, value: number): EarlyStoppingDecision {
    this.wait++;
    const delta = Math.abs(this.spec.minDelta);
    // Keras: monitor_op(current - min_delta, best) with min_delta negated for "min".
    const improved = this.direction === "min" ? value + delta < this.best : value - delta > this.best;
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { improved: true, stop: false };
    }
    if (this.wait >= this.spec.patience && epoch > 1) {
      this.stoppedEpoch = epoch;
      return { improved: false, stop: true };
    }
    return { improved: false, stop: false };
  }
}
