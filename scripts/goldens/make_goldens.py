#!/usr/bin/python3
"""Conformance goldens for fitcheck's float64 references (src/reference/), computed with
scikit-learn, PyTorch (float64 autograd) and numpy copies of Keras's own algorithms.

Run:  /usr/bin/python3 scripts/goldens/make_goldens.py   (scikit-learn 1.2, torch 1.13, numpy)
Writes test/fixtures/goldens/goldens.json; test/reference/goldens.test.ts holds every reference
function to it, so CI needs no Python.

Where Keras and scikit-learn/PyTorch disagree, each case records which rule it follows:
- metrics: scikit-learn (zero_division=0, macro over the union of labels in yTrue and the
  predictions, r2_score with force_finite=True); accuracy forms, AUC "keras" as Keras computes
  them (metrics_utils._update_confusion_matrix_variables_optimized and AUC.result, copied below).
- losses: Keras semantics (clip to [1e-7, 1-1e-7], categorical CE divides by the row sum, sparse
  CE from probabilities goes through log then softmax CE), written in torch and differentiated
  by autograd in float64.
- optimizers: torch.optim where the update is the same (SGD with momentum; RMSprop with epsilon
  outside the root, the tf.keras 2 form); numpy copies of Keras's update_step where it is not
  (Adam's epsilon added to sqrt(v) with the bias correction folded into the step size; Keras 3
  RMSprop's epsilon inside the root).

Inputs are short decimals (exact in any parser); every random choice comes from one seed.
To probe beyond the committed cases: GOLDENS_SEED=1 GOLDENS_SCALE=4 GOLDENS_OUT=/tmp/g.json, then
run the test with FITCHECK_GOLDENS=/tmp/g.json.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn
import torch
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

warnings.filterwarnings("ignore")
torch.set_default_dtype(torch.float64)
EPS = 1e-7  # Keras backend.epsilon()
SEED = int(os.environ.get("GOLDENS_SEED", "20261201"))
SCALE = float(os.environ.get("GOLDENS_SCALE", "1"))  # case counts times this (a probe, not committed)
rng = np.random.default_rng(SEED)


def num(x):
    """A float for JSON: non-finite values as strings (JSON has no NaN)."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def nums(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return num(a)
    return [nums(v) for v in a]


def rounded(a, decimals):
    return np.round(np.asarray(a, dtype=np.float64), decimals)


# ---------------------------------------------------------------------------------------------
# Keras AUC (Keras 3 keras/src/metrics/metrics_utils.py, the evenly-distributed-thresholds path
# AUC() takes by default): predictions clipped to [0, 1], labels cast to bool, bucket
# ceil(p * (n - 1)) - 1 with relu (thresholds -eps and 1+eps), reverse cumulative sums, then
# AUC.result for curve ROC, summation "interpolation": sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
# with divide_no_nan ratios.
def keras_auc(y, p, n=200):
    y = (np.asarray(y, dtype=np.float64).ravel() != 0).astype(np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), 0.0, 1.0)
    b = np.maximum(np.ceil(p * (n - 1)) - 1, 0).astype(np.int64)
    tp = np.cumsum(np.bincount(b, weights=y, minlength=n)[::-1])[::-1]
    fp = np.cumsum(np.bincount(b, weights=1 - y, minlength=n)[::-1])[::-1]
    fn = y.sum() - tp
    tn = (1 - y).sum() - fp

    def divide_no_nan(a, d):
        return np.where(d == 0, 0.0, a / np.where(d == 0, 1.0, d))

    tpr = divide_no_nan(tp, tp + fn)
    fpr = divide_no_nan(fp, fp + tn)
    return float(np.sum((fpr[: n - 1] - fpr[1:]) * ((tpr[: n - 1] + tpr[1:]) / 2.0)))


def exact_auc(y, p):
    y = np.asarray(y).ravel()
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, np.asarray(p).ravel()))


def sk_prf(y, pred):
    """precision/recall/F1 binary (positive class 1) and macro/weighted/micro, zero_division=0."""
    out = {}
    for avg in ["binary", "macro", "weighted", "micro"]:
        if avg == "binary" and not set(np.unique(np.concatenate([y, pred]))) <= {0, 1}:
            continue
        kw = dict(average=avg, zero_division=0)
        out[avg] = {
            "precision": num(precision_score(y, pred, **kw)),
            "recall": num(recall_score(y, pred, **kw)),
            "f1": num(f1_score(y, pred, **kw)),
        }
    return out


