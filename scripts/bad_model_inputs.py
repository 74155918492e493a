"""Bad model files for the bad-input corpus (test/bad_inputs/model/), made from real files: truncations and
removals applied to the committed fixtures (tfjs saves, torch.onnx.export outputs, Keras files), and two
real exports of what fitcheck does not import (an ONNX Abs operator, a Keras LSTM layer).

Run: /usr/bin/python3 scripts/bad_model_inputs.py
"""
import io
import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "..", "test", "fixtures", "models")
OUT = os.path.join(HERE, "..", "test", "bad_inputs", "model")
os.makedirs(OUT, exist_ok=True)


def read(path):
    with open(os.path.join(FIX, path), "rb") as f:
        return f.read()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


keras = read("keras/healthy-logits-sparse.keras")
write("truncated.keras", keras[: len(keras) // 2])
write("not_a_zip.keras", b"this is a text file saved with a .keras name\n")
with zipfile.ZipFile(io.BytesIO(keras)) as z:
    config = z.read("config.json")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("config.json", config)
write("no_weights.keras", buf.getvalue())

# An LSTM layer (Keras 3 config as saved), weights as Keras 3 saves them.
cfg = json.loads(config)
lstm = {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 8}, "registered_name": None}
cfg["config"]["layers"].insert(1, lstm)
with zipfile.ZipFile(io.BytesIO(keras)) as z:
    weights = z.read("model.weights.h5")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", weights)
write("unsupported_layer.keras", buf.getvalue())

h5 = read("keras/legacy-tanh-softmax.h5")
write("truncated.h5", h5[: len(h5) // 3])
with h5py.File(os.path.join(OUT, "weights_only.h5"), "w") as f:
    g = f.create_group("dense")
    g.create_dataset("dense/kernel:0", data=np.zeros((4, 3), np.float32))

onnx = read("onnx/mlp-iris-logits.onnx")
write("truncated.onnx", onnx[: len(onnx) - 200])


class Abs(nn.Module):
    def forward(self, x):
        return x.abs()


torch.onnx.export(nn.Sequential(nn.Linear(4, 3), Abs()), torch.zeros(1, 4), os.path.join(OUT, "unsupported_op.onnx"),
                  opset_version=13, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

# tfjs: a model.json whose shard is missing; another whose shard is truncated.
for name in ("tfjs_missing_shard", "tfjs_truncated_shard"):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(FIX, "tfjs", "mlp-iris-healthy", "model.json"), os.path.join(d, "model.json"))
shard = read("tfjs/mlp-iris-healthy/group1-shard1of1.bin")
with open(os.path.join(OUT, "tfjs_truncated_shard", "group1-shard1of1.bin"), "wb") as f:
    f.write(shard[:100])

# Data with 2 features for a 4-input model.
with open(os.path.join(OUT, "two_features.csv"), "w") as f:
    f.write("a,b,species\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2\n0.7,0.8,0\n")
shutil.copy(os.path.join(FIX, "data", "iris.csv"), os.path.join(OUT, "iris.csv"))
