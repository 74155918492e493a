/**
 * PyTorch on the CPU as an optional peer of `mlp-train-step`: bench/torch_peer.py in a
 * `/usr/bin/python3` subprocess, one JSON message a line over stdin/stdout, one CPU thread, the same
 * weights, batches, loss and Adam settings as the other engines (bench/mlp.ts). Where Python or torch
 * is missing the peer is "not installed" and the bench goes on without it.
 *
 * @module
 */
import { fromFileUrl } from "../src/cli/_path.ts";
import { parameterLayers } from "../src/layers/mod.ts";
import type { MlpProblem, Trainer } from "./mlp.ts";

/** The interpreter the peer runs in: Debian's, where `python3-torch` installs. */
export const PYTHON = "/usr/bin/python3";

/** What became of the peer. */
export type PytorchPeer =
  | { status: "measured"; version: string; threads: number; trainer: Trainer }
  | { status: "not installed"; detail: string };

/** A line-oriented JSON conversation with the peer process. */
class PeerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #encoder = new TextEncoder();

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  async request(message: unknown): Promise<Record<string, unknown>> {
    await this.#writer.write(this.#encoder.encode(JSON.stringify(message) + "\n"));
    for (;;) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return JSON.parse(line);
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`the PyTorch peer exited (${(await this.#child.status).code})`);
      this.#buffer += value;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#writer.write(this.#encoder.encode(JSON.stringify({ cmd: "quit" }) + "\n"));
      await this.#writer.close();
    } catch {
      // already gone
    }
    await this.#reader.cancel().catch(() => {});
    await this.#child.status;
  }
}

/**
 * Starts the peer on `problem`, or says why it is not there. `python` and `env` (added to the
 * inherited environment) are for tests.
 */
export async function startPytorchPeer(
  problem: MlpProblem,
  options: { python?: string; env?: Record<string, string> } = {},
): Promise<PytorchPeer> {
  const python = options.python ?? PYTHON;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(python, {
      args: [fromFileUrl(new URL("./torch_peer.py", import.meta.url))],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1", ...options.env },
    }).spawn();
  } catch (e) {
    return { status: "not installed", detail: `${python} could not start: ${(e as Error).message}` };
  }
  const peer = new PeerProcess(child);
  const hello: Record<string, unknown> = await peer.request({ cmd: "hello" })
    .catch((e) => ({ ok: false, error: String(e) }));
  if (!hello.ok) {
    await peer.close();
    return { status: "not installed", detail: `${python} -c "import torch": ${hello.error}` };
  }
  const init = await peer.request({
    cmd: "init",
    problem: {
      // The bench MLP is dense layers only: each has parameters.
      layers: parameterLayers(problem.shape).map((l) => ({
        inputs: l.parameters!.inputs,
        units: l.parameters!.units,
      })),
      initial: problem.initial.map((p) => ({ weights: Array.from(p.weights), biases: Array.from(p.biases) })),
      inputs: problem.shape.inputs,
      classes: problem.classes,
      batchSize: problem.batchSize,
      batches: problem.batches.map((b) => ({ x: Array.from(b.x), y: Array.from(b.y) })),
      optimizer: problem.optimizer,
    },
  });
  if (!init.ok) throw new Error(`the PyTorch peer could not set up the problem: ${init.error}`);
  let done = 0;
  let last = NaN;
  const trainer: Trainer = {
    get stepsDone() {
      return done;
    },
    async steps(count) {
      // Timed here, as every engine is: the request's round trip (~0.1 ms) is part of the wait.
      const started = performance.now();
      const r = await peer.request({ cmd: "steps", count });
      const ms = performance.now() - started;
      if (!r.ok) throw new Error(`the PyTorch peer failed: ${r.error}`);
      done = r.done as number;
      last = r.loss === null ? NaN : (r.loss as number);
      return ms;
    },
    lastLoss: () => Promise.resolve(last),
    release: () => void peer.close(),
  };
  return { status: "measured", version: String(hello.version), threads: Number(hello.threads), trainer };
}