# ---------------------------------------------------------------------------------------------
# Classification metric cases
def random_scores(n, k, style):
    if style == "grid":  # two decimals: many ties, exact 0 and 1
        return rounded(rng.integers(0, 101, size=(n, k)) / 100, 2)
    if style == "fine":
        return rounded(rng.random((n, k)), 4)
    if style == "extreme":
        return rng.choice([0.0, 1.0, 0.5, 1e-8, 0.99999999], size=(n, k))
    if style == "outside":  # Keras AUC clips these to [0, 1]; exact AUC ranks them
        return rounded(rng.uniform(-1, 2, size=(n, k)), 3)
    if style == "logits":
        return rounded(rng.uniform(-50, 50, size=(n, k)), 2)
    raise ValueError(style)


def classification_case(idx):
    kind = rng.choice(["binary", "sparse", "onehot", "multilabel"], p=[0.3, 0.3, 0.25, 0.15])
    n = int(rng.choice([1, 2, 3, 4, 5, 7, 10, 16, 25]))
    k = 1 if kind == "binary" else int(rng.integers(2, 6))
    classes = 2 if kind == "binary" else k
    label_style = rng.choice(["random", "one-class", "skewed"], p=[0.7, 0.15, 0.15])
    if label_style == "one-class":
        labels = np.full(n, int(rng.integers(0, classes)))
    elif label_style == "skewed":
        labels = np.where(rng.random(n) < 0.85, 0, rng.integers(0, classes, size=n))
    else:
        labels = rng.integers(0, classes, size=n)
    score_style = rng.choice(["grid", "fine", "extreme", "outside", "logits", "right", "wrong", "absent"],
                             p=[0.25, 0.2, 0.1, 0.1, 0.1, 0.08, 0.08, 0.09])
    scores = random_scores(n, k, score_style if score_style in ["grid", "fine", "extreme", "outside", "logits"] else "grid")
    threshold = 0.0 if score_style == "logits" else float(rng.choice([0.5, 0.5, 0.3, 0.7]))
    if kind == "multilabel":
        y = (rng.random((n, k)) < 0.4).astype(np.float64)
    else:
        y = labels.reshape(-1, 1).astype(np.float64) if kind in ["binary", "sparse"] else np.eye(k)[labels]
    if score_style in ["right", "wrong", "absent"]:
        if kind in ["binary", "multilabel"]:
            yy = y
            if score_style == "wrong":
                yy = 1 - y
            elif score_style == "absent":  # predict positive everywhere / a class nobody has
                yy = np.ones_like(y)
            scores = rounded(np.where(yy == 1, 0.5 + 0.4 * rng.random(y.shape), 0.4 * rng.random(y.shape)), 3)
            if threshold != 0.5:
                threshold = 0.5
        else:
            target = labels.copy()
            if score_style == "wrong":
                target = (labels + 1 + rng.integers(0, k - 1, size=n)) % k
            elif score_style == "absent":
                missing = [c for c in range(k) if c not in set(labels.tolist())]
                if missing:
                    target = np.where(rng.random(n) < 0.5, missing[0], labels)
            scores = rounded(rng.random((n, k)) * 0.5, 2)
            scores[np.arange(n), target] = 0.9
    case = {"id": f"class-{idx}-{kind}-{score_style}-{label_style}", "kind": str(kind),
            "threshold": threshold, "yTrue": nums(y), "yPred": nums(scores)}
    exp = {}
    if kind == "multilabel":
        decided = (scores > threshold).astype(np.int64)
        exp["binaryAccuracy"] = num(np.mean(decided == y))
        exp["elementwise"] = {
            "precision": num(precision_score(y, decided, average="micro", zero_division=0)),
            "recall": num(recall_score(y, decided, average="micro", zero_division=0)),
        }
        exp["categoricalAccuracy"] = num(np.mean(np.argmax(y, axis=1) == np.argmax(scores, axis=1)))
        exp["accuracy"] = {"kind": "categorical", "value": exp["categoricalAccuracy"]}
        exp["aucExact"] = num(exact_auc(y, scores))
        exp["aucKeras"] = num(keras_auc(y, scores))
        case["expect"] = exp
        return case
    if kind == "binary":
        pred = (scores[:, 0] > threshold).astype(np.int64)
        exp["binaryAccuracy"] = num(accuracy_score(labels, pred))
        exp["accuracy"] = {"kind": "binary", "value": exp["binaryAccuracy"]}
        auc_y, auc_p = y, scores
    else:
        pred = np.argmax(scores, axis=1)  # first maximum on ties, as tf.argmax
        exp["argmax"] = pred.tolist()
        # tf.math.in_top_k (Keras top_k_categorical_accuracy): ties at the boundary count as in,
        # i.e. a hit when fewer than k classes score strictly higher than the true one.
        above = (scores > scores[np.arange(n), labels][:, None]).sum(axis=1)
        exp["topK"] = {str(kk): num(np.mean(above < kk)) for kk in [1, 2, 3]}
        acc = num(accuracy_score(labels, pred))
        if kind == "sparse":
            exp["sparseCategoricalAccuracy"] = acc
            exp["accuracy"] = {"kind": "sparse-categorical", "value": acc}
        else:
            exp["categoricalAccuracy"] = acc
            exp["accuracy"] = {"kind": "categorical", "value": acc}
        auc_y, auc_p = np.eye(k)[labels], scores
    exp["confusion"] = confusion_matrix(labels, pred, labels=list(range(classes))).tolist()
    exp["prf"] = sk_prf(labels, pred)
    exp["balancedAccuracy"] = num(balanced_accuracy_score(labels, pred))
    exp["aucExact"] = num(exact_auc(auc_y, auc_p))
    exp["aucKeras"] = num(keras_auc(auc_y, auc_p))
    case["expect"] = exp
    return case


