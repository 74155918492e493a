/**
 * The audit on hand-built inputs: input errors, key names, the definition catalogue (Keras 2 vs 3
 * clipping, sums, double softmax, one-unit argmax), regression, written precision.
 */
import { describe, expect, it } from "vitest";
import { audit, classifyKey } from "../../src/audit/mod.ts";
import { writtenPrecision } from "../../src/audit/inputs.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import type { Report } from "../../src/report/types.ts";

const codes = (r: Report) => r.findings.map((f) => f.code);
const entry = (r: Report, q: string) =>
  r.consistency.find((c) => c.quantity === q) as unknown as {
    ok: boolean;
    definition: string;
    status: string;
  };

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("key names", () => {
  it("normalises Keras and tfjs spellings", () => {
    expect(classifyKey("val_accuracy")).toMatchObject({
      split: "validation",
      base: "accuracy",
      family: "accuracy",
    });
    expect(classifyKey("acc")).toMatchObject({ split: "train", family: "accuracy", tags: [] });
    expect(classifyKey("val_binaryAccuracy")).toMatchObject({ family: "accuracy", tags: ["binary"] });
    expect(classifyKey("sparse_categorical_accuracy")).toMatchObject({
      family: "accuracy",
      tags: ["argmax"],
    });
    expect(classifyKey("val_precision_1")).toMatchObject({ base: "precision", family: "precision" });
    expect(classifyKey("top_k_categorical_accuracy").family).toBe("top-k");
    expect(classifyKey("top3_acc").tags).toEqual(["k=3"]);
    expect(classifyKey("meanSquaredError").family).toBe("mse");
    expect(classifyKey("val_root_mean_squared_error").family).toBe("rmse");
    expect(classifyKey("categorical_crossentropy")).toMatchObject({ family: "loss", tags: ["crossentropy"] });
    expect(classifyKey("lr")).toMatchObject({ family: null, bookkeeping: true });
    expect(classifyKey("my_custom_acc").family).toBe("accuracy");
  });
});

describe("written precision", () => {
  it("finds the decimals a file was printed with", () => {
    expect(writtenPrecision(Float64Array.from([0.1234, 0.5, 1]))).toBeCloseTo(0.5e-4, 12);
    expect(writtenPrecision(Float64Array.from([0.8333333134651184]))).toBe(0);
    expect(writtenPrecision(Float64Array.from([0, 1, 2]))).toBe(0);
  });
});

