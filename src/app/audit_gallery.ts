/**
 * Audit cases of the gallery: `examples/audits/*.json`, each naming a training log and the flags a
 * user would pass to `diagnose audit --history`, with the findings the log should produce
 * (`expect.findings`; empty for a healthy log, which must then produce no error and no warning).
 *
 * ```jsonc
 * {"name": "seed001-single-unit-softmax", "description": "...", "history": "logs/x.log",
 *  "loss": "categorical-crossentropy", "task": "binary", "classes": 2, "expect": {"findings": ["single-unit-softmax"]}}
 * ```
 *
 * @module
 */
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { FileSource } from "../io.ts";
import type { GalleryEntry, Report } from "../report/types.ts";
import { FINDING_CODES } from "../report/types.ts";
import { parseJsonText } from "../scenario/json_text.ts";
import type { Engines } from "./types.ts";

const AuditCase = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().optional(),
  /** The log, relative to the case file. */
  history: z.string(),
  loss: z.string().optional(),
  task: z.enum(["binary", "multiclass", "multilabel", "regression"]).optional(),
  classes: z.number().int().min(2).optional(),
  /** Where the log comes from (a thread, a script): documentation only. */
  source: z.string().optional(),
  expect: z.strictObject({ findings: z.array(z.enum(FINDING_CODES)) }),
});

/** One audit case, read and checked. */
export type AuditCase = z.infer<typeof AuditCase>;

/** Reads an audit case file; a bad one is an InputError naming the file and key. */
export async function readAuditCase(path: string, source: FileSource): Promise<AuditCase> {
  const doc = parseJsonText(await source.readText(path), path);
  const parsed = AuditCase.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file: path, field: issue.path.join(".") || undefined });
  }
  return parsed.data;
}

/**
 * Runs one audit case. A healthy case (no expected codes) passes only with no error and no warning:
 * a log-only audit that warns on a healthy log is a defect.
 */
export async function runAuditCase(
  path: string,
  engines: Engines,
  source: FileSource,
): Promise<{ entry: Omit<GalleryEntry, "ms">; report: Report }> {
  const c = await readAuditCase(path, source);
  const report = await engines.audit({
    history: source.resolve(path, c.history),
    loss: c.loss,
    task: c.task,
    classes: c.classes,
    split: "validation",
    fromLogits: false,
    source,
  });
  const found = report.findings.filter((f) => f.severity !== "info").map((f) => f.code);
  const ok = c.expect.findings.length === 0
    ? found.length === 0
    : c.expect.findings.every((code) => found.includes(code));
  return { entry: { name: c.name, expected: c.expect.findings, found, ok }, report };
}