# ---------------------------------------------------------------------------------------------
# Regression metric cases (scikit-learn: uniform average over outputs; r2 with force_finite)
def keras_r2(y, p):
    """Keras 3 R2Score (class_aggregation uniform_average, num_regressors 0): total from running
    sums, inf raw scores set to 0 (NaN from 0/0 stays)."""
    n = y.shape[0]
    s, sq = y.sum(axis=0), (y * y).sum(axis=0)
    mse_total = ((y - p) ** 2).sum(axis=0)
    with np.errstate(all="ignore"):
        total = sq - s * (s / n)
        raw = 1 - mse_total / total
    raw = np.where(np.isinf(raw), 0.0, raw)
    return float(np.mean(raw))


def regression_case(idx):
    n = int(rng.choice([1, 2, 3, 5, 8, 20, 50]))
    t = int(rng.choice([1, 1, 2, 3]))
    y = rounded(rng.normal(0, 2, size=(n, t)), 3)
    style = rng.choice(["random", "constant-column", "perfect", "perfect-constant", "mean"],
                       p=[0.55, 0.2, 0.1, 0.08, 0.07])
    p = rounded(y + rng.normal(0, 1, size=(n, t)), 3)
    if style in ["constant-column", "perfect-constant"]:
        c = int(rng.integers(0, t))
        y[:, c] = float(rng.choice([0.0, 0.5, -2.0, 3.0, 0.25]))
    if style in ["perfect", "perfect-constant"]:
        p = y.copy()
        if t > 1 and rng.random() < 0.5:
            p[:, -1] = rounded(p[:, -1] + rng.normal(0, 1, size=n), 3)
    if style == "mean":
        p = np.tile(y.mean(axis=0), (n, 1))
    exp = {
        "mae": num(mean_absolute_error(y, p)),
        "mse": num(mean_squared_error(y, p)),
        "rmse": num(math.sqrt(mean_squared_error(y, p))),
        "r2": num(r2_score(y, p)) if n >= 2 else "NaN",
        "r2Keras": num(keras_r2(y, p)),
    }
    return {"id": f"reg-{idx}-{style}", "yTrue": nums(y), "yPred": nums(p), "expect": exp}


