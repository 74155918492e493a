/**
 * A {@linkcode History} as the report's `history` entries (CONTRACT §4): per epoch, the train and
 * validation numbers under their base names (`loss`, `accuracy`), whatever the log called them.
 *
 * @module
 */
import type { History } from "../history/types.ts";
import type { HistoryEntry, SplitMetrics } from "../report/types.ts";
import { classifyKey } from "./names.ts";

/** One entry per history row; keys of a final test run are left out (neither split). */
export function toHistoryEntries(history: History): HistoryEntry[] {
  return history.epochs.map((epoch, r) => {
    const train: SplitMetrics = {}, validation: SplitMetrics = {};
    for (const key of history.keys) {
      const info = classifyKey(key);
      if (info.split === "test") continue; // a final test run is neither split the audit reads
      const value = history.values[key][r];
      if (value === null && (info.split === "train" ? train : validation)[info.base] !== undefined) continue;
      (info.split === "train" ? train : validation)[info.base] = value;
    }
    return { epoch, train, validation: Object.keys(validation).length > 0 ? validation : null };
  });
}
