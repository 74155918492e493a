"""ONNX fixtures for the model importer, exported by PyTorch itself (torch.onnx.export, opset 13).

Run with Debian's python3 (PyTorch 1.13): /usr/bin/python3 scripts/fixtures_onnx.py
Writes test/fixtures/models/onnx/<name>.onnx and <name>.expected.json: a few input rows (in the graph's own
layout, NCHW for images) and torch's outputs on them, so the test can check fitcheck's forward pass on the
imported weights. Each model is trained for a few epochs first so that its weights are not the initial ones.
The outputs are committed: CI needs no Python.
"""
import json
import os

import numpy as np
import torch
from sklearn.datasets import load_digits, load_iris
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models", "onnx")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(1)


class AffineMatMulAdd(nn.Module):
    """x @ W + b written out: torch exports it as MatMul then Add (not Gemm)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_in, n_out) * 0.3)
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.w + self.b


class MeanOverSteps(nn.Module):
    def forward(self, x):
        return x.mean(dim=1)


def train(model, x, y, loss_fn, epochs=30, lr=0.01):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    model.eval()


def export(name, model, x_rows, input_name="input"):
    model.eval()
    with torch.no_grad():
        out = model(x_rows)
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(
        model, x_rows, path, opset_version=13, input_names=[input_name], output_names=["output"],
        dynamic_axes={input_name: {0: "batch"}, "output": {0: "batch"}},
    )
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump({
            "framework": "torch " + torch.__version__,
            "inputShape": list(x_rows.shape),
            "inputs": x_rows.reshape(x_rows.shape[0], -1).tolist(),
            "outputs": out.tolist(),
        }, f)
        f.write("\n")


iris = load_iris()
xi = torch.tensor((iris.data - iris.data.mean(0)) / iris.data.std(0), dtype=torch.float32)
yi = torch.tensor(iris.target)

# Healthy: logits into CrossEntropyLoss.
mlp = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
train(mlp, xi, yi, nn.CrossEntropyLoss())
export("mlp-iris-logits", mlp, xi[::30])

# Buggy (seed 000 example 2's advice): a Softmax before CrossEntropyLoss, i.e. a double softmax.
mlp_sm = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 3), nn.Softmax(dim=1))
train(mlp_sm, xi, yi, nn.CrossEntropyLoss())
export("mlp-iris-softmax", mlp_sm, xi[::30])

# MatMul + Add, a bias-free Linear (MatMul on a transposed initializer), Sigmoid, LogSoftmax.
mm = nn.Sequential(AffineMatMulAdd(4, 8), nn.Sigmoid(), nn.Linear(8, 3, bias=False), nn.LogSoftmax(dim=1))
train(mm, xi, yi, nn.NLLLoss())
export("matmul-add-iris", mm, xi[::30])

# A CNN on the 8x8 digits, NCHW as PyTorch users feed it.
digits = load_digits()
xd = torch.tensor(digits.data / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
yd = torch.tensor(digits.target)
cnn = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
)
train(cnn, xd[:600], yd[:600], nn.CrossEntropyLoss(), epochs=10)
export("cnn-digits", cnn, xd[:4])

# A CNN written the common way: x.view(x.size(0), -1) (Shape -> Gather -> Unsqueeze -> Concat -> Reshape),
# log_softmax, exported at torch's default opset with fixed (not dynamic) batch dims.
class ViewNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        x = x.view(x.size(0), -1)
        return torch.log_softmax(self.fc(x), dim=1)


view = ViewNet()
train(view, xd[:600], yd[:600], nn.NLLLoss(), epochs=10)
with torch.no_grad():
    out = view(xd[:4])
torch.onnx.export(view, xd[:4], os.path.join(OUT, "cnn-view-default-opset.onnx"), input_names=["image"])
with open(os.path.join(OUT, "cnn-view-default-opset.expected.json"), "w") as f:
    json.dump({"framework": "torch " + torch.__version__, "inputShape": list(xd[:4].shape),
               "inputs": xd[:4].reshape(4, -1).tolist(), "outputs": out.tolist()}, f)
    f.write("\n")

# A binary MLP with BatchNorm1d (its running statistics exported through Identity nodes) and a sigmoid.
bn = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
train(bn, xi, (yi == 0).float().reshape(-1, 1), nn.BCELoss())
export("mlp-batchnorm-binary", bn, xi[::30])

# An embedding model on token ids: Embedding (Gather), mean over steps (ReduceMean), Linear.
tokens = torch.randint(0, 20, (200, 6))
ytok = (tokens[:, 0] >= 10).long()
emb = nn.Sequential(nn.Embedding(20, 4), MeanOverSteps(), nn.Linear(4, 2))
train(emb, tokens, ytok, nn.CrossEntropyLoss())
model = emb
model.eval()
with torch.no_grad():
    out = model(tokens[:4])
path = os.path.join(OUT, "embedding-tokens.onnx")
torch.onnx.export(model, tokens[:4], path, opset_version=13, input_names=["tokens"], output_names=["output"],
                  dynamic_axes={"tokens": {0: "batch"}, "output": {0: "batch"}})
with open(os.path.join(OUT, "embedding-tokens.expected.json"), "w") as f:
    json.dump({"framework": "torch " + torch.__version__, "inputShape": list(tokens[:4].shape),
               "inputs": tokens[:4].tolist(), "outputs": out.tolist()}, f)
    f.write("\n")

# Data for the gallery and CLI tests: standardized iris as CSV (class index target).
data_dir = os.path.join(OUT, "..", "data")
os.makedirs(data_dir, exist_ok=True)
with open(os.path.join(data_dir, "iris.csv"), "w") as f:
    f.write("sepal_length,sepal_width,petal_length,petal_width,species\n")
    for row, t in zip(xi.tolist(), iris.target.tolist()):
        f.write(",".join(f"{v:.5f}" for v in row) + f",{t}\n")
