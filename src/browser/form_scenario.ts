/**
 * The playground's "your CSV" form as a scenario: the form's values become scenario JSON, which goes
 * through the same schema as a scenario file (src/scenario/), so the page accepts exactly what the
 * CLI accepts and says what is wrong in the same words.
 *
 * @module
 */
import { readCsv } from "../data/csv.ts";
import { InputError, isInputError } from "../errors.ts";
import { type FileSource, memoryFileSource } from "../io.ts";
import { parseScenario } from "../scenario/load.ts";
import type { Scenario } from "../scenario/types.ts";

/** Where the form's scenario "lives", so its CSV resolves next to it in a memory FileSource. */
export const UPLOAD_DIR = "/upload";

/** The form's values as the page reads them: numbers as typed (strings), choices as chosen. */
export interface PlaygroundForm {
  /** The uploaded file's name ("houses.csv"). */
  csvName: string;
  /** Target column names, in order (one, or several for one-hot / multi-label targets). */
  target: string[];
  /** Feature columns; empty or absent: every other column. */
  features?: string[];
  /** "" to let fitcheck infer it. */
  task?: string;
  layers: { units: string | number; activation: string }[];
  loss: string;
  fromLogits?: boolean;
  optimizer: string;
  /** "" for the optimizer's Keras default. */
  learningRate?: string | number;
  epochs?: string | number;
  batchSize?: string | number;
  seed?: string | number;
  /** Comma-separated metric names ("accuracy, f1"). */
  metrics?: string;
}

/** One column of an uploaded CSV, for the target and feature pickers. */
export interface CsvColumnInfo {
  name: string;
  numeric: boolean;
  /** Distinct non-missing values (capped at 21: enough to tell classes from a continuous column). */
  distinct: number;
}

/**
 * The columns of an uploaded CSV, parsed by the same reader as scenario data (so a malformed file
 * fails here, with the row and field, before anything trains).
 *
 * @throws {InputError} naming the file, row and field.
 */
export async function csvColumns(name: string, text: string): Promise<CsvColumnInfo[]> {
  const path = uploadPath(name);
  const table = await readCsv(path, memoryFileSource({ [path]: text }));
  return table.columns.map((c) => {
    const seen = new Set<string | number>();
    for (let r = 0; r < table.rowCount && seen.size <= 20; r++) {
      if (c.text) {
        if (c.text[r] !== "") seen.add(c.text[r]);
      } else if (!Number.isNaN(c.values[r])) seen.add(c.values[r]);
    }
    return { name: c.name, numeric: c.numeric, distinct: seen.size };
  });
}

/** The absolute path an uploaded file has in the playground's memory FileSource. */
export function uploadPath(name: string): string {
  // A file name cannot hold "/", but a pasted name might: keep it one path segment.
  return `${UPLOAD_DIR}/${name.replaceAll("/", "_")}`;
}

/**
 * The scenario JSON the form stands for (before validation). Numeric fields that do not read as
 * numbers are passed on as the text typed, so the schema names the field and the value.
 */
export function formToScenarioJson(form: PlaygroundForm): Record<string, unknown> {
  const optional = (key: string, value: unknown) => (value === undefined ? {} : { [key]: value });
  const metrics = (form.metrics ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
  return {
    name: scenarioName(form.csvName),
    description: `${form.csvName}, built in the playground`,
    ...optional("seed", numberOrText(form.seed)),
    ...(form.task ? { task: form.task } : {}),
    data: {
      csv: form.csvName.replaceAll("/", "_"),
      target: form.target.length === 1 ? form.target[0] : form.target,
      ...(form.features && form.features.length > 0 ? { features: form.features } : {}),
    },
    model: {
      layers: form.layers.map((l) => ({ units: numberOrText(l.units), activation: l.activation })),
    },
    loss: { name: form.loss, fromLogits: form.fromLogits ?? false },
    optimizer: {
      name: form.optimizer,
      ...optional("learningRate", numberOrText(form.learningRate)),
    },
    training: {
      ...optional("epochs", numberOrText(form.epochs)),
      ...optional("batchSize", numberOrText(form.batchSize)),
    },
    metrics,
  };
}

/**
 * Validates the form's scenario with the scenario schema. The error speaks about the form (its field
 * path, the value), not about line numbers of JSON the user never saw.
 *
 * @throws {InputError} `form: field "model.layers[0].units": expected a number, got "abc"`.
 */
export function parseFormScenario(form: PlaygroundForm, source: FileSource): Scenario {
  if (form.target.length === 0) {
    throw new InputError("choose at least one target column", { file: "form", field: "data.target" });
  }
  const json = formToScenarioJson(form);
  try {
    return parseScenario(JSON.stringify(json, null, 2), `${UPLOAD_DIR}/playground.json`, source);
  } catch (e) {
    if (!isInputError(e)) throw e;
    throw new InputError(e.problem, { file: "form", field: e.location.field });
  }
}

/** `"My House_Prices.csv"` → `"my-house-prices"`: a valid scenario name ([a-z0-9-]+). */
export function scenarioName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]*$/, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  );
  return stem === "" ? "uploaded-csv" : stem;
}

function numberOrText(value: string | number | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  const t = value.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}
