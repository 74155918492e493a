/**
 * The "Your CSV" panel: load a file, pick the target column(s), edit the layers, loss, optimizer
 * and training settings. It only gathers values: src/browser/form_scenario.ts turns them into a
 * scenario validated by the scenario schema.
 *
 * @module
 */
import { csvColumns, type PlaygroundForm } from "../../src/browser/form_scenario.ts";
import { ACTIVATIONS, LOSSES } from "../../src/scenario/types.ts";
import { byId, h } from "./dom.ts";

/** The loaded file: its name and text. */
export interface LoadedCsv {
  name: string;
  text: string;
}

/** Wires the panel; `onError` shows a problem with the file (one line), `onReady` enables running. */
export function setUpCsvForm(options: { onError(e: unknown): void; onReady(ready: boolean): void }): {
  read(): PlaygroundForm;
  csv(): LoadedCsv | null;
} {
  let loaded: LoadedCsv | null = null;
  const file = byId("csv-file", HTMLInputElement);
  const target = byId("target", HTMLSelectElement);
  const layers = byId("layers", HTMLOListElement);
  const loss = byId("loss", HTMLSelectElement);
  loss.append(...LOSSES.map((l) => h("option", { selected: l === "categorical-crossentropy" }, l)));

  const addLayer = (units: number, activation: string) => {
    const remove = h("button", { type: "button", title: "remove this layer" }, "×");
    const li = h(
      "li",
      {},
      h("input", { class: "units", value: units, inputmode: "numeric", "aria-label": "units" }),
      " units, ",
      h(
        "select",
        { class: "activation", "aria-label": "activation" },
        ...ACTIVATIONS.map((a) => h("option", { selected: a === activation }, a)),
      ),
      " ",
      remove,
    );
    remove.addEventListener("click", () => li.remove());
    layers.append(li);
  };
  addLayer(32, "relu");
  addLayer(3, "softmax");
  byId("add-layer", HTMLButtonElement).addEventListener("click", () => {
    // New layers go before the output layer: the last row stays the output.
    addLayer(16, "relu");
    const rows = [...layers.children];
    if (rows.length > 1) layers.insertBefore(rows[rows.length - 1], rows[rows.length - 2]);
  });

  file.addEventListener("change", async () => {
    loaded = null;
    target.replaceChildren();
    options.onReady(false);
    const f = file.files?.[0];
    if (!f) return;
    try {
      const text = await f.text();
      const columns = await csvColumns(f.name, text);
      // Default target: the last column, the usual place for labels in exported tables.
      target.append(
        ...columns.map((c, i) =>
          h(
            "option",
            { value: c.name, selected: i === columns.length - 1 },
            `${c.name} (${c.numeric ? "numeric" : "text"}, ${c.distinct > 20 ? "20+" : c.distinct} distinct)`,
          )
        ),
      );
      loaded = { name: f.name, text };
      options.onReady(true);
    } catch (e) {
      options.onError(e);
    }
  });

  return {
    csv: () => loaded,
    read: () => ({
      csvName: loaded?.name ?? "",
      target: [...target.selectedOptions].map((o) => o.value),
      task: byId("task", HTMLSelectElement).value,
      layers: [...layers.children].map((li) => ({
        units: (li.querySelector(".units") as HTMLInputElement).value,
        activation: (li.querySelector(".activation") as HTMLSelectElement).value,
      })),
      loss: loss.value,
      fromLogits: byId("from-logits", HTMLInputElement).checked,
      optimizer: byId("optimizer", HTMLSelectElement).value,
      learningRate: byId("lr", HTMLInputElement).value,
      epochs: byId("epochs", HTMLInputElement).value,
      batchSize: byId("batch", HTMLInputElement).value,
      metrics: byId("metrics", HTMLInputElement).value,
    }),
  };
}
