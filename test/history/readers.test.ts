/**
 * The log readers on real files: TensorBoard event files written by PyTorch's SummaryWriter and
 * TensorBoard's own writer (scripts/make_history_fixtures.py; the expected numbers are the same run's,
 * in tb_expected.txt), a Lightning run committed to a public repository (test/fixtures/history/
 * lightning_mnist, MIT), Keras console output and PyTorch epoch lines pasted in public threads
 * (examples/audits/logs). Every reader produces the same History shape.
 */
import { describe, expect, it } from "vitest";
import { readHistory } from "../../src/history/mod.ts";
import { crc32c as awsCrc32c } from "@aws-crypto/crc32c";
import fc from "fast-check";
import { crc32c } from "../../src/history/crc32c.ts";
import { halfToNumber } from "../../src/history/tf_event.ts";
import { maskedCrc32c, readTfRecords } from "../../src/history/tfrecord.ts";
import { InputError } from "../../src/errors.ts";
import { memoryFileSource } from "../../src/io.ts";
import { denoFileSource } from "../../src/cli/deno_file_source.ts";

const ROOT = Deno.cwd();
const FIX = `${ROOT}/test/fixtures/history`;
const LOGS = `${ROOT}/examples/audits/logs`;
const source = denoFileSource();
const expected = Deno.readTextFileSync(`${FIX}/tb_expected.txt`).trim().split("\n").map((l) =>
  l.split(" ").map(Number)
);
// SummaryWriter stores float32: the float64 run values round to within half a float32 ulp (2^-24 relative).
const f32 = (x: number) => Math.fround(x);

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("TFRecord framing", () => {
  it("computes CRC-32C exactly as @aws-crypto/crc32c does", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => crc32c(b) === awsCrc32c(b) >>> 0));
  });
  it("masks CRC-32C as TensorFlow does (known value of the empty string's length record)", () => {
    // The first record header of every event file: uint64 length 24 and its masked CRC, as written by
    // the real writer in the fixture.
    const bytes = Deno.readFileSync(
      `${FIX}/tb_half/${[...Deno.readDirSync(`${FIX}/tb_half`)][0].name}`,
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(8, true)).toBe(maskedCrc32c(bytes.subarray(0, 8)));
    expect(readTfRecords(bytes, "f").length).toBe(4); // file_version + 3 scalars
  });
  it("names the record and byte of a truncation and of a CRC mismatch", () => {
    const bytes = Deno.readFileSync(`${ROOT}/test/bad_inputs/history/events.out.tfevents.truncated`);
    expect(() => readTfRecords(bytes, "f")).toThrow(/record 17 \(byte 1130\): truncated/);
    const bad = Deno.readFileSync(`${ROOT}/test/bad_inputs/history/events.out.tfevents.crc_mismatch`);
    expect(() => readTfRecords(bad, "f")).toThrow(/record 1 \(byte 0\): data CRC mismatch/);
    const header = bytes.slice(0, 20);
    header[9] ^= 1;
    expect(() => readTfRecords(header, "f")).toThrow(/length CRC mismatch/);
  });
  it("decodes binary16", () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0xc000)).toBe(-2);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(halfToNumber(0x7e00))).toBe(true);
  });
});

