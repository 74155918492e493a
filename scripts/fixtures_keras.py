"""Keras fixtures for the model importer: Keras 3 `.keras` archives and Keras 2 `.h5` files.

Keras cannot be installed here, so the files are built with h5py and zipfile to the documented formats
(keras/src/saving/saving_lib.py: a zip of metadata.json, config.json and model.weights.h5 whose layer
variables sit at layers/<name>/vars/<i>; keras/src/legacy/saving/legacy_h5_format.py: root attributes
model_config and training_config, weights at model_weights/<layer>/<layer>/kernel:0 listed by the
layer_names / weight_names attributes). The configs follow what Keras 3 / tf.keras 2 serialize for the same
Sequential models (module / class_name / config / registered_name, build_config, compile_config).

The weights are trained by PyTorch on the same architecture and transposed into Keras's layout (Dense
kernel [in, out], Conv2D kernel [kh, kw, in, out], Flatten in (h, w, c) order); the predictions stored
beside each file are torch's on a few rows, so the importer's layout handling is checked against a real
framework's numbers. Run: /usr/bin/python3 scripts/fixtures_keras.py
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "test", "fixtures", "models", "keras")
GALLERY = os.path.join(HERE, "..", "examples", "scenarios", "models")
os.makedirs(OUT, exist_ok=True)
os.makedirs(GALLERY, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(1)


def k3(module, class_name, config, **extra):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None, **extra}


def initializer(name, config=None):
    return k3("keras.initializers", name, config if config is not None else {"seed": None})


def policy():
    return k3("keras", "DTypePolicy", {"name": "float32"})


def dense_config(name, units, activation, n_in, regularizer=None):
    return k3("keras.layers", "Dense", {
        "name": name, "trainable": True, "dtype": policy(), "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": initializer("GlorotUniform"),
        "bias_initializer": initializer("Zeros", {}),
        "kernel_regularizer": regularizer, "bias_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None,
    }, build_config={"input_shape": [None, n_in]})


def load_csv(path, n_features):
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    return rows[:, :n_features].astype(np.float32), rows[:, n_features:]


def train_torch(model, x, y, loss_fn, epochs=25, lr=0.01):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    model.eval()


def saving_lib_names(class_names):
    """saving_lib's _save_container_state: snake-case class names, numbered per class (not layer.name)."""
    import re
    used, out = {}, []
    for cls in class_names:
        name = re.sub(r"\W+", "", cls)
        name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
        name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append(name)
    return out


def write_keras3(path, layers_config, input_shape, compile_config, weights):
    """weights: [(layer name, [arrays in Keras's own order])], one entry per layer in order."""
    config = k3("keras", "Sequential", {
        "name": "sequential", "trainable": True, "dtype": policy(),
        "layers": [k3("keras.layers", "InputLayer", {
            "batch_shape": [None, *input_shape], "dtype": "float32", "sparse": False, "name": "input_layer",
        })] + layers_config,
    }, build_config={"input_shape": [None, *input_shape]}, compile_config=compile_config)
    h5 = io.BytesIO()
    with h5py.File(h5, "w") as f:
        f.create_group("vars")
        saved = saving_lib_names([l["class_name"] for l in layers_config])
        for (name, arrays), key in zip(weights, saved):
            g = f.create_group(f"layers/{key}/vars")
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a.astype(np.float32))
        f.create_group("optimizer/vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", h5.getvalue())