# ---------------------------------------------------------------------------------------------
# Losses in Keras semantics, in torch float64; gradients by autograd
def torch_loss_rows(name, from_logits, delta, y, p):
    k = p.shape[1]
    if name != "sparse-categorical-crossentropy" and y.shape[1] == 1 and k > 1:
        y = y.expand(-1, k)  # Keras broadcasts one target column against K outputs
    if name == "mse":
        return ((p - y) ** 2).mean(dim=1)
    if name == "mae":
        return (p - y).abs().mean(dim=1)
    if name == "huber":
        e = (p - y).abs()
        return torch.where(e <= delta, 0.5 * e * e, delta * e - 0.5 * delta * delta).mean(dim=1)
    if name == "binary-crossentropy":
        if from_logits:  # tf.nn.sigmoid_cross_entropy_with_logits, written as TF does (so that
            # autograd gives sigmoid(0) - y at 0, as TF's gradient does; abs() would give 1 - y)
            cond = p >= 0
            relu = torch.where(cond, p, torch.zeros_like(p))
            neg_abs = torch.where(cond, -p, p)
            el = relu - p * y + torch.log1p(torch.exp(neg_abs))
        else:  # Keras 3 backend binary_crossentropy: clip, then log(output) and log(1 - output)
            c = p.clamp(EPS, 1 - EPS)
            el = -(y * torch.log(c) + (1 - y) * torch.log(1 - c))
        return el.mean(dim=1)
    if name == "categorical-crossentropy":
        if from_logits:  # softmax_cross_entropy_with_logits
            return -(y * torch.log_softmax(p, dim=1)).sum(dim=1)
        q = p / p.sum(dim=1, keepdim=True)
        return -(y * torch.log(q.clamp(EPS, 1 - EPS))).sum(dim=1)
    if name == "sparse-categorical-crossentropy":
        idx = y[:, 0].long()
        logits = p if from_logits else torch.log(p.clamp(EPS, 1 - EPS))
        return -torch.log_softmax(logits, dim=1).gather(1, idx.view(-1, 1))[:, 0]
    raise ValueError(name)


LOSS_KINDS = [
    ("mse", False), ("mae", False), ("huber", False),
    ("binary-crossentropy", False), ("binary-crossentropy", True),
    ("categorical-crossentropy", False), ("categorical-crossentropy", True),
    ("sparse-categorical-crossentropy", False), ("sparse-categorical-crossentropy", True),
]


def loss_inputs(name, from_logits, n, k, style):
    if from_logits:
        scale = 50 if style == "extreme" else 5
        p = rounded(rng.uniform(-scale, scale, size=(n, k)), 2)
        if style == "extreme":
            p[rng.random((n, k)) < 0.3] = rng.choice([-50.0, 50.0])
    elif name in ["mse", "mae", "huber"]:
        p = rounded(rng.normal(0, 2, size=(n, k)), 2)
    else:
        p = rounded(rng.uniform(0.001, 0.999, size=(n, k)), 3)
        if style == "extreme":
            mask = rng.random((n, k)) < 0.4
            p[mask] = rng.choice([0.0, 1.0, 1e-8, 1 - 1e-8, 1e-7, 1 - 1e-7], size=int(mask.sum()))
        if name == "categorical-crossentropy" and style == "unnormalized":
            p = rounded(rng.uniform(0.01, 3, size=(n, k)), 3)
    labels = rng.integers(0, k, size=n)
    if name == "sparse-categorical-crossentropy":
        y = labels.reshape(-1, 1).astype(np.float64)
    elif name == "categorical-crossentropy":
        y = np.eye(k)[labels] if rng.random() < 0.7 else rounded(rng.dirichlet(np.ones(k), size=n), 3)
    elif name == "binary-crossentropy":
        y = (rng.random((n, k)) < 0.5).astype(np.float64) if rng.random() < 0.7 else rounded(rng.random((n, k)), 2)
    else:
        if style == "broadcast" and k > 1:
            y = labels.reshape(-1, 1).astype(np.float64)
        else:
            y = rounded(rng.normal(0, 2, size=(n, k)), 2)
            if style == "extreme":  # errors exactly at the kinks (0, ±delta)
                y = p.copy()
                y[:, 0] = p[:, 0] + rng.choice([0.0, 1.0, -1.0, 0.5], size=n)
    return y, p


