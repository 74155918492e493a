/**
 * The "Your log" panel: a pasted training log, or dropped / chosen log files (Keras console output,
 * PyTorch epoch lines, a CSVLogger or Lightning metrics.csv, history JSON, TensorBoard event files,
 * several of them for a run directory), audited alone by the same engine as `diagnose audit
 * --history` (src/history/ reads them, src/audit/ audits them). Files stay in memory.
 *
 * @module
 */
import { type FileSource, memoryFileSource } from "../../src/io.ts";
import { byId } from "./dom.ts";

/** Where uploaded logs live in the page's in-memory file source. */
export const LOG_DIR = "/log";

/** What the panel holds: the in-memory files, the path to audit and the flags. */
export interface LogInput {
  source: FileSource;
  history: string;
  loss?: string;
  task?: "binary" | "multiclass" | "multilabel" | "regression";
  classes?: number;
}

/** Wires the panel; `read()` gives the input to audit, or null when there is nothing to audit. */
export function setUpLogForm(options: { onChange(ready: boolean): void }): { read(): LogInput | null } {
  const text = byId("log-text", HTMLTextAreaElement);
  const input = byId("log-files", HTMLInputElement);
  const drop = byId("log-drop", HTMLDivElement);
  const chosen = byId("log-chosen", HTMLParagraphElement);
  let files: { path: string; bytes: Uint8Array }[] = [];

  const take = async (list: FileList | File[]) => {
    const all = [...list];
    files = await Promise.all(all.map(async (f) => ({
      // A directory picked or dropped keeps its layout (train/, validation/ of a TensorBoard run).
      path: `${LOG_DIR}/${(f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name}`,
      bytes: new Uint8Array(await f.arrayBuffer()),
    })));
    chosen.textContent = files.length === 0
      ? ""
      : files.length === 1
      ? `File: ${all[0].name}`
      : `${files.length} files (read as one TensorBoard run directory)`;
    options.onChange(true);
  };
  input.addEventListener("change", () => void take(input.files ?? []));
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer?.files.length) void take(e.dataTransfer.files);
  });
  text.addEventListener("input", () => {
    if (text.value.trim() !== "") files = [];
    chosen.textContent = "";
    options.onChange(text.value.trim() !== "");
  });

  return {
    read() {
      const loss = byId("log-loss", HTMLInputElement).value.trim() || undefined;
      const task = (byId("log-task", HTMLSelectElement).value || undefined) as LogInput["task"];
      const classesText = byId("log-classes", HTMLInputElement).value.trim();
      const classes = classesText === "" ? undefined : Number(classesText);
      const flags = { loss, task, classes };
      if (files.length > 0) {
        const map = Object.fromEntries(files.map((f) => [f.path, f.bytes]));
        const history = files.length === 1 ? files[0].path : commonDir(files.map((f) => f.path));
        return { source: memoryFileSource(map), history, ...flags };
      }
      if (text.value.trim() === "") return null;
      const path = `${LOG_DIR}/pasted log`;
      return { source: memoryFileSource({ [path]: text.value }), history: path, ...flags };
    },
  };
}

/** The deepest directory holding every path (the run directory of several event files). */
function commonDir(paths: string[]): string {
  const parts = paths.map((p) => p.split("/").slice(0, -1));
  const first = parts[0];
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join("/") || "/";
}
