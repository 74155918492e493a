/**
 * The ONNX operator table entry by entry, on small graphs whose numbers are worked out by hand: each
 * operator's §7.2 entry and output shape, and each layout conversion (Gemm transB [out, in] -> [in, out],
 * MatMul + Add, Conv [out, in, kh, kw] -> [kh, kw, in, out], a dense after Flatten of NCHW features with its
 * rows permuted from (c, h, w) to (h, w, c)). An operator added to the table without a case here fails.
 */
import { describe, expect, it } from "vitest";
import type { OnnxGraph, OnnxNode, OnnxTensor } from "../../src/import/containers/onnx.ts";
import { ONNX_OPERATOR_NAMES, ONNX_OPERATORS, type OpContext } from "../../src/import/onnx.ts";

const t = (name: string, dims: number[], values?: number[]): OnnxTensor => ({
  name,
  dims,
  data: Float64Array.from(values ?? Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i)),
});

function run(
  opType: string,
  attributes: OnnxNode["attributes"],
  shape: number[],
  params: OnnxTensor[] = [],
  extra: Partial<OpContext["walk"]> = {},
  next?: OnnxNode,
  others: OnnxTensor[] = [],
) {
  const initializers = new Map([...params, ...others].map((p) => [p.name, p]));
  const inputs = opType === "Gather" ? [params[0].name, "x"] : ["x", ...params.map((p) => p.name)];
  const node: OnnxNode = { name: "n", opType, inputs, outputs: ["y"], attributes };
  const graph: OnnxGraph = {
    opset: 13,
    producer: "pytorch",
    nodes: [node],
    initializers,
    inputs: [],
    outputs: [],
  };
  return ONNX_OPERATORS[opType]({
    node,
    position: 1,
    graph,
    walk: { current: "x", shape, flattenedFrom: null, tokens: false, ...extra },
    file: "/m.onnx",
    next,
  });
}

const covered = new Set<string>();
const op = (name: string) => (covered.add(name), name);

