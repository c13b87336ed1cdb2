#!/usr/bin/env python3
"""Generate pare's deterministic ONNX test models (fixtures) and a seeded input set for each.

    onnx_fixtures.py OUTDIR [--only NAME,...] [--seed N] [--opset N] [--no-verify]

Models (graphs built with onnx.helper, float32 weights from numpy.random.default_rng(seed)):

    cnn               image [1,3,32,32] -> Conv+bias, BN, Relu, MaxPool, Conv, BN, Clip(0,6), GAP, Flatten,
                      Gemm -> logits [1,10]
    transformer       input_ids [1,16] -> embedding + positions, one pre-norm encoder block, LM head -> [1,16,512]
    constants         MLP (MatMul/Add/Relu x3) whose weights are Constant nodes (like PaddlePaddle exports)
    external          `transformer` saved with external data (external.onnx + external.onnx.data)
    resnet            image [1,3,32,32] -> Conv+BN+Relu, one residual block (Conv+BN+Relu, Conv+BN, Add with the
                      block input, Relu), GAP, Flatten, Gemm -> logits [1,10] (16 channels); only with --only
    big-transformer   ~95 MB of float32 weights (d=768, 12 heads, 2 blocks, vocab 6144); only with --only
    huge-transformer  ~520 MB of float32 weights (d=1024, 16 heads, 9 blocks, vocab 8192); only with --only
    giant-transformer ~2.34 GB of float32 weights (d=2048, 16 heads, 9 blocks, vocab 32000), over protobuf's 2 GiB
                      limit, so saved with external data (giant-transformer.onnx + giant-transformer.onnx.data,
                      each tensor at a 4096-byte aligned offset); its weights are streamed to the data file as
                      they are drawn, so at most one tensor (262 MB) is in memory; only with --only

Without --only, the first four are written. Same seed and opset -> byte-identical files (.onnx and .npz).

Each model also gets OUTDIR/<name>.inputs.npz: 8 samples, keys "NNNN.<input name>" (images ~N(0,1), token ids
uniform in [0, vocab)), drawn from numpy.random.default_rng([seed, 1]). cnn and transformer also get
<name>.calib.npz and <name>.eval.npz (64 samples each, streams [seed, 2] and [seed, 3]; the evaluation set has
labels NNNN.__label__, see write_data_sets).

Unless --no-verify, every model is checked with onnx.checker.check_model(full_check=True) and run in
onnxruntime (CPU) on its 8 samples; outputs must be finite and not constant. One JSON line per model goes to
standard output: name, bytes (including external data), opset, ir_version, params, ops histogram, ...
Exit status: 0 on success, 1 when a model fails verification, 2 on bad arguments.
"""
import argparse
import io
import json
import math
import os
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover - environment problem
    print(f"onnx_fixtures: cannot import onnx ({e}); run scripts/setup-venv.sh and use .venv/bin/python",
          file=sys.stderr)
    sys.exit(2)

MIN_OPSET = 11
DEFAULT_OPSET = 17
SAMPLES = 8
PRODUCER = "pare-onnx-fixtures"
PRODUCER_VERSION = "1"


# --------------------------------------------------------------------------------------------------------------
# Graph building


def _c_order(array) -> np.ndarray:
    """`array` as a C-contiguous ndarray, keeping 0-d arrays 0-d (np.ascontiguousarray makes them 1-d)."""
    a = np.asarray(array)
    return a if a.flags.c_contiguous else a.copy(order="C")


