"""PyTorch on the CPU as a peer of the mlp-train-step case (bench/pytorch.ts starts this script).

One JSON message per line on stdin, one reply per line on stdout:
  {"cmd": "hello"}                      -> {"ok": true, "version": "1.13.0", "threads": 1}
  {"cmd": "init", "problem": {...}}     -> {"ok": true}   (weights, batches, Adam settings)
  {"cmd": "steps", "count": N}          -> {"ok": true, "loss": <last step's loss>, "done": <steps so far>}
  {"cmd": "quit"}                       -> (exits)
A failure replies {"ok": false, "error": "..."}; without torch, "hello" says so and the bench row
reads "not installed". One intra-op and one inter-op thread: the peer of one CPU thread.

The step is fitcheck's (bench/mlp.ts): dense layers as x @ W + b with W stored inputs x units, relu,
relu, softmax, Keras's categorical cross-entropy on probabilities (row-normalise, clip to
[1e-7, 1 - 1e-7], -sum y log p, mean over rows), torch.optim.Adam with the problem's lr, betas and eps.
"""
import json
import math
import sys


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        reply({"ok": False, "error": f"{type(e).__name__}: {e}"})
        return
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already fixed by the runtime: intra-op is the one that matters here
    state = {}

    def init(problem):
        shape = problem["layers"]
        weights, biases = [], []
        for layer, p in zip(shape, problem["initial"]):
            w = torch.tensor(p["weights"], dtype=torch.float32).view(layer["inputs"], layer["units"])
            b = torch.tensor(p["biases"], dtype=torch.float32)
            weights.append(w.requires_grad_())
            biases.append(b.requires_grad_())
        rows, inputs, classes = problem["batchSize"], problem["inputs"], problem["classes"]
        batches = [
            (
                torch.tensor(b["x"], dtype=torch.float32).view(rows, inputs),
                torch.tensor(b["y"], dtype=torch.float32).view(rows, classes),
            )
            for b in problem["batches"]
        ]
        o = problem["optimizer"]
        optimizer = torch.optim.Adam(
            weights + biases, lr=o["learningRate"], betas=(o["beta1"], o["beta2"]), eps=o["epsilon"]
        )
        state.update(weights=weights, biases=biases, batches=batches, optimizer=optimizer, done=0)

    def loss_of(x, y):
        h = x
        last = len(state["weights"]) - 1
        for i, (w, b) in enumerate(zip(state["weights"], state["biases"])):
            h = h @ w + b
            if i < last:
                h = torch.relu(h)
        p = torch.softmax(h, dim=-1)
        p = torch.clamp(p / p.sum(dim=-1, keepdim=True), 1e-7, 1 - 1e-7)
        return -(y * torch.log(p)).sum(dim=-1).mean()

    def steps(count):
        optimizer, batches = state["optimizer"], state["batches"]
        loss = None
        for _ in range(count):
            x, y = batches[state["done"] % len(batches)]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_of(x, y)
            loss.backward()
            optimizer.step()
            state["done"] += 1
        return float("nan") if loss is None else loss.item()

    for line in sys.stdin:
        message = json.loads(line)
        cmd = message.get("cmd")
        try:
            if cmd == "hello":
                reply({"ok": True, "version": torch.__version__, "threads": torch.get_num_threads()})
            elif cmd == "init":
                init(message["problem"])
                reply({"ok": True})
            elif cmd == "steps":
                loss = steps(int(message["count"]))
                # JSON has no NaN: a non-finite loss travels as null.
                reply({"ok": True, "loss": loss if math.isfinite(loss) else None, "done": state["done"]})
            elif cmd == "quit":
                return
            else:
                reply({"ok": False, "error": f"unknown command {cmd!r}"})
        except Exception as e:
            reply({"ok": False, "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