describe("input errors name the file and the field", () => {
  const base = {
    "/y.csv": "label\n0\n1\n2\n",
    "/p.csv": "0.8,0.1,0.1\n0.1,0.8,0.1\n0.1,0.1,0.8\n",
    "/h.json": JSON.stringify({ loss: [1, 0.5], val_loss: [1, 0.6] }),
  };
  const opts = { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" };

  it("row counts that disagree", async () => {
    const e = await inputError(audit(opts, memoryFileSource({ ...base, "/p.csv": "0.8,0.1,0.1\n" })));
    expect(e.location.file).toBe("/p.csv");
    expect(e.message).toMatch(/1 prediction rows but 3 label rows/);
  });
  it("malformed history", async () => {
    let e = await inputError(audit(opts, memoryFileSource({ ...base, "/h.json": '{"loss": [1, ' })));
    expect(e.location.file).toBe("/h.json");
    e = await inputError(
      audit(opts, memoryFileSource({ ...base, "/h.json": '{"loss": [1, 2], "val_loss": [1]}' })),
    );
    expect(e.location.field).toBe("val_loss");
    e = await inputError(audit(opts, memoryFileSource({ ...base, "/h.json": '{"loss": [1, "x"]}' })));
    expect(e.location.field).toBe("loss[1]");
  });
  it("an epoch that does not exist", async () => {
    const e = await inputError(audit({ ...opts, epoch: 7 }, memoryFileSource(base)));
    expect(e.location).toMatchObject({ file: "/h.json", field: "--epoch" });
    expect(e.message).toMatch(/epochs 1..2/);
  });
  it("an unknown split, and a validation split the log does not have", async () => {
    let e = await inputError(audit({ ...opts, split: "test" as "train" }, memoryFileSource(base)));
    expect(e.location.field).toBe("--split");
    e = await inputError(audit(opts, memoryFileSource({ ...base, "/h.json": '{"loss": [1, 0.5]}' })));
    expect(e.message).toMatch(/--split train/);
  });
  it("labels that are not class indices for the outputs", async () => {
    const e = await inputError(audit(opts, memoryFileSource({ ...base, "/y.csv": "label\n0\n1\n3\n" })));
    expect(e.location).toMatchObject({ file: "/y.csv", row: 3, field: "label" });
  });
  it("NaN predictions are a diverged run, not an input error", async () => {
    const r = await audit(
      opts,
      memoryFileSource({ ...base, "/p.csv": "0.8,0.1,0.1\nnan,nan,nan\n0.1,0.1,0.8\n" }),
    );
    expect(r.findings.map((f) => f.code)).toEqual(["non-finite-loss"]);
    expect(r.findings[0].evidence.firstRows).toEqual([2]);
  });
  it("a text cell in the predictions", async () => {
    const e = await inputError(
      audit(opts, memoryFileSource({ ...base, "/p.csv": "a,b,c\n0.8,0.1,0.1\n0.1,x,0.1\n0.1,0.1,0.8\n" })),
    );
    expect(e.location).toMatchObject({ file: "/p.csv", row: 2, field: "b" });
  });
});

describe("definitions", () => {
  it("recognises tf.keras 2's +1e-7 inside the logs (fixture written by a float32 emulation)", async () => {
    const dir = new URL("../fixtures/audit/keras2_bce_onehot/", import.meta.url);
    const files: Record<string, string> = {};
    for (const f of ["labels.csv", "predictions.csv", "history.csv"]) {
      files[`/k/${f}`] = await Deno.readTextFile(new URL(f, dir));
    }
    const r = await audit({
      labels: "/k/labels.csv",
      predictions: "/k/predictions.csv",
      history: "/k/history.csv",
    }, memoryFileSource(files));
    const loss = entry(r, "validation.loss");
    expect(loss.ok).toBe(true);
    expect(loss.definition).toBe("bce-probs-keras2");
    const forensics = (r.audit as { forensics: { quantity: string; matched: string[] }[] }).forensics;
    expect(forensics.find((f) => f.quantity === "validation.loss")!.matched).not.toContain(
      "bce-probs-keras3",
    );
    expect(codes(r)).toContain("accuracy-semantics-mismatch");
    expect(r.history.length).toBe(3);
    expect(r.consistency[0].epoch).toBe(3); // CSVLogger epoch 2 is the third epoch
  });

  const twoRows = {
    "/y.csv": "0\n1\n",
    "/p.csv": "1.0\n0.5\n",
  };
  it("Keras 3 / tfjs clipping with float32 bounds: a saturated wrong output costs -log(1.19e-7)", async () => {
    const hi = Math.fround(1 - 1e-7);
    const keras3 = (-Math.log(1 - hi) + Math.log(2)) / 2;
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({ ...twoRows, "/h.json": JSON.stringify({ val_loss: [Math.fround(keras3)] }) }),
    );
    expect(entry(r, "validation.loss").definition).toBe("bce-probs-keras3");
    expect(entry(r, "validation.loss").ok).toBe(true);
  });

  it("a loss summed over the split is a loss-mismatch warning naming the sum", async () => {
    // Full-precision predictions (more than 8 decimals): nothing to propagate from their printing.
    const p = [0.0312345678, 0.6712345678, 0.2212345678];
    const mean = -(Math.log(p[0]) + Math.log(p[1]) + Math.log(1 - p[2])) / 3;
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/p.csv": p.join("\n") + "\n",
        "/y.csv": "1\n1\n0\n",
        "/h.json": JSON.stringify({ val_loss: [3 * mean] }),
      }),
    );
    const f = r.findings.find((x) => x.code === "loss-mismatch")!;
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/sum/);
  });

  it("from_logits on softmax outputs (double softmax) is a loss-mismatch error", async () => {
    const p = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]];
    const y = [0, 1, 2];
    const doubled = p.reduce((s, row, i) => {
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      return s + lse - row[y[i]];
    }, 0) / 3;
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": y.join("\n") + "\n",
        "/p.csv": p.map((r) => r.join(",")).join("\n") + "\n",
        "/h.json": JSON.stringify({ val_loss: [doubled], val_accuracy: [1] }),
      }),
    );
    expect(r.findings[0]).toMatchObject({ code: "loss-mismatch", severity: "error" });
    expect(r.findings[0].message).toMatch(/double softmax/);
    expect(entry(r, "validation.accuracy").ok).toBe(true);
  });

  it("categorical accuracy over one sigmoid unit is always 1: accuracy-semantics-mismatch", async () => {
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": "0\n1\n0\n1\n",
        "/p.csv": "0.9\n0.2\n0.3\n0.8\n",
        "/h.json": JSON.stringify({ val_categorical_accuracy: [1] }),
      }),
    );
    const f = r.findings.find((x) => x.code === "accuracy-semantics-mismatch")!;
    expect(f.message).toMatch(/one output unit/);
  });

  it("regression: mse and mae reproduced, accuracy flagged", async () => {
    const y = [1.5, -0.3, 2.2, 0.7], p = [1.2, 0.1, 2.0, 0.9];
    const mse = y.reduce((s, v, i) => s + (v - p[i]) ** 2, 0) / 4;
    const mae = y.reduce((s, v, i) => s + Math.abs(v - p[i]), 0) / 4;
    const acc = y.reduce((s, v, i) => s + (((p[i] > 0.5 ? 1 : 0) === v) ? 1 : 0), 0) / 4;
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": "target\n" + y.join("\n") + "\n",
        "/p.csv": p.join("\n") + "\n",
        "/h.json": JSON.stringify({ val_loss: [mse], val_mae: [mae], val_accuracy: [acc] }),
      }),
    );
    expect((r.audit as { inferred: { task: string } }).inferred.task).toBe("regression");
    expect(entry(r, "validation.loss")).toMatchObject({ ok: true, definition: "mse" });
    expect(entry(r, "validation.mae").ok).toBe(true);
    expect(codes(r)).toEqual(["accuracy-semantics-mismatch"]);
  });

  it("predictions and log printed with 4 decimals still match (precision propagated)", async () => {
    const p = [[0.71234, 0.18766, 0.1], [0.05, 0.90001, 0.04999], [0.33335, 0.33333, 0.33332]];
    const y = [0, 1, 0];
    const ce = -(Math.log(p[0][0]) + Math.log(p[1][1]) + Math.log(p[2][0])) / 3;
    const r4 = (v: number) => Number(v.toFixed(4));
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv", history: "/h.json" },
      memoryFileSource({
        "/y.csv": y.join("\n") + "\n",
        "/p.csv": p.map((row) => row.map(r4).join(",")).join("\n") + "\n",
        "/h.json": JSON.stringify({ val_loss: [r4(ce)], val_acc: [1] }),
      }),
    );
    expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(entry(r, "validation.loss").ok).toBe(true);
  });

  it("text labels map to sorted indices and are reported", async () => {
    const r = await audit(
      { labels: "/y.csv", predictions: "/p.csv" },
      memoryFileSource({ "/y.csv": "species\ncat\ndog\ncat\n", "/p.csv": "0.9,0.1\n0.2,0.8\n0.6,0.4\n" }),
    );
    expect((r.audit as { notes: string[] }).notes.join()).toMatch(/0=cat, 1=dog/);
    expect(r.consistency).toEqual([]);
    expect(r.symptoms?.baseline.majorityClassAccuracy).toBeCloseTo(2 / 3, 12);
  });
});
