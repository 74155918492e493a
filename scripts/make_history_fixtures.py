"""Writes the TensorBoard fixtures of test/fixtures/history/ and the event-file cases of
test/bad_inputs/history/ with the real writers: PyTorch's torch.utils.tensorboard.SummaryWriter
(simple_value scalars, and new_style=True TF2 tensor scalars, float and double) and TensorBoard's own
EventFileWriter (a DT_HALF tensor scalar, which SummaryWriter cannot write). The numbers come from a
real training run: a small PyTorch MLP on scikit-learn's breast-cancer data, 8 epochs.

Run with a Python that has torch, scikit-learn and the `tensorboard` package (SummaryWriter needs it;
Debian has no python3-tensorboard, so: `/usr/bin/python3 -m venv --system-site-packages /tmp/tb &&
/tmp/tb/bin/pip install tensorboard && /tmp/tb/bin/python scripts/make_history_fixtures.py`). The
outputs are committed, so CI needs none of them.
"""
import os
import shutil
import struct

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from torch.utils.tensorboard import SummaryWriter
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

ROOT = os.path.join(os.path.dirname(__file__), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "history")
BAD = os.path.join(ROOT, "test", "bad_inputs", "history")


def train(epochs=8):
    """A healthy run: returns per-epoch (train_loss, train_acc, val_loss, val_acc)."""
    torch.manual_seed(0)
    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    n_val = len(y) // 5
    scaler = StandardScaler().fit(x[n_val:])
    xt = torch.tensor(scaler.transform(x[n_val:]), dtype=torch.float32)
    yt = torch.tensor(y[n_val:], dtype=torch.float32)
    xv = torch.tensor(scaler.transform(x[:n_val]), dtype=torch.float32)
    yv = torch.tensor(y[:n_val], dtype=torch.float32)
    model = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rows = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(yt))
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(yt), 32):
            idx = perm[i:i + 32]
            logits = model(xt[idx]).squeeze(1)
            loss = loss_fn(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += ((logits > 0).float() == yt[idx]).sum().item()
            seen += len(idx)
        model.eval()
        with torch.no_grad():
            lv = model(xv).squeeze(1)
            vl = loss_fn(lv, yv).item()
            va = ((lv > 0).float() == yv).float().mean().item()
        rows.append((total / seen, correct / seen, vl, va))
    return rows


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def main():
    rows = train()
    # PyTorch layout: one run directory, tags "Loss/train" etc. at step = epoch, written by two
    # writers (the loop was restarted after epoch 4), so two event files.
    d = os.path.join(OUT, "tb_pytorch")
    fresh(d)
    for part in (range(0, 4), range(4, 8)):
        w = SummaryWriter(log_dir=d)
        for e in part:
            tl, ta, vl, va = rows[e]
            w.add_scalar("Loss/train", tl, e)
            w.add_scalar("Loss/val", vl, e)
            w.add_scalar("Accuracy/train", ta, e)
            w.add_scalar("Accuracy/val", va, e)
        w.close()
    # Keras layout: train/ and validation/ subdirectories, epoch_* tags at step = epoch from 0, as
    # TF2 tensor scalars (new_style) like tf.summary.scalar writes them; accuracy as double.
    d = os.path.join(OUT, "tb_keras_layout")
    fresh(d)
    for split, (li, ai) in (("train", (0, 1)), ("validation", (2, 3))):
        w = SummaryWriter(log_dir=os.path.join(d, split))
        for e, r in enumerate(rows):
            w.add_scalar("epoch_loss", r[li], e, new_style=True)
            w.add_scalar("epoch_accuracy", r[ai], e, new_style=True, double_precision=True)
        w.close()
    # A DT_HALF tensor scalar, through TensorBoard's own event writer.
    d = os.path.join(OUT, "tb_half")
    fresh(d)
    w = EventFileWriter(d)
    for e, r in enumerate(rows[:3]):
        half = struct.unpack("<H", np.float16(r[0]).tobytes())[0]
        t = tensor_pb2.TensorProto(dtype=types_pb2.DT_HALF, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                   half_val=[half])
        md = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
        v = summary_pb2.Summary.Value(tag="epoch_loss", tensor=t, metadata=md if e == 0 else None)
        w.add_event(event_pb2.Event(step=e, wall_time=1.0 + e, summary=summary_pb2.Summary(value=[v])))
    w.close()
    # The TF1-era Keras callback's layout: loss, acc, val_loss, val_acc as simple_value scalars in one
    # directory at step = epoch from 0 (keras 2.2 wrote tf.Summary.Value(tag=name, simple_value=v)).
    d = os.path.join(OUT, "tb_keras_tf1")
    fresh(d)
    w = EventFileWriter(d)
    for e, r in enumerate(rows[:5]):
        values = [summary_pb2.Summary.Value(tag=t, simple_value=v)
                  for t, v in zip(("loss", "acc", "val_loss", "val_acc"), r)]
        w.add_event(event_pb2.Event(step=e, wall_time=1.0 + e, summary=summary_pb2.Summary(value=values)))
    w.close()
    # Bad files, made from a good one: cut inside the last record; one data byte flipped.
    os.makedirs(BAD, exist_ok=True)
    src = sorted(os.listdir(os.path.join(OUT, "tb_keras_layout", "train")))[0]
    data = open(os.path.join(OUT, "tb_keras_layout", "train", src), "rb").read()
    open(os.path.join(BAD, "events.out.tfevents.truncated"), "wb").write(data[:-7])
    flipped = bytearray(data)
    flipped[40] ^= 0x01
    open(os.path.join(BAD, "events.out.tfevents.crc_mismatch"), "wb").write(bytes(flipped))
    with open(os.path.join(OUT, "tb_expected.txt"), "w") as f:
        for e, r in enumerate(rows):
            f.write("%d %.9g %.9g %.9g %.9g\n" % ((e,) + r))


if __name__ == "__main__":
    main()