class ExternalSink:
    """Writes initializers of at least `threshold` bytes to one external-data file as they are made (each at an
    offset that is a multiple of ALIGN, gaps zero-filled) and returns TensorProtos that point there, so a model
    over protobuf's 2 GiB limit is built without holding its weights: only the tensor being written is in memory."""

    ALIGN = 4096

    def __init__(self, path: str, location: str, threshold: int = 1024):
        self.location = location
        self.threshold = threshold
        self._f = open(path, "wb")

    def tensor(self, name: str, array: np.ndarray) -> TensorProto:
        a = _c_order(array)
        if a.nbytes < self.threshold:
            return numpy_helper.from_array(a, name)
        if sys.byteorder != "little" and a.dtype.itemsize > 1:
            a = a.byteswap()  # ONNX stores little-endian
        pad = -self._f.tell() % self.ALIGN
        self._f.write(b"\0" * pad)
        offset = self._f.tell()
        self._f.write(memoryview(a).cast("B"))
        t = TensorProto(name=name, data_type=helper.np_dtype_to_tensor_dtype(a.dtype), dims=list(a.shape),
                        data_location=TensorProto.EXTERNAL)
        for key, value in (("location", self.location), ("offset", str(offset)), ("length", str(a.nbytes))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        return t

    def close(self) -> int:
        """Closes the file; returns its size."""
        size = self._f.tell()
        self._f.close()
        return size


class GraphBuilder:
    """Collects nodes and initializers, naming nodes and tensors the way torch.onnx.export does:
    node `/scope/Op` (then `/scope/Op_1`, ...), output `/scope/Op_output_0`. With a `sink`, initializers go
    straight to its external-data file."""

    def __init__(self, opset: int, rng: np.random.Generator, sink: ExternalSink = None):
        self.opset = opset
        self.rng = rng
        self.sink = sink
        self.nodes = []
        self.initializers = []
        self._names = set()
        self._op_count = Counter()
        self._scalars = {}

    # -- tensors ------------------------------------------------------------------------------------------
    def _claim(self, name: str) -> str:
        if name in self._names:
            raise ValueError(f"duplicate tensor name {name!r}")
        self._names.add(name)
        return name

    def tensor(self, name: str, array: np.ndarray) -> str:
        """Adds an initializer holding `array` (stored as raw_data, like exporters do; in the sink's file when
        the builder has one)."""
        name = self._claim(name)
        if self.sink is not None:
            self.initializers.append(self.sink.tensor(name, array))
        else:
            self.initializers.append(numpy_helper.from_array(_c_order(array), name))
        return name

    def normal(self, name: str, shape, std: float, mean: float = 0.0) -> str:
        """Adds a float32 initializer drawn from N(mean, std^2) (computed in float32)."""
        a = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        if mean:
            a += np.float32(mean)
        return self.tensor(name, a)

    def scalar(self, value, dtype=np.float32) -> str:
        """A shared 0-d initializer (torch exports scalars the same way), e.g. the 2.0 of Pow."""
        key = (np.dtype(dtype).str, float(value))
        if key not in self._scalars:
            kind = "f" if np.dtype(dtype).kind == "f" else "i"
            self._scalars[key] = self.tensor(f"const.{kind}{len(self._scalars)}", np.array(value, dtype=dtype))
        return self._scalars[key]

    def ints(self, name: str, values) -> str:
        """An int64 initializer (Reshape shapes, ReduceMean axes)."""
        return self.tensor(name, np.array(values, dtype=np.int64))

    # -- nodes --------------------------------------------------------------------------------------------
    def op(self, op_type: str, inputs, scope: str, output: str = None, **attrs) -> str:
        """Adds one node with a single output; returns the output's name."""
        base = f"{scope}/{op_type}"
        n = self._op_count[base]
        self._op_count[base] += 1
        node_name = base if n == 0 else f"{base}_{n}"
        out = self._claim(output or f"{node_name}_output_0")
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=node_name, **attrs))
        return out

    def constant(self, name: str, array: np.ndarray) -> str:
        """A Constant node whose `value` attribute holds `array`; its output is called `name`."""
        tensor = numpy_helper.from_array(_c_order(array), name)
        n = self._op_count["Constant"]
        self._op_count["Constant"] += 1
        self.nodes.append(helper.make_node("Constant", [], [self._claim(name)], name=f"p2o.Constant.{n}",
                                           value=tensor))
        return name

    # -- composite ops ------------------------------------------------------------------------------------
    def reduce_mean(self, x: str, scope: str) -> str:
        """Mean over the last axis, keepdims (axes is an attribute before opset 18, an input from 18)."""
        if self.opset >= 18:
            if "const.axes_last" not in self._names:
                self.ints("const.axes_last", [-1])
            return self.op("ReduceMean", [x, "const.axes_last"], scope, keepdims=1)
        return self.op("ReduceMean", [x], scope, axes=[-1], keepdims=1)

    def layer_norm(self, x: str, prefix: str, scope: str, d: int, eps: float = 1e-5) -> str:
        """LayerNormalization over the last axis (opset >= 17), else torch's decomposition:
        y = (x - mean) / sqrt(mean((x - mean)^2) + eps) * weight + bias."""
        w = self.normal(f"{prefix}.weight", [d], 0.05, mean=1.0)
        b = self.normal(f"{prefix}.bias", [d], 0.02)
        if self.opset >= 17:
            return self.op("LayerNormalization", [x, w, b], scope, axis=-1, epsilon=eps)
        mean = self.reduce_mean(x, scope)
        centered = self.op("Sub", [x, mean], scope)
        sq = self.op("Pow", [centered, self.scalar(2.0)], scope)
        var = self.reduce_mean(sq, scope)
        std = self.op("Sqrt", [self.op("Add", [var, self.scalar(eps)], scope)], scope)
        normed = self.op("Div", [centered, std], scope)
        return self.op("Add", [self.op("Mul", [normed, w], scope), b], scope)

    def gelu(self, x: str, scope: str) -> str:
        """Exact GELU: the Gelu op (opset >= 20), else x * 0.5 * (1 + erf(x / sqrt(2))) as torch exports it."""
        if self.opset >= 20:
            return self.op("Gelu", [x], scope, approximate="none")
        e = self.op("Erf", [self.op("Div", [x, self.scalar(math.sqrt(2.0))], scope)], scope)
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [e, self.scalar(1.0)], scope)], scope),
                               self.scalar(0.5)], scope)

    def linear(self, x: str, prefix: str, scope: str, d_in: int, d_out: int, std: float,
               bias: bool = True, output: str = None) -> str:
        """MatMul with a [d_in, d_out] weight (torch's Linear weight, transposed) plus an optional bias Add."""
        w = self.normal(f"{prefix}.weight", [d_in, d_out], std)
        y = self.op("MatMul", [x, w], scope, output=None if bias else output)
        if not bias:
            return y
        return self.op("Add", [y, self.normal(f"{prefix}.bias", [d_out], 0.02)], scope, output=output)

    # -- model --------------------------------------------------------------------------------------------
    def model(self, name: str, inputs, outputs) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.initializers)
        opset = [helper.make_opsetid("", self.opset)]
        return helper.make_model(graph, opset_imports=opset, producer_name=PRODUCER,
                                 producer_version=PRODUCER_VERSION,
                                 ir_version=helper.find_min_ir_version_for(opset))