describe("TensorBoard", () => {
  it("reads a PyTorch SummaryWriter run directory of two files (simple_value, Loss/train tags)", async () => {
    const h = await readHistory(`${FIX}/tb_pytorch`, source);
    expect(h.format).toBe("tensorboard");
    expect(h.keys.sort()).toEqual(["Accuracy/train", "Accuracy/val", "Loss/train", "Loss/val"]);
    expect(h.axis).toBe("step");
    expect(h.epochs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.values["Loss/train"]).toEqual(expected.map((r) => f32(r[1])));
    expect(h.values["Accuracy/val"]).toEqual(expected.map((r) => f32(r[4])));
  });
  it("reads Keras's train/ and validation/ layout with TF2 tensor scalars (float and double)", async () => {
    const h = await readHistory(`${FIX}/tb_keras_layout`, source);
    expect(h.axis).toBe("epoch");
    expect(h.epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.values["validation/epoch_loss"]).toEqual(expected.map((r) => f32(r[3])));
    // double_precision=True: the float64 value itself, to the 9 digits the expectation file keeps.
    h.values["train/epoch_accuracy"].forEach((v, i) => expect(v).toBeCloseTo(expected[i][2], 8));
  });
  it("reads a DT_HALF tensor scalar whose metadata is on the first value only", async () => {
    const h = await readHistory(`${FIX}/tb_half`, source);
    expect(h.keys).toEqual(["epoch_loss"]);
    // binary16 has 11 significant bits: |half - x| <= 2^-11 * |x|.
    h.values.epoch_loss.forEach((v, i) =>
      expect(Math.abs(v! - expected[i][1])).toBeLessThanOrEqual(2 ** -11 * expected[i][1])
    );
  });
  it("reads a real Lightning TensorBoardLogger run: steps mapped to epochs by the epoch tag", async () => {
    const h = await readHistory(`${FIX}/lightning_mnist/tb_version_1`, source);
    expect(h.keys).toEqual(["val_loss", "val_accuracy", "train_loss", "test_accuracy", "test_loss"]);
    expect(h.epochs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.values.val_accuracy.slice(0, 5)).toEqual([0.9828, 0.9856, 0.986, 0.9852, 0.988].map(f32));
    expect(h.values.train_loss[5]).toBeNull();
  });
  it("reads the TF1-era Keras callback's loss/acc/val_loss tags at step = epoch from 0 as epochs", async () => {
    const h = await readHistory(`${FIX}/tb_keras_tf1`, source);
    expect(h.keys).toEqual(["loss", "acc", "val_loss", "val_acc"]);
    expect(h.axis).toBe("epoch");
    expect(h.epochs).toEqual([1, 2, 3, 4, 5]);
    expect(h.values.val_acc).toEqual(expected.slice(0, 5).map((r) => f32(r[4])));
  });
  it("refuses a directory without event files, naming it", async () => {
    const e = await inputError(readHistory("/d", memoryFileSource({ "/d/notes.txt": "x" })));
    expect(e.message).toMatch(/^\/d: no TensorBoard event files/);
  });
});

describe("Lightning metrics.csv", () => {
  it("reads a real file: per-step train_loss, per-epoch val rows, a test row", async () => {
    const h = await readHistory(`${FIX}/lightning_mnist/metrics.csv`, source);
    expect(h.format).toBe("lightning-csv");
    expect(h.keys).toEqual(["test_loss", "train_loss", "val_accuracy", "val_loss"]);
    expect(h.epochs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.values.val_loss.slice(0, 2)).toEqual([0.07106363773345947, 0.045888353139162064]);
    expect(h.steps!.train_loss.values.length).toBe(171); // pandas: df.train_loss.notna().sum()
    expect(h.steps!.train_loss.steps[0]).toBe(49);
  });
  it("keeps *_step columns per step and reads *_epoch ones per epoch; nan stays NaN, blank is null", async () => {
    const csv =
      "epoch,step,train_loss_step,train_loss_epoch,val_loss\n0,9,0.7,,\n0,19,0.6,,\n0,19,,0.65,0.6\n" +
      "1,29,nan,,\n1,39,0.5,,\n1,39,,nan,\n";
    const h = await readHistory("/m.csv", memoryFileSource({ "/m.csv": csv }));
    expect(h.keys).toEqual(["train_loss_epoch", "val_loss"]);
    expect(h.values.train_loss_epoch[0]).toBe(0.65);
    expect(Number.isNaN(h.values.train_loss_epoch[1])).toBe(true);
    expect(h.values.val_loss).toEqual([0.6, null]);
    expect(h.steps!.train_loss_step.steps).toEqual([9, 19, 29, 39]);
  });
});