def loss_case(idx):
    name, from_logits = LOSS_KINDS[idx % len(LOSS_KINDS)]
    n = int(rng.choice([1, 2, 3, 5, 9]))
    k = int(rng.choice([1, 2, 3, 4, 6])) if name in ["mse", "mae", "huber", "binary-crossentropy"] else int(rng.integers(2, 6))
    style = str(rng.choice(["plain", "extreme", "unnormalized", "broadcast"], p=[0.45, 0.3, 0.125, 0.125]))
    reduction = str(rng.choice(["mean", "sum"]))
    delta = float(rng.choice([1.0, 0.5, 2.0])) if name == "huber" else 1.0
    y, p = loss_inputs(name, from_logits, n, k, style)
    pt = torch.tensor(p, requires_grad=True)
    rows = torch_loss_rows(name, from_logits, delta, torch.tensor(y), pt)
    loss = rows.sum() if reduction == "sum" else rows.sum() / n
    loss.backward()
    return {
        "id": f"loss-{idx}-{name}{'-logits' if from_logits else ''}-{reduction}-{style}",
        "name": name, "fromLogits": from_logits, "reduction": reduction, "delta": delta,
        "yTrue": nums(y), "yPred": nums(p),
        "expect": {"perRow": nums(rows.detach().numpy()), "loss": num(loss.item()), "gradient": nums(pt.grad.numpy())},
    }


# ---------------------------------------------------------------------------------------------
# Activations (torch float64 autograd), softmax / log-softmax and the softmax VJP
ACTIVATIONS = {
    "linear": lambda z: z * 1.0,
    "relu": torch.relu,
    "leaky-relu": lambda z: torch.nn.functional.leaky_relu(z, 0.2),  # Keras activations.leaky_relu
    "elu": lambda z: torch.nn.functional.elu(z, 1.0),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


def activation_goldens():
    special = [0.0, -0.0, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 2, -2, 5, -5, 20, -20, 50, -50, 700, -700]
    z = np.concatenate([special, rounded(rng.uniform(-10, 10, 300), 4), rounded(rng.normal(0, 1, 100), 5)])
    out = []
    for name, fn in ACTIVATIONS.items():
        zt = torch.tensor(z, requires_grad=True)
        y = fn(zt)
        y.sum().backward()
        out.append({"activation": name, "z": nums(z), "value": nums(y.detach().numpy()),
                    "derivative": nums(zt.grad.numpy())})
    return out


def softmax_case(idx):
    n = int(rng.choice([1, 2, 4, 7]))
    k = int(rng.choice([1, 2, 3, 5, 10]))
    style = rng.choice(["plain", "large", "ties"])
    if style == "large":
        x = rounded(rng.uniform(-50, 50, size=(n, k)), 2)
        x[:, 0] = 50.0
    elif style == "ties":
        x = rounded(rng.integers(-2, 3, size=(n, k)).astype(np.float64), 0)
    else:
        x = rounded(rng.normal(0, 3, size=(n, k)), 3)
    dy = rounded(rng.normal(0, 1, size=(n, k)), 3)
    xt = torch.tensor(x, requires_grad=True)
    y = torch.softmax(xt, dim=1)
    y.backward(torch.tensor(dy))
    return {"id": f"softmax-{idx}-{style}", "x": nums(x), "dy": nums(dy),
            "expect": {"softmax": nums(y.detach().numpy()), "logSoftmax": nums(torch.log_softmax(torch.tensor(x), dim=1).numpy()),
                       "dx": nums(xt.grad.numpy())}}


# ---------------------------------------------------------------------------------------------
# Optimizers
def keras_adam(w, grads, lr, b1, b2, eps):
    """Keras 3 keras/src/optimizers/adam.py update_step (amsgrad off), float64."""
    w = w.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    trail = []
    for t, g in enumerate(grads, start=1):
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        w -= (m * alpha) / (np.sqrt(v) + eps)
        trail.append(w.copy())
    return trail


def keras_rmsprop(w, grads, lr, rho, eps):
    """Keras 3 keras/src/optimizers/rmsprop.py update_step (not centered, no momentum):
    velocity = rho*velocity + (1-rho)*g^2; w -= lr*g / sqrt(velocity + epsilon)."""
    w = w.copy()
    ms = np.zeros_like(w)
    trail = []
    for g in grads:
        ms = rho * ms + (1 - rho) * g * g
        w -= lr * g / np.sqrt(ms + eps)
        trail.append(w.copy())
    return trail


def torch_trail(opt_factory, w, grads):
    p = torch.nn.Parameter(torch.tensor(w))
    opt = opt_factory([p])
    trail = []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g)
        opt.step()
        trail.append(p.detach().numpy().copy())
    return trail