# --------------------------------------------------------------------------------------------------------------
# CNN


def _conv2d(x: np.ndarray, w: np.ndarray, pad: int) -> np.ndarray:
    """float64 NCHW convolution, stride 1, symmetric zero padding (for simulating activation statistics)."""
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))  # N,C,H,W,kh,kw
    return np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def _round_sig(a: np.ndarray, digits: int = 4) -> np.ndarray:
    """Rounds to `digits` significant digits so that values derived from a float64 simulation do not depend on
    the last bits of the machine's BLAS (keeps the files byte-identical across machines)."""
    return np.array([float(f"{v:.{digits - 1}e}") for v in np.asarray(a, dtype=np.float64).ravel()],
                    dtype=np.float64).reshape(np.shape(a))


def build_cnn(seed: int, opset: int) -> onnx.ModelProto:
    """A small image classifier like a torchvision-style export. BatchNorm statistics and the classifier's
    centring come from simulating the network in float64 on 64 seeded `images()`, as training would leave
    them, so activations are neither dead nor saturated and the argmax depends on the input."""
    g = GraphBuilder(opset, np.random.default_rng(seed))
    sim = images(np.random.default_rng([seed, 2]), 64).astype(np.float64)
    c1, c2, classes = 32, 64, 10

    def conv_weight(name, cout, cin):
        # He init, with a log-normal scale per output channel (trained convs followed by BN look like that,
        # which is what makes per-channel quantization worth it).
        w = g.rng.standard_normal((cout, cin, 3, 3), dtype=np.float32) * np.float32(math.sqrt(2.0 / (cin * 9)))
        w *= np.exp(g.rng.normal(0.0, 0.5, size=(cout, 1, 1, 1))).astype(np.float32)
        g.tensor(name, w)
        return w

    def batch_norm(x_name, y_sim, prefix, scope, c):
        gamma = (1.0 + 0.25 * g.rng.standard_normal(c)).astype(np.float32)
        beta = (0.2 * g.rng.standard_normal(c)).astype(np.float32)
        mean = _round_sig(y_sim.mean(axis=(0, 2, 3))).astype(np.float32)
        var = _round_sig(y_sim.var(axis=(0, 2, 3))).astype(np.float32)
        names = [g.tensor(f"{prefix}.{k}", v) for k, v in
                 (("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", var))]
        out = g.op("BatchNormalization", [x_name] + names, scope, epsilon=1e-5)
        z = (y_sim - mean.reshape(1, c, 1, 1)) / np.sqrt(var.reshape(1, c, 1, 1).astype(np.float64) + 1e-5)
        return out, z * gamma.reshape(1, c, 1, 1) + beta.reshape(1, c, 1, 1)

    conv_attrs = dict(dilations=[1, 1], group=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    w1 = conv_weight("conv1.weight", c1, 3)
    b1 = g.rng.standard_normal(c1, dtype=np.float32) * np.float32(0.1)
    y = g.op("Conv", ["input", "conv1.weight", g.tensor("conv1.bias", b1)], "/conv1", **conv_attrs)
    y_sim = _conv2d(sim, w1.astype(np.float64), 1) + b1.astype(np.float64).reshape(1, c1, 1, 1)
    y, y_sim = batch_norm(y, y_sim, "bn1", "/bn1", c1)
    y = g.op("Relu", [y], "/relu")
    y_sim = np.maximum(y_sim, 0.0)
    y = g.op("MaxPool", [y], "/maxpool", kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    y_sim = y_sim.reshape(64, c1, 16, 2, 16, 2).max(axis=(3, 5))

    w2 = conv_weight("conv2.weight", c2, c1)
    y = g.op("Conv", [y, "conv2.weight"], "/conv2", **conv_attrs)
    y_sim = _conv2d(y_sim, w2.astype(np.float64), 1)
    y, y_sim = batch_norm(y, y_sim, "bn2", "/bn2", c2)
    y = g.op("Clip", [y, g.scalar(0.0), g.scalar(6.0)], "/relu6")
    y_sim = np.clip(y_sim, 0.0, 6.0)
    y = g.op("GlobalAveragePool", [y], "/avgpool")
    feats = y_sim.mean(axis=(2, 3))  # [64, c2]
    y = g.op("Flatten", [y], "/flatten", axis=1)

    # Classifier: random directions, scaled so logits vary with std ~2 across inputs, centred by the bias.
    w_raw = g.rng.standard_normal((classes, c2)).astype(np.float64) / math.sqrt(c2)
    logits_sim = feats @ w_raw.T
    scale = float(_round_sig(np.array(2.0 / logits_sim.std(axis=0).mean())))
    fc_w = (w_raw * scale).astype(np.float32)
    fc_b = (_round_sig(-logits_sim.mean(axis=0) * scale) + 0.1 * g.rng.standard_normal(classes)).astype(np.float32)
    g.op("Gemm", [y, g.tensor("fc.weight", fc_w), g.tensor("fc.bias", fc_b)], "/fc", output="logits",
         alpha=1.0, beta=1.0, transB=1)
    return g.model("cnn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])])


def build_resnet(seed: int, opset: int) -> onnx.ModelProto:
    """A tiny residual CNN (structured-pruning tests: the stem conv and the block's second conv share a channel
    space through the residual Add). Seeded He-init weights, random BN statistics."""
    g = GraphBuilder(opset, np.random.default_rng(seed))
    c, classes = 16, 10
    attrs = dict(dilations=[1, 1], group=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])

    def conv_bn(x, name, cin, stride=1):
        w = g.normal(f"{name}.weight", [c, cin, 3, 3], math.sqrt(2.0 / (cin * 9)))
        y = g.op("Conv", [x, w], f"/{name}", **dict(attrs, strides=[stride, stride]))
        bn = [g.tensor(f"{name}.bn.{k}", v) for k, v in (
            ("weight", (1.0 + 0.25 * g.rng.standard_normal(c)).astype(np.float32)),
            ("bias", (0.1 * g.rng.standard_normal(c)).astype(np.float32)),
            ("running_mean", (0.1 * g.rng.standard_normal(c)).astype(np.float32)),
            ("running_var", (1.0 + 0.5 * g.rng.random(c)).astype(np.float32)))]
        return g.op("BatchNormalization", [y] + bn, f"/{name}/bn", epsilon=1e-5)

    x = g.op("Relu", [conv_bn("input", "stem", 3, stride=2)], "/stem/relu")
    y = g.op("Relu", [conv_bn(x, "block.conv1", c)], "/block/relu1")
    y = conv_bn(y, "block.conv2", c)
    y = g.op("Relu", [g.op("Add", [x, y], "/block/add")], "/block/relu2")
    y = g.op("Flatten", [g.op("GlobalAveragePool", [y], "/avgpool")], "/flatten", axis=1)
    g.op("Gemm", [y, g.normal("fc.weight", [classes, c], 1.0 / math.sqrt(c)), g.normal("fc.bias", [classes], 0.1)],
         "/fc", output="logits", alpha=1.0, beta=1.0, transB=1)
    return g.model("resnet", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])])


