"""Training logs for the history-only audit gallery (examples/audits/logs/seed*.log): each of the
five seed articles' mistakes (and healthy controls) trained for real with PyTorch on small data, the
loop printing one epoch line as such loops do ("Epoch 3/20, loss: 0.6931, accuracy: 0.5000").

Run: /usr/bin/python3 scripts/make_seed_logs.py (outputs are committed).
"""
import os

import numpy as np
import torch

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "audits", "logs")


def blobs(n, classes, seed, informative=True, weights=None, noise=1.0):
    rng = np.random.default_rng(seed)
    p = np.full(classes, 1.0 / classes) if weights is None else np.asarray(weights)
    y = rng.choice(classes, size=n, p=p)
    centers = rng.normal(0, 3, size=(classes, 2))
    x = rng.normal(0, noise, size=(n, 2)) + (centers[y] if informative else 0)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def run(name, epochs, step, header=""):
    """`step()` trains one epoch and returns (loss, accuracy) of that epoch; prints the loop's lines."""
    lines = [header] if header else []
    for e in range(epochs):
        loss, acc = step(e)
        lines.append(f"Epoch {e + 1}/{epochs}, loss: {loss:.4f}, accuracy: {acc:.4f}")
    with open(os.path.join(OUT, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def batches(n, size, gen):
    perm = torch.randperm(n, generator=gen)
    return [perm[i:i + size] for i in range(0, n, size)]


def epoch_loop(model, opt, x, loss_of, correct_of, gen, same_batch=False):
    total, correct, seen = 0.0, 0.0, 0
    for idx in ([torch.arange(4)] * 8 if same_batch else batches(len(x), 32, gen)):
        out = model(x[idx])
        loss = loss_of(out, idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        correct += correct_of(out.detach(), idx)
        seen += len(idx)
    return total / seen, correct / seen


def main():
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    # 000 ex1: MSE on one-hot targets of 3 classes (softmax output).
    x, y = blobs(300, 3, 1)
    onehot = torch.nn.functional.one_hot(y, 3).float()
    m = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3), torch.nn.Softmax(dim=1))
    opt = torch.optim.SGD(m.parameters(), lr=0.05)
    run("seed000-mse-multiclass.log", 12, lambda e: epoch_loop(
        m, opt, x, lambda o, i: torch.nn.functional.mse_loss(o, onehot[i]),
        lambda o, i: (o.argmax(1) == y[i]).float().sum().item(), gen))
    # 000 ex2, as the article advises: nn.Softmax before nn.CrossEntropyLoss (a double softmax).
    x, y = blobs(300, 3, 2)
    m = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3), torch.nn.Softmax(dim=1))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    ce = torch.nn.CrossEntropyLoss()
    run("seed000-double-softmax.log", 40, lambda e: epoch_loop(
        m, opt, x, lambda o, i: ce(o, y[i]), lambda o, i: (o.argmax(1) == y[i]).float().sum().item(), gen))
    # 001: categorical cross-entropy over one softmax unit (binary labels): loss 0, accuracy frozen.
    x, y = blobs(300, 2, 3)
    yf = y.float().unsqueeze(1)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1), torch.nn.Softmax(dim=1))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    run("seed001-single-unit-softmax.log", 10, lambda e: epoch_loop(
        m, opt, x, lambda o, i: -(yf[i] * torch.log(o.clamp(1e-7, 1 - 1e-7))).sum(1).mean(),
        lambda o, i: ((o > 0.5).float() == yf[i]).float().sum().item(), gen))
    # 001 ex1 / 003: a 95/5 split with features that carry no signal: the model learns the prior.
    x, y = blobs(400, 2, 4, informative=False, weights=[0.95, 0.05])
    yf = y.float().unsqueeze(1)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    bce = torch.nn.BCEWithLogitsLoss()
    run("seed001-imbalance-collapse.log", 15, lambda e: epoch_loop(
        m, opt, x, lambda o, i: bce(o, yf[i]), lambda o, i: ((o > 0).float() == yf[i]).float().sum().item(), gen))
    # 002: regression targets measured with "accuracy" (exact match): low loss, accuracy 0.
    rng = np.random.default_rng(5)
    xr = torch.tensor(rng.normal(size=(300, 3)), dtype=torch.float32)
    yr = (xr @ torch.tensor([[0.5], [-0.2], [0.1]]) + 0.05 * torch.randn(300, 1, generator=gen))
    m = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    run("seed002-regression-accuracy.log", 12, lambda e: epoch_loop(
        m, opt, xr, lambda o, i: torch.nn.functional.mse_loss(o, yr[i]),
        lambda o, i: (o == yr[i]).float().sum().item(), gen))
    # 003: three classes at 80/10/10, uninformative features: accuracy pinned at the majority share.
    x, y = blobs(400, 3, 6, informative=False, weights=[0.8, 0.1, 0.1])
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    run("seed003-majority-class.log", 15, lambda e: epoch_loop(
        m, opt, x, lambda o, i: ce(o, y[i]), lambda o, i: (o.argmax(1) == y[i]).float().sum().item(), gen))
    # 004 ex1: the same four rows at every step (no batching over the dataset).
    x, y = blobs(200, 2, 7)
    yf = y.float().unsqueeze(1)
    m = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    run("seed004-same-batch.log", 12, lambda e: epoch_loop(
        m, opt, x, lambda o, i: bce(o, yf[i]), lambda o, i: ((o > 0).float() == yf[i]).float().sum().item(),
        gen, same_batch=True))
    # 004 ex3: a hand-written accuracy that always returns 1.
    x, y = blobs(300, 2, 8)
    yf = y.float().unsqueeze(1)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(m.parameters(), lr=0.05)
    run("seed004-metric-always-one.log", 10, lambda e: epoch_loop(
        m, opt, x, lambda o, i: bce(o, yf[i]), lambda o, i: float(len(i)), gen))
    # Healthy controls: 3 classes with cross-entropy; binary with BCE.
    x, y = blobs(300, 3, 9)
    m = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    run("healthy-multiclass.log", 15, lambda e: epoch_loop(
        m, opt, x, lambda o, i: ce(o, y[i]), lambda o, i: (o.argmax(1) == y[i]).float().sum().item(), gen))
    x, y = blobs(300, 2, 10, noise=2.5)
    yf = y.float().unsqueeze(1)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    run("healthy-binary.log", 15, lambda e: epoch_loop(
        m, opt, x, lambda o, i: bce(o, yf[i]), lambda o, i: ((o > 0).float() == yf[i]).float().sum().item(), gen))


if __name__ == "__main__":
    main()