def optimizer_case(idx):
    size = int(rng.choice([1, 3, 8]))
    steps = int(rng.choice([1, 2, 5]))
    w = rounded(rng.normal(0, 1, size), 4)
    gscale = float(rng.choice([1.0, 1e-3, 10.0]))
    grads = [rounded(rng.normal(0, gscale, size), 6) for _ in range(steps)]
    if rng.random() < 0.2:
        grads[0][0] = 0.0  # a zero gradient: Adam/RMSprop divide by epsilon alone
    lr = float(rng.choice([0.001, 0.01, 0.1]))
    which = ["sgd", "sgd-momentum", "adam", "adam-torch-eps0", "rmsprop-keras3", "rmsprop-torch"][idx % 6]
    case = {"id": f"opt-{idx}-{which}", "optimizer": which, "w": nums(w), "grads": nums(grads), "learningRate": lr}
    if which == "sgd":
        case["rule"] = "torch.optim.SGD"
        trail = torch_trail(lambda ps: torch.optim.SGD(ps, lr=lr), w, grads)
    elif which == "sgd-momentum":
        mu = float(rng.choice([0.5, 0.9, 0.99]))
        case.update(momentum=mu, rule="torch.optim.SGD(momentum): v=mu*v+g, w-=lr*v; Keras's v=mu*v-lr*g, w+=v is the same")
        trail = torch_trail(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu), w, grads)
    elif which == "adam":
        b1, b2 = float(rng.choice([0.9, 0.5])), float(rng.choice([0.999, 0.9]))
        eps = float(rng.choice([1e-7, 1e-3]))
        case.update(beta1=b1, beta2=b2, epsilon=eps, rule="numpy copy of Keras Adam (epsilon added to sqrt(v), not sqrt(v-hat))")
        trail = keras_adam(w, grads, lr, b1, b2, eps)
    elif which == "adam-torch-eps0":
        grads = [np.where(g == 0, 0.5, g) for g in grads]
        case["grads"] = nums(grads)
        b1, b2 = 0.9, 0.999
        case.update(beta1=b1, beta2=b2, epsilon=0.0, rule="torch.optim.Adam with eps=0: with no epsilon both placements agree")
        trail = torch_trail(lambda ps: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=0.0), w, grads)
    elif which == "rmsprop-keras3":
        rho, eps = float(rng.choice([0.9, 0.5])), float(rng.choice([1e-7, 1e-3]))
        case.update(rho=rho, epsilon=eps, epsilonInsideSqrt=True, rule="numpy copy of Keras 3 RMSprop (epsilon inside the root)")
        trail = keras_rmsprop(w, grads, lr, rho, eps)
    else:
        rho, eps = float(rng.choice([0.9, 0.5])), float(rng.choice([1e-7, 1e-3]))
        case.update(rho=rho, epsilon=eps, epsilonInsideSqrt=False, rule="torch.optim.RMSprop (epsilon outside the root, as tf.keras 2)")
        trail = torch_trail(lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=rho, eps=eps), w, grads)
    case["expect"] = {"trail": nums(trail)}
    return case


# ---------------------------------------------------------------------------------------------
# Short float64 training runs of the float64 trainer's MLP, in torch (Keras update rules)
HEADS = [
    ("softmax", "categorical-crossentropy", False),
    ("linear", "categorical-crossentropy", True),
    ("linear", "sparse-categorical-crossentropy", True),
    ("softmax", "sparse-categorical-crossentropy", False),
    ("sigmoid", "binary-crossentropy", False),
    ("linear", "binary-crossentropy", True),
    ("linear", "mse", False),
    ("linear", "huber", False),
    ("tanh", "mae", False),
]