# --------------------------------------------------------------------------------------------------------------
# Transformer


@dataclass(frozen=True)
class TransformerConfig:
    vocab: int
    d: int
    heads: int
    layers: int
    seq: int = 16
    mlp_ratio: int = 4

    @property
    def params(self) -> int:
        d, f = self.d, self.d * self.mlp_ratio
        per_layer = 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d  # q,k,v,o + MLP + two LayerNorms
        return self.vocab * d + self.seq * d + self.layers * per_layer + d * self.vocab


SMALL = TransformerConfig(vocab=512, d=64, heads=4, layers=1)
BIG = TransformerConfig(vocab=6144, d=768, heads=12, layers=2)
HUGE = TransformerConfig(vocab=8192, d=1024, heads=16, layers=9)
GIANT = TransformerConfig(vocab=32000, d=2048, heads=16, layers=9)


def build_transformer(seed: int, opset: int, cfg: TransformerConfig, name: str,
                      sink: ExternalSink = None) -> onnx.ModelProto:
    """Token embedding + positions, `cfg.layers` pre-norm encoder blocks (multi-head self-attention without a
    mask, GELU MLP), and an LM head MatMul to [1, seq, vocab] logits, like a torch/Hugging Face export.
    MatMul weights are stored [in, out]. With a `sink`, the weights are written to its external-data file."""
    g = GraphBuilder(opset, np.random.default_rng(seed), sink)
    d, h, s = cfg.d, cfg.heads, cfg.seq
    dh = d // h
    if dh * h != d:
        raise ValueError(f"d={d} is not a multiple of heads={h}")
    x = g.op("Gather", [g.normal("embed_tokens.weight", [cfg.vocab, d], 1.0), "input_ids"], "/embed_tokens",
             axis=0)
    x = g.op("Add", [x, g.normal("embed_positions.weight", [s, d], 0.5)], "/embed_positions")
    split_shape = g.ints("shape.split_heads", [1, s, h, dh])
    merge_shape = g.ints("shape.merge_heads", [1, s, d])
    for i in range(cfg.layers):
        p, sc = f"layers.{i}", f"/layers.{i}"
        a = g.layer_norm(x, f"{p}.ln_1", f"{sc}/ln_1", d)

        def heads(proj, perm, std):
            y = g.linear(a, f"{p}.attn.{proj}", f"{sc}/attn/{proj}", d, d, std)
            return g.op("Transpose", [g.op("Reshape", [y, split_shape], f"{sc}/attn/{proj}")], f"{sc}/attn/{proj}",
                        perm=perm)

        q = heads("q_proj", [0, 2, 1, 3], 1.5 / math.sqrt(d))  # [1,h,s,dh]
        k = heads("k_proj", [0, 2, 3, 1], 1.5 / math.sqrt(d))  # [1,h,dh,s]  (K transposed)
        v = heads("v_proj", [0, 2, 1, 3], 1.0 / math.sqrt(d))  # [1,h,s,dh]
        scores = g.op("Div", [g.op("MatMul", [q, k], f"{sc}/attn"), g.scalar(math.sqrt(dh))], f"{sc}/attn")
        probs = g.op("Softmax", [scores], f"{sc}/attn", axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v], f"{sc}/attn")], f"{sc}/attn", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_shape], f"{sc}/attn")
        a = g.linear(ctx, f"{p}.attn.out_proj", f"{sc}/attn/out_proj", d, d, 1.0 / math.sqrt(d))
        x = g.op("Add", [x, a], sc)
        m = g.layer_norm(x, f"{p}.ln_2", f"{sc}/ln_2", d)
        m = g.linear(m, f"{p}.mlp.fc1", f"{sc}/mlp/fc1", d, d * cfg.mlp_ratio, 1.0 / math.sqrt(d))
        m = g.gelu(m, f"{sc}/mlp/act")
        m = g.linear(m, f"{p}.mlp.fc2", f"{sc}/mlp/fc2", d * cfg.mlp_ratio, d, 1.0 / math.sqrt(d * cfg.mlp_ratio))
        x = g.op("Add", [x, m], sc)
    g.linear(x, "lm_head", "/lm_head", d, cfg.vocab, 1.0 / math.sqrt(d), bias=False, output="logits")
    return g.model(name, [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, s])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, s, cfg.vocab])])