def write_keras2(path, layers, input_shape, training_config, weights):
    """layers: Keras 2 layer dicts (class_name / config); weights: [(layer name, [(var name, array)])]."""
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {
            "batch_input_shape": [None, *input_shape], "dtype": "float32", "sparse": False, "ragged": False,
            "name": "dense_input"}},
    ] + layers}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(model_config)
        f.attrs["training_config"] = json.dumps(training_config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([n.encode() for n, _ in weights])
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = "2.12.0"
        for name, variables in weights:
            g = mw.create_group(name)
            g.attrs["weight_names"] = np.array([f"{name}/{v}:0".encode() for v, _ in variables])
            for v, a in variables:
                g.create_dataset(f"{name}/{v}:0", data=a.astype(np.float32))


def expected(path, x_rows, outputs, framework):
    with open(path, "w") as f:
        json.dump({"framework": framework, "inputShape": list(x_rows.shape),
                   "inputs": x_rows.reshape(x_rows.shape[0], -1).tolist(), "outputs": outputs.tolist()}, f)
        f.write("\n")


def kernel(linear):
    return linear.weight.detach().numpy().T


def bias(linear):
    return linear.bias.detach().numpy()


TORCH = "torch " + torch.__version__ + " (weights transposed into Keras's layout)"
x3, y3 = load_csv(os.path.join(HERE, "..", "examples", "scenarios", "data", "three_class_onehot.csv"), 4)
xt = torch.tensor(x3)
yt = torch.tensor(y3.argmax(1))
rows = xt[::90]

# Seed 001, example 2 (model_mse): softmax on the hidden layer, mse on one-hot targets (the gallery's).
m = nn.Sequential(nn.Linear(4, 64), nn.Softmax(dim=1), nn.Linear(64, 3), nn.Softmax(dim=1))
train_torch(m, xt, torch.tensor(y3, dtype=torch.float32), nn.MSELoss(), epochs=5)
adam = k3("keras.optimizers", "Adam", {
    "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None, "clipnorm": None,
    "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
    "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False})
compile_mse = {"optimizer": adam, "loss": "mse", "loss_weights": None, "metrics": ["accuracy"],
               "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
for target in (OUT, GALLERY):
    write_keras3(os.path.join(target, "seed-001-ex2-mse-softmax-hidden.keras"),
                 [dense_config("dense", 64, "softmax", 4), dense_config("dense_1", 3, "softmax", 64)], [4],
                 compile_mse, [("dense", [kernel(m[0]), bias(m[0])]), ("dense_1", [kernel(m[2]), bias(m[2])])])
with torch.no_grad():
    expected(os.path.join(OUT, "seed-001-ex2-mse-softmax-hidden.expected.json"), rows, m(rows), TORCH)

# Seed 000, example 1: a linear output under mse for 3 classes.
m = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 3))
train_torch(m, xt, torch.tensor(y3, dtype=torch.float32), nn.MSELoss(), epochs=5)
for target in (OUT, GALLERY):
    write_keras3(os.path.join(target, "seed-000-ex1-linear-mse.keras"),
                 [dense_config("dense", 64, "relu", 4), dense_config("dense_1", 3, "linear", 64)], [4],
                 compile_mse, [("dense", [kernel(m[0]), bias(m[0])]), ("dense_1", [kernel(m[2]), bias(m[2])])])
with torch.no_grad():
    expected(os.path.join(OUT, "seed-000-ex1-linear-mse.expected.json"), rows, m(rows), TORCH)

# Healthy: logits with SparseCategoricalCrossentropy(from_logits=True) as an object, Adam(5e-3), dropout.
m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
train_torch(m, xt, yt, nn.CrossEntropyLoss())
compile_logits = dict(compile_mse)
compile_logits["optimizer"] = json.loads(json.dumps(adam))
compile_logits["optimizer"]["config"]["learning_rate"] = 0.005
compile_logits["loss"] = k3("keras.losses", "SparseCategoricalCrossentropy", {
    "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True,
    "ignore_class": None})
compile_logits["metrics"] = [k3("keras.metrics", "SparseCategoricalAccuracy", {
    "name": "sparse_categorical_accuracy", "dtype": "float32"})]
dropout = k3("keras.layers", "Dropout", {"name": "dropout", "trainable": True, "dtype": policy(), "rate": 0.2,
                                          "seed": None, "noise_shape": None})
for target in (OUT, GALLERY):
    write_keras3(os.path.join(target, "healthy-logits-sparse.keras"),
                 # User-chosen layer names: the weights file still names them by class (dense, dropout, dense_1).
                 [dense_config("hidden", 16, "relu", 4), dropout, dense_config("logits", 3, "linear", 16)], [4],
                 compile_logits, [("hidden", [kernel(m[0]), bias(m[0])]), ("dropout", []),
                                  ("logits", [kernel(m[3]), bias(m[3])])])
with torch.no_grad():
    expected(os.path.join(OUT, "healthy-logits-sparse.expected.json"), rows, m(rows), TORCH)

# A kernel regularizer L2 and a He initializer: mapping only (l2 needs the layer engine's l2).
l2 = k3("keras.regularizers", "L2", {"l2": 0.0005})
write_keras3(os.path.join(OUT, "l2-he-normal.keras"),
             [k3("keras.layers", "Dense", {**dense_config("dense", 4, "relu", 4, l2)["config"],
                                           "kernel_initializer": initializer("HeNormal")},
                 build_config={"input_shape": [None, 4]}),
              dense_config("dense_1", 3, "softmax", 4)], [4],
             {**compile_mse, "loss": "categorical_crossentropy"},
             [("dense", [np.eye(4), np.zeros(4)]), ("dense_1", [np.ones((4, 3)), np.zeros(3)])])

# Keras 2 .h5: tanh then softmax, categorical cross-entropy, tf 2.12's "Custom>Adam" and wrapped metric.
m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.Softmax(dim=1))
train_torch(m, xt, yt, lambda p, y: nn.functional.nll_loss(torch.log(p), y))
legacy_dense = lambda name, units, act: {"class_name": "Dense", "config": {
    "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": act, "use_bias": True,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
    "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}
training_config = {
    "loss": "categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
    "weighted_metrics": None, "loss_weights": None,
    "optimizer_config": {"class_name": "Custom>Adam", "config": {
        "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": False,
        "is_legacy_optimizer": False, "learning_rate": 0.0020000000949949026, "beta_1": 0.9,
        "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}},
}
for target in (OUT, GALLERY):
    write_keras2(os.path.join(target, "legacy-tanh-softmax.h5"),
                 [legacy_dense("dense", 8, "tanh"), legacy_dense("dense_1", 3, "softmax")], [4], training_config,
                 [("dense", [("kernel", kernel(m[0])), ("bias", bias(m[0]))]),
                  ("dense_1", [("kernel", kernel(m[2])), ("bias", bias(m[2]))])])
with torch.no_grad():
    expected(os.path.join(OUT, "legacy-tanh-softmax.expected.json"), rows, m(rows), TORCH)

# A CNN on the 8x8 digits: Conv2D (same), MaxPooling2D, Flatten, Dense; images NHWC as Keras reads them.
digits = load_digits()
xd = torch.tensor(digits.data[:600] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
cnn = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 16, 10),
                    nn.Softmax(dim=1))
train_torch(cnn, xd, torch.tensor(digits.target[:600]), lambda p, y: nn.functional.nll_loss(torch.log(p), y), 10)
conv_k = cnn[0].weight.detach().numpy().transpose(2, 3, 1, 0)  # [out, in, kh, kw] -> [kh, kw, in, out]
w = cnn[4].weight.detach().numpy()  # [10, c*h*w]: rows of Keras's kernel are in (h, w, c) order
dense_k = w.reshape(10, 6, 4, 4).transpose(2, 3, 1, 0).reshape(16 * 6, 10)
tup = lambda *v: list(v)
conv_cfg = k3("keras.layers", "Conv2D", {
    "name": "conv2d", "trainable": True, "dtype": policy(), "filters": 6, "kernel_size": tup(3, 3),
    "strides": tup(1, 1), "padding": "same", "data_format": "channels_last", "dilation_rate": tup(1, 1),
    "groups": 1, "activation": "relu", "use_bias": True, "kernel_initializer": initializer("GlorotUniform"),
    "bias_initializer": initializer("Zeros", {}), "kernel_regularizer": None, "bias_regularizer": None,
    "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None},
    build_config={"input_shape": [None, 8, 8, 1]})
pool_cfg = k3("keras.layers", "MaxPooling2D", {
    "name": "max_pooling2d", "trainable": True, "dtype": policy(), "pool_size": tup(2, 2), "padding": "valid",
    "strides": tup(2, 2), "data_format": "channels_last"})
flat_cfg = k3("keras.layers", "Flatten", {"name": "flatten", "trainable": True, "dtype": policy(),
                                          "data_format": "channels_last"})
write_keras3(os.path.join(OUT, "cnn-digits.keras"),
             [conv_cfg, pool_cfg, flat_cfg, dense_config("dense", 10, "softmax", 96)], [8, 8, 1],
             {**compile_mse, "loss": "sparse_categorical_crossentropy"},
             [("conv2d", [conv_k, cnn[0].bias.detach().numpy()]), ("max_pooling2d", []), ("flatten", []),
              ("dense", [dense_k, bias(cnn[4])])])
rows_d = xd[:3]
with torch.no_grad():
    out = cnn(rows_d)
# Inputs as Keras reads them: NHWC.
expected(os.path.join(OUT, "cnn-digits.expected.json"), rows_d.permute(0, 2, 3, 1).contiguous(), out, TORCH)

# The same CNN as a Keras tutorial writes it: Rescaling(1/16) first, so the file takes raw 0..16 pixels.
rescale_cfg = k3("keras.layers", "Rescaling", {"name": "rescaling", "trainable": True, "dtype": policy(),
                                               "scale": 0.0625, "offset": 0.0})
write_keras3(os.path.join(OUT, "cnn-digits-rescaling.keras"),
             [rescale_cfg, conv_cfg, pool_cfg, flat_cfg, dense_config("dense", 10, "softmax", 96)], [8, 8, 1],
             {**compile_mse, "loss": "sparse_categorical_crossentropy"},
             [("rescaling", []), ("conv2d", [conv_k, cnn[0].bias.detach().numpy()]), ("max_pooling2d", []),
              ("flatten", []), ("dense", [dense_k, bias(cnn[4])])])
expected(os.path.join(OUT, "cnn-digits-rescaling.expected.json"), rows_d.permute(0, 2, 3, 1).contiguous() * 16, out,
         TORCH)