def trainer_case(idx):
    head, loss_name, from_logits = HEADS[idx % len(HEADS)]
    inputs = int(rng.integers(2, 5))
    hidden = [int(rng.integers(2, 7)) for _ in range(int(rng.integers(1, 3)))]
    out = 1 if loss_name in ["binary-crossentropy", "mse", "huber", "mae"] else int(rng.integers(2, 5))
    acts = [str(rng.choice(["relu", "tanh", "sigmoid", "elu", "leaky-relu"])) for _ in hidden] + [head]
    widths = [inputs] + hidden + [out]
    params = []
    for a, b in zip(widths[:-1], widths[1:]):
        lim = math.sqrt(6 / (a + b))
        params.append({"inputs": a, "units": b, "weights": rounded(rng.uniform(-lim, lim, a * b), 5),
                       "biases": rounded(rng.normal(0, 0.1, b), 5)})
    opt_name = ["sgd", "adam", "rmsprop"][idx % 3] if idx % 9 != 4 else "sgd"
    lr = float(rng.choice([0.01, 0.05, 0.1]))
    if opt_name == "sgd":
        opt = {"name": "sgd", "learningRate": lr, "momentum": float(rng.choice([0.0, 0.9]))}
    elif opt_name == "adam":
        opt = {"name": "adam", "learningRate": lr, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}
    else:
        opt = {"name": "rmsprop", "learningRate": lr, "rho": 0.9, "epsilon": 1e-7}
    reduction = "mean" if rng.random() < 0.8 else "sum"
    steps = int(rng.choice([3, 5]))
    batches = []
    for _ in range(steps):
        b = int(rng.choice([1, 4, 8]))
        x = rounded(rng.normal(0, 1, size=(b, inputs)), 3)
        if loss_name == "sparse-categorical-crossentropy":
            y = rng.integers(0, out, size=(b, 1)).astype(np.float64)
        elif loss_name == "categorical-crossentropy":
            y = np.eye(out)[rng.integers(0, out, size=b)]
        elif loss_name == "binary-crossentropy":
            y = (rng.random((b, 1)) < 0.5).astype(np.float64)
        else:
            y = rounded(rng.normal(0, 1, size=(b, 1)), 3)
        batches.append({"x": x, "y": y})

    ws = [torch.tensor(p["weights"].reshape(p["inputs"], p["units"]), requires_grad=True) for p in params]
    bs = [torch.tensor(p["biases"], requires_grad=True) for p in params]
    slots = [[np.zeros(p["inputs"] * p["units"]), np.zeros(p["inputs"] * p["units"])] for p in params] + \
            [[np.zeros(p["units"]), np.zeros(p["units"])] for p in params]
    act_fn = dict(ACTIVATIONS, softmax=lambda z: torch.softmax(z, dim=1))
    losses = []
    for t, batch in enumerate(batches, start=1):
        h = torch.tensor(batch["x"])
        for w, b, a in zip(ws, bs, acts):
            h = act_fn[a](h @ w + b)
        rows = torch_loss_rows(loss_name, from_logits, 1.0, torch.tensor(batch["y"]), h)
        loss = rows.sum() if reduction == "sum" else rows.sum() / rows.shape[0]
        losses.append(loss.item())
        for tensor in ws + bs:
            tensor.grad = None
        loss.backward()
        with torch.no_grad():
            for i, tensor in enumerate(ws + bs):
                g = tensor.grad.numpy().ravel()
                cur = tensor.detach().numpy().ravel().copy()
                s = slots[i]
                if opt["name"] == "sgd":
                    if opt["momentum"] == 0:
                        cur = cur - lr * g
                    else:
                        s[0] = opt["momentum"] * s[0] - lr * g
                        cur = cur + s[0]
                elif opt["name"] == "adam":
                    alpha = lr * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                    s[0] = s[0] + (g - s[0]) * (1 - 0.9)
                    s[1] = s[1] + (g * g - s[1]) * (1 - 0.999)
                    cur = cur - (alpha * s[0]) / (np.sqrt(s[1]) + 1e-7)
                else:
                    s[0] = 0.9 * s[0] + (1 - 0.9) * g * g
                    cur = cur - lr * g / np.sqrt(s[0] + 1e-7)
                tensor.copy_(torch.tensor(cur.reshape(tensor.shape)))
    return {
        "id": f"trainer-{idx}-{loss_name}{'-logits' if from_logits else ''}-{opt['name']}",
        "activations": acts,
        "loss": {"name": loss_name, "fromLogits": from_logits, "reduction": reduction, "delta": 1.0},
        "optimizer": opt,
        "params": [{"inputs": p["inputs"], "units": p["units"], "weights": nums(p["weights"]), "biases": nums(p["biases"])} for p in params],
        "batches": [{"x": nums(b["x"]), "y": nums(b["y"])} for b in batches],
        "expect": {"losses": nums(losses),
                   "params": [{"weights": nums(w.detach().numpy().ravel()), "biases": nums(b.detach().numpy())} for w, b in zip(ws, bs)]},
    }