# --------------------------------------------------------------------------------------------------------------
# MLP with Constant-node weights


def build_constants(seed: int, opset: int) -> onnx.ModelProto:
    """x [1,64] -> 3 x (MatMul, Add, Relu) with widths 128, 64, 10; every weight and bias is the `value` of a
    Constant node (as older paddle2onnx exports do) and the graph has no initializers. Biases centre each
    unit on 64 simulated N(0,1) inputs (hidden units: half active; outputs: mostly positive) so the Relu
    outputs depend on the input instead of on one dominant bias."""
    g = GraphBuilder(opset, np.random.default_rng(seed))
    h_sim = np.random.default_rng([seed, 2]).standard_normal((64, 64))
    x = "x"
    widths = [64, 128, 64, 10]
    for i, (d_in, d_out) in enumerate(zip(widths, widths[1:])):
        w = g.rng.standard_normal((d_in, d_out), dtype=np.float32) * np.float32(math.sqrt(2.0 / d_in))
        pre = h_sim @ w.astype(np.float64)
        shift = 0.5 * pre.std(axis=0) if i == 2 else 0.0
        b = (_round_sig(shift - pre.mean(axis=0)) + 0.05 * g.rng.standard_normal(d_out)).astype(np.float32)
        h_sim = np.maximum(pre + b.astype(np.float64), 0.0)
        x = g.op("MatMul", [x, g.constant(f"linear_{i}.w_0", w)], f"/linear_{i}")
        x = g.op("Add", [x, g.constant(f"linear_{i}.b_0", b)], f"/linear_{i}")
        x = g.op("Relu", [x], f"/relu_{i}", output="out" if i == 2 else None)
    return g.model("constants", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                   [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 10])])