describe("console logs", () => {
  it("takes each epoch's final Keras redraw, not the ETA ones, and skips evaluate() bars", async () => {
    const log =
      "Epoch 1/2\n\r 1/32 [>.....] - ETA: 3s - loss: 0.9000 - accuracy: 0.1000\r32/32 [======] - 1s 3ms/step - loss: 0.6931 - accuracy: 0.5000 - val_loss: 0.6000 - val_accuracy: 0.6000\n" +
      "Epoch 2/2\n32/32 - 0s - loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.5500 - val_accuracy: 0.7000\n4/4 ━━━━ 0s 2ms/step - accuracy: 0.1 - loss: 9.9\n";
    const h = await readHistory("/fit.log", memoryFileSource({ "/fit.log": log }));
    expect(h.format).toBe("keras-console");
    expect(h.values).toEqual({
      loss: [0.6931, 0.5],
      accuracy: [0.5, 0.75],
      val_loss: [0.6, 0.55],
      val_accuracy: [0.6, 0.7],
    });
  });
  it("reads real pasted Keras 1 and Keras 3 logs, nan included", async () => {
    const k1 = await readHistory(`${LOGS}/keras1-nan-epoch2.log`, source);
    expect(k1.epochs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(k1.values.val_acc[0]).toBe(0.747);
    expect(Number.isNaN(k1.values.loss[1])).toBe(true);
    const k3 = await readHistory(`${LOGS}/keras3-overfitting-reuters.log`, source);
    expect(k3.values.loss[9]).toBe(0.7765); // not the evaluate() bar's 1.9418
    const lr = await readHistory(`${LOGS}/keras3-reduce-lr-healthy.log`, source);
    expect(lr.values.learning_rate[4]).toBe(5e-4);
  });
  it("reads PyTorch epoch lines in their common spellings", async () => {
    const read = (t: string) => readHistory("/l.txt", memoryFileSource({ "/l.txt": t }));
    const a = await read("Epoch 0, Loss: 0.69, Accuracy: 85.5%\nEpoch 1, Loss: 0.5, Accuracy: 90%\n");
    expect(a.epochs).toEqual([1, 2]);
    expect(a.values).toEqual({ Loss: [0.69, 0.5], Accuracy: [0.855, 0.9] });
    const b = await read(
      "epoch=1 train_loss=0.52 val_acc=0.81 time=3.2s\nepoch=2 train_loss=0.40 val_acc=0.84 time=3.1s\n",
    );
    expect(b.values).toEqual({ train_loss: [0.52, 0.4], val_acc: [0.81, 0.84] });
    const c = await read(
      "Epoch 1/2\n----------\ntrain Loss: 0.6 Acc: 0.7\nval Loss: 0.65 Acc: 0.68\nEpoch 2/2\ntrain Loss: 0.5 Acc: 0.8\nval Loss: 0.6 Acc: 0.7\n",
    );
    expect(c.values).toEqual({
      train_Loss: [0.6, 0.5],
      train_Acc: [0.7, 0.8],
      val_Loss: [0.65, 0.6],
      val_Acc: [0.68, 0.7],
    });
    const d = await read(
      "Epoch [1/2], Step [100/600], Loss: 0.3\nEpoch [1/2], Step [200/600], Loss: 0.2\nEpoch [2/2], Step [100/600], Loss: 0.1\n",
    );
    expect(d.values).toEqual({ Loss: [0.2, 0.1] });
    expect(d.steps!.Loss.steps).toEqual([100, 200, 100]);
    const e = await read(Deno.readTextFileSync(`${LOGS}/tf-epoch-lines-nan.txt`)); // newlines lost in the paste
    expect(e.epochs).toEqual([1, 2, 3, 4, 5]);
    expect(e.values.Accuracy).toEqual([0.71875, 0.822917, 0.166667, 0.166667, 0.166667]);
  });
});