describe("ONNX operator table", () => {
  it("Gemm with transB=1 (PyTorch's Linear) transposes [out, in] to [in, out]; alpha and beta scale", () => {
    const r = run(op("Gemm"), { transB: 1, alpha: 2, beta: 1 }, [3], [t("w", [2, 3]), t("b", [2], [1, -1])]);
    expect(r.layer).toEqual({ type: "dense", units: 2, activation: "linear" });
    // W = [[0,1,2],[3,4,5]] (out x in) -> kernel [in, out] = [[0,3],[1,4],[2,5]], times alpha 2.
    expect(Array.from(r.params!.arrays.kernel.data)).toEqual([0, 6, 2, 8, 4, 10]);
    expect(Array.from(r.params!.arrays.bias.data)).toEqual([1, -1]);
    expect(r.shape).toEqual([2]);
  });
  it("Gemm after Flatten of NCHW features permutes the kernel rows from (c, h, w) to (h, w, c)", () => {
    // C=2, H=1, W=2: PyTorch row r = c*2 + x; fitcheck row = x*2 + c.
    const r = run("Gemm", { transB: 1 }, [4], [t("w", [1, 4], [10, 11, 20, 21])], {
      flattenedFrom: [2, 1, 2],
    });
    // (c0,x0)=10 (c0,x1)=11 (c1,x0)=20 (c1,x1)=21 -> (x0,c0)=10 (x0,c1)=20 (x1,c0)=11 (x1,c1)=21.
    expect(Array.from(r.params!.arrays.kernel.data)).toEqual([10, 20, 11, 21]);
  });
  it("MatMul takes the [in, out] weight as is and the following Add as its bias", () => {
    const add: OnnxNode = { name: "a", opType: "Add", inputs: ["y", "b"], outputs: ["z"], attributes: {} };
    const r = run(op("MatMul"), {}, [2], [t("w", [2, 3])], {}, add, [t("b", [3], [7, 8, 9])]);
    expect(r.consumes).toBe(1);
    expect(Array.from(r.params!.arrays.kernel.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(r.params!.arrays.bias.data)).toEqual([7, 8, 9]);
    expect(run("MatMul", {}, [2], [t("w", [2, 3])]).consumes).toBe(0);
  });
  it.each([["Relu", "relu"], ["Sigmoid", "sigmoid"], ["Tanh", "tanh"], ["Elu", "elu"], [
    "LeakyRelu",
    "leaky-relu",
  ], [
    "Softmax",
    "softmax",
  ]])("%s -> activation %s", (name, activation) => {
    expect(run(op(name), { axis: -1 }, [3]).layer).toEqual({ type: "activation", activation });
  });
  it("LeakyRelu with PyTorch's slope 0.01 is marked inexact (fitcheck's slope is Keras 3's 0.2)", () => {
    expect(run("LeakyRelu", { alpha: 0.01 }, [3]).inexact).toMatch(/slope 0.01/);
    expect(run("LeakyRelu", { alpha: 0.2 }, [3]).inexact).toBeUndefined();
  });
  it("LogSoftmax -> softmax, marked so the file's outputs are compared as logs", () => {
    const r = run(op("LogSoftmax"), { axis: 1 }, [3]);
    expect(r.layer).toEqual({ type: "activation", activation: "softmax" });
    expect(r.logOutput).toBe(true);
  });
  it("Dropout takes its ratio input; Identity and a Flatten of a flat tensor are no layer", () => {
    expect(run(op("Dropout"), {}, [3], [t("ratio", [], [0.3])]).layer).toEqual({
      type: "dropout",
      rate: 0.3,
    });
    expect(run(op("Identity"), {}, [3]).layer).toBeNull();
    expect(run(op("Flatten"), { axis: 1 }, [3]).layer).toBeNull();
  });
  it("Flatten and Reshape [batch, -1] of an image flatten it and remember its [C, H, W]", () => {
    const f = run("Flatten", { axis: 1 }, [4, 5, 3]);
    expect(f.layer).toEqual({ type: "flatten" });
    expect(f.shape).toEqual([60]);
    expect(f.flattenedFrom).toEqual([3, 4, 5]);
    expect(run(op("Reshape"), {}, [4, 5, 3], [t("shape", [2], [1, -1])]).layer).toEqual({ type: "flatten" });
    expect(() => run("Reshape", {}, [4, 5, 3], [t("shape", [3], [1, 3, 20])])).toThrow(
      /only a Reshape to \[batch, -1\]/,
    );
  });
  it("Conv converts [out, in, kh, kw] to [kh, kw, in, out]; pads (k-1)/2 are 'same'", () => {
    const r = run(op("Conv"), { kernel_shape: [1, 2], pads: [0, 0, 0, 0], strides: [1, 1] }, [3, 3, 2], [
      t("w", [2, 2, 1, 2]),
      t("b", [2]),
    ]);
    expect(r.layer).toMatchObject({ type: "conv2d", filters: 2, kernelSize: [1, 2], padding: "valid" });
    // w[o][i][0][x] = o*4 + i*2 + x; kernel[(x*2 + i)*2 + o].
    expect(Array.from(r.params!.arrays.kernel.data)).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
    expect(r.shape).toEqual([3, 2, 2]);
    const same = run("Conv", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, [8, 8, 1], [t("w", [4, 1, 3, 3])]);
    expect(same.layer).toMatchObject({ padding: "same" });
    expect(same.shape).toEqual([8, 8, 4]);
    expect(() => run("Conv", { kernel_shape: [3, 3], pads: [2, 2, 2, 2] }, [8, 8, 1], [t("w", [4, 1, 3, 3])]))
      .toThrow(
        /neither "valid"/,
      );
  });
  it("MaxPool / AveragePool / GlobalAveragePool", () => {
    expect(run(op("MaxPool"), { kernel_shape: [2, 2], strides: [2, 2] }, [8, 8, 4]).layer).toEqual({
      type: "maxpool2d",
      poolSize: 2,
    });
    expect(run(op("AveragePool"), { kernel_shape: [2, 2], strides: [1, 1] }, [3, 3, 1]).shape).toEqual([
      2,
      2,
      1,
    ]);
    const g = run(op("GlobalAveragePool"), {}, [4, 4, 6]);
    expect(g.layer).toEqual({ type: "global-avgpool2d" });
    expect(g.shape).toEqual([6]);
  });
  it("BatchNormalization takes scale, B, mean, var", () => {
    const r = run(op("BatchNormalization"), { epsilon: 1e-5 }, [4, 4, 2], [
      t("s", [2], [1, 2]),
      t("b", [2], [0, 1]),
      t("m", [2], [0.5, 0.5]),
      t("v", [2], [1, 4]),
    ]);
    // PyTorch's epsilon 1e-5 and momentum 0.1 (ONNX 0.9) differ from the contract's Keras defaults: written out.
    expect(r.layer).toEqual({ type: "batchnorm", epsilon: 1e-5, momentum: 0.9 });
    expect(Array.from(r.params!.arrays.movingVariance.data)).toEqual([1, 4]);
  });
  it("Gather of a [V, D] table by the tokens is an embedding; ReduceMean over the steps a global-avgpool1d", () => {
    const g = run(op("Gather"), {}, [6], [t("table", [20, 4])], { tokens: true });
    expect(g.layer).toEqual({ type: "embedding", inputDim: 20, outputDim: 4 });
    expect(g.shape).toEqual([6, 4]);
    const m = run(op("ReduceMean"), { axes: [1], keepdims: 0 }, [6, 4]);
    expect(m.layer).toEqual({ type: "global-avgpool1d" });
    expect(m.shape).toEqual([4]);
  });
  it("has a case for every operator", () => {
    expect(ONNX_OPERATOR_NAMES.filter((n) => !covered.has(n))).toEqual([]);
  });
});