# --------------------------------------------------------------------------------------------------------------
# Inputs, files, verification


IMAGE_OFFSET_VARIANCE = 0.5


def images(rng: np.random.Generator, n: int) -> np.ndarray:
    """n float32 [3,32,32] images whose pixels are each ~N(0,1): sqrt(1-r) * white noise + sqrt(r) * one offset
    per image and channel (r = IMAGE_OFFSET_VARIANCE), like the global colour / brightness differences of real
    photos, which survive global average pooling where white noise averages away."""
    r = IMAGE_OFFSET_VARIANCE
    noise = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
    offset = rng.standard_normal((n, 3, 1, 1), dtype=np.float32)
    return noise * np.float32(math.sqrt(1.0 - r)) + offset * np.float32(math.sqrt(r))


def make_inputs(model: onnx.ModelProto, seed: int, vocab: int = 0, n: int = None, stream: int = 1) -> dict:
    """n (default SAMPLES) seeded samples for the model's inputs: images from `images()`, other floats ~N(0,1),
    int64 token ids uniform in [0, vocab). `stream` picks an independent random stream (1: the inputs file,
    2: calibration set, 3: evaluation set)."""
    rng = np.random.default_rng([seed, stream])
    out = {}
    for i in range(SAMPLES if n is None else n):
        for vi in model.graph.input:
            shape = [dim.dim_value for dim in vi.type.tensor_type.shape.dim]
            if vi.type.tensor_type.elem_type == TensorProto.INT64:
                out[f"{i:04d}.{vi.name}"] = rng.integers(0, vocab, size=shape, dtype=np.int64)
            elif len(shape) == 4:
                out[f"{i:04d}.{vi.name}"] = images(rng, shape[0])
            else:
                out[f"{i:04d}.{vi.name}"] = rng.standard_normal(shape, dtype=np.float32)
    return out


