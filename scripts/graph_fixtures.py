#!/usr/bin/env python3
"""Small seeded ONNX models for the graph passes' tests (fold).

    graph_fixtures.py OUTDIR [--seed N] [--opset N]

foldable.onnx: input [1,3,8,8] -> Conv(3->8, bias) -> BatchNormalization -> Relu -> Identity -> Conv(8->8, no bias)
-> BatchNormalization -> Dropout -> GlobalAveragePool -> Flatten -> Gemm(transB=1) whose weight is computed from
constants (Transpose(Mul(W0, scale))) -> BatchNormalization (2-D) -> logits [1,6]. Every BatchNormalization,
the Identity, the Dropout and the weight-only subgraph are what `fold` removes; the output must not change.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def foldable(seed: int, opset: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits = []

    def t(name, a):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a.astype(np.float32)), name))
        return name

    def bn(x, prefix, c):
        names = [t(f"{prefix}.weight", 1 + 0.2 * rng.standard_normal(c)), t(f"{prefix}.bias", 0.1 * rng.standard_normal(c)),
                 t(f"{prefix}.running_mean", 0.1 * rng.standard_normal(c)), t(f"{prefix}.running_var", 0.5 + rng.random(c))]
        nodes.append(helper.make_node("BatchNormalization", [x] + names, [prefix + ".out"], name=prefix, epsilon=1e-5))
        return prefix + ".out"

    nodes = []
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    nodes.append(helper.make_node("Conv", ["input", t("conv1.weight", 0.3 * rng.standard_normal((8, 3, 3, 3))),
                                           t("conv1.bias", 0.1 * rng.standard_normal(8))], ["c1"], name="conv1", **conv))
    y = bn("c1", "bn1", 8)
    nodes.append(helper.make_node("Relu", [y], ["r1"], name="relu1"))
    nodes.append(helper.make_node("Identity", ["r1"], ["id1"], name="identity"))
    nodes.append(helper.make_node("Conv", ["id1", t("conv2.weight", 0.2 * rng.standard_normal((8, 8, 3, 3)))], ["c2"], name="conv2", **conv))
    y = bn("c2", "bn2", 8)
    nodes.append(helper.make_node("Dropout", [y], ["d2"], name="dropout"))
    nodes.append(helper.make_node("GlobalAveragePool", ["d2"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    # Weight-only subgraph: fc.weight = Transpose(Mul(fc.w0, fc.scale)), [6, 8].
    nodes.append(helper.make_node("Mul", [t("fc.w0", rng.standard_normal((8, 6))), t("fc.scale", np.array([0.5]))], ["fc.w1"], name="fc.scale_mul"))
    nodes.append(helper.make_node("Transpose", ["fc.w1"], ["fc.weight"], name="fc.transpose", perm=[1, 0]))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.weight", t("fc.bias", 0.1 * rng.standard_normal(6))], ["fc.out"], name="fc", transB=1))
    y = bn("fc.out", "bn3", 6)
    nodes.append(helper.make_node("Identity", [y], ["logits"], name="out_identity"))
    graph = helper.make_graph(nodes, "foldable", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="pare-graph-fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--opset", type=int, default=17)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    onnx.save(foldable(a.seed, a.opset), os.path.join(a.outdir, "foldable.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