# ---------------------------------------------------------------------------------------------
# Column statistics (numpy over the finite values, std with ddof 0) and matrix products
def column_case(idx):
    n = int(rng.choice([1, 2, 5, 17, 40]))
    k = int(rng.choice([1, 2, 4]))
    x = rounded(rng.normal(0, float(rng.choice([1, 10, 1000])), size=(n, k)), 3)
    x[rng.random((n, k)) < 0.15] = 0.0
    if rng.random() < 0.3:
        x[rng.random((n, k)) < 0.2] = rng.choice([np.nan, np.inf, -np.inf])
    cols = []
    for c in range(k):
        v = x[:, c][np.isfinite(x[:, c])]
        if len(v) == 0:
            cols.append({"mean": "NaN", "std": "NaN", "min": "NaN", "max": "NaN", "zeroFraction": "NaN",
                         "beyondFraction": "NaN", "nonFinite": n, "finite": 0})
            continue
        cols.append({"mean": num(np.mean(v)), "std": num(np.std(v)), "min": num(np.min(v)), "max": num(np.max(v)),
                     "zeroFraction": num(np.mean(v == 0)), "beyondFraction": num(np.mean(np.abs(v) > 5)),
                     "nonFinite": int(n - len(v)), "finite": int(len(v))})
    return {"id": f"columns-{idx}", "x": nums(x), "expect": cols}


def matmul_case(idx):
    m, k, n = (int(rng.integers(1, 9)) for _ in range(3))
    ta, tb = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    a = rounded(rng.normal(0, 1, size=(k, m) if ta else (m, k)), 3)
    b = rounded(rng.normal(0, 1, size=(n, k) if tb else (k, n)), 3)
    c = (a.T if ta else a) @ (b.T if tb else b)
    return {"id": f"matmul-{idx}", "a": nums(a), "b": nums(b), "transposeA": ta, "transposeB": tb, "expect": nums(c)}


def main():
    counts = {"classification": 1800, "regression": 500, "losses": 1800, "softmax": 300, "optimizers": 600, "trainer": 45,
              "columns": 200, "matmul": 200}
    counts = {k: max(1, int(v * SCALE)) for k, v in counts.items()}
    goldens = {
        "schema": "fitcheck.goldens/v1",
        "generator": {"script": "scripts/goldens/make_goldens.py", "seed": SEED, "python": sys.version.split()[0],
                      "sklearn": sklearn.__version__, "torch": torch.__version__, "numpy": np.__version__},
        "classification": [classification_case(i) for i in range(counts["classification"])],
        "regression": [regression_case(i) for i in range(counts["regression"])],
        "losses": [loss_case(i) for i in range(counts["losses"])],
        "activations": activation_goldens(),
        "softmax": [softmax_case(i) for i in range(counts["softmax"])],
        "optimizers": [optimizer_case(i) for i in range(counts["optimizers"])],
        "trainer": [trainer_case(i) for i in range(counts["trainer"])],
        "columns": [column_case(i) for i in range(counts["columns"])],
        "matmul": [matmul_case(i) for i in range(counts["matmul"])],
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("GOLDENS_OUT") or os.path.join(root, "test", "fixtures", "goldens", "goldens.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(goldens, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    total = sum(len(v) for k, v in goldens.items() if isinstance(v, list))
    print(f"wrote {path}: {total} cases, {os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