def save_npz(path: str, arrays: dict) -> None:
    """Like numpy.savez (np.load reads it) but byte-identical on every run: fixed timestamps, no compression."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            buf = io.BytesIO()
            np.lib.format.write_array(buf, _c_order(arr), allow_pickle=False)
            zf.writestr(info, buf.getvalue())
    os.replace(tmp, path)


def count_params(model: onnx.ModelProto) -> int:
    """Elements of floating-point weights (initializers and Constant-node values of rank >= 1; the 0-d scalar
    constants of Pow, Div, Clip, ... are not counted)."""
    floats = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
    tensors = list(model.graph.initializer)
    tensors += [a.t for n in model.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"]
    return sum(math.prod(t.dims) for t in tensors if t.data_type in floats and len(t.dims) > 0)


def verify(path: str, inputs: dict) -> dict:
    """check_model(full_check=True) on the saved file, then runs every sample in onnxruntime; raises on failure.
    Returns a short description of the outputs."""
    import onnxruntime as ort

    onnx.checker.check_model(path, full_check=True)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    outs = []
    for i in range(SAMPLES):
        outs.append(sess.run(None, {n: inputs[f"{i:04d}.{n}"] for n in names})[0])
    y = np.stack(outs).astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError(f"{path}: onnxruntime produced non-finite outputs")
    if y.std() < 1e-4:
        raise ValueError(f"{path}: outputs are (nearly) constant (std {y.std():.3g}); the fixture is degenerate")
    top1 = y.reshape(-1, y.shape[-1]).argmax(axis=-1)
    return {"output_shape": list(outs[0].shape), "output_std": round(float(y.std()), 4),
            "top1_distinct": int(len(set(top1.tolist()))), "top1_positions": int(top1.size)}


DATA_SAMPLES = 64
LABEL_NOISE = 0.1


def write_data_sets(path: str, model_path: str, model: onnx.ModelProto, seed: int, vocab: int, outdir: str, name: str) -> dict:
    """<name>.calib.npz and <name>.eval.npz: DATA_SAMPLES samples each from independent streams. The evaluation set
    has labels NNNN.__label__ (int64, one class per row of the first output's last axis): the float model's argmax
    (onnxruntime), with a seeded LABEL_NOISE fraction replaced by a random other class, so the float model's accuracy
    is about 1 - LABEL_NOISE and a compressed model's can be compared with it."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    calib = make_inputs(model, seed, vocab, DATA_SAMPLES, stream=2)
    save_npz(os.path.join(outdir, f"{name}.calib.npz"), calib)
    ev = make_inputs(model, seed, vocab, DATA_SAMPLES, stream=3)
    rng = np.random.default_rng([seed, 4])
    arrays = {}
    for i in range(DATA_SAMPLES):
        feeds = {n: ev[f"{i:04d}.{n}"] for n in names}
        for n in names:
            arrays[f"{i:04d}.{n}"] = feeds[n]
        y = sess.run(None, feeds)[0]
        classes = y.shape[-1]
        label = y.reshape(-1, classes).argmax(axis=-1).astype(np.int64)
        flip = rng.random(label.shape) < LABEL_NOISE
        other = (label + rng.integers(1, classes, size=label.shape)) % classes
        arrays[f"{i:04d}.__label__"] = np.where(flip, other, label).astype(np.int64)
    save_npz(os.path.join(outdir, f"{name}.eval.npz"), arrays)
    return {"calibration": f"{name}.calib.npz", "evaluation": f"{name}.eval.npz", "samples": DATA_SAMPLES}


@dataclass(frozen=True)
class Fixture:
    name: str
    build: object  # (seed, opset) -> ModelProto; (seed, opset, sink) -> ModelProto when streamed
    vocab: int = 0
    external: bool = False
    streamed: bool = False  # weights written to <name>.onnx.data while the graph is built (ExternalSink)
    on_demand: bool = False
    config: TransformerConfig = None


FIXTURES = [
    Fixture("cnn", build_cnn),
    Fixture("transformer", lambda s, o: build_transformer(s, o, SMALL, "transformer"), vocab=SMALL.vocab,
            config=SMALL),
    Fixture("constants", build_constants),
    Fixture("external", lambda s, o: build_transformer(s, o, SMALL, "transformer"), vocab=SMALL.vocab,
            external=True, config=SMALL),
    Fixture("resnet", build_resnet, on_demand=True),
    Fixture("big-transformer", lambda s, o: build_transformer(s, o, BIG, "big-transformer"), vocab=BIG.vocab,
            on_demand=True, config=BIG),
    Fixture("huge-transformer", lambda s, o: build_transformer(s, o, HUGE, "huge-transformer"), vocab=HUGE.vocab,
            on_demand=True, config=HUGE),
    Fixture("giant-transformer", lambda s, o, sink: build_transformer(s, o, GIANT, "giant-transformer", sink),
            vocab=GIANT.vocab, streamed=True, on_demand=True, config=GIANT),
]


def write_fixture(fx: Fixture, outdir: str, seed: int, opset: int, check: bool) -> dict:
    t0 = time.perf_counter()
    path = os.path.join(outdir, f"{fx.name}.onnx")
    sink = None
    if fx.streamed:
        data_name = f"{fx.name}.onnx.data"
        sink = ExternalSink(os.path.join(outdir, data_name), data_name)
        try:
            model = fx.build(seed, opset, sink)
        finally:
            data_bytes = sink.close()
    else:
        model = fx.build(seed, opset)
    summary = {"name": f"{fx.name}.onnx", "opset": opset, "ir_version": model.ir_version,
               "params": count_params(model),
               "ops": dict(sorted(Counter(n.op_type for n in model.graph.node).items()))}
    if fx.config is not None:
        c = fx.config
        if c.params != summary["params"]:
            raise AssertionError(f"TransformerConfig.params={c.params} but the graph holds {summary['params']}")
        summary["config"] = {"vocab": c.vocab, "d": c.d, "heads": c.heads, "layers": c.layers, "seq": c.seq,
                             "mlp": c.d * c.mlp_ratio, "weights_mb": round(c.params * 4 / 1e6, 1)}
    inputs = make_inputs(model, seed, fx.vocab)
    if sink is not None:
        onnx.save_model(model, path)  # the weights are already in the data file; this is the small graph
        summary["external_data"] = sink.location
        summary["external_data_bytes"] = data_bytes
    elif fx.external:
        data_name = f"{fx.name}.onnx.data"
        data_path = os.path.join(outdir, data_name)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx appends to an existing data file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
        os.chmod(data_path, 0o644)  # onnx creates it 0600; make it as readable as the .onnx file
        summary["external_data"] = data_name
        summary["external_data_bytes"] = os.path.getsize(data_path)
    else:
        onnx.save_model(model, path)
    del model
    summary["bytes"] = os.path.getsize(path) + summary.get("external_data_bytes", 0)
    npz = os.path.join(outdir, f"{fx.name}.inputs.npz")
    save_npz(npz, inputs)
    summary["inputs"] = os.path.basename(npz)
    if fx.name in ("cnn", "transformer"):
        summary["data"] = write_data_sets(npz, path, onnx.load(path), seed, fx.vocab, outdir, fx.name)
    if check:
        summary["verified"] = verify(path, inputs)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("outdir")
    ap.add_argument("--only", help="comma-separated fixture names: " + ", ".join(f.name for f in FIXTURES))
    ap.add_argument("--seed", type=int, default=0, help="weights and inputs seed (default 0)")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    ap.add_argument("--no-verify", action="store_true", help="skip the checker and the onnxruntime run")
    args = ap.parse_args()

    max_opset = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= args.opset <= max_opset:
        ap.error(f"--opset {args.opset} is not supported; use {MIN_OPSET}..{max_opset}")
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    by_name = {f.name: f for f in FIXTURES}
    if args.only:
        wanted = [n.strip().removesuffix(".onnx") for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in by_name]
        if unknown:
            ap.error(f"--only: unknown fixture(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
        chosen = [by_name[n] for n in dict.fromkeys(wanted)]
    else:
        chosen = [f for f in FIXTURES if not f.on_demand]
    os.makedirs(args.outdir, exist_ok=True)

    status = 0
    for fx in chosen:
        try:
            print(json.dumps(write_fixture(fx, args.outdir, args.seed, args.opset, not args.no_verify),
                             sort_keys=True), flush=True)
        except Exception as e:  # checker / onnxruntime raise many types; all mean "this fixture is broken"
            print(f"onnx_fixtures: {fx.name}.onnx (opset {args.opset}): {type(e).__name__}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
