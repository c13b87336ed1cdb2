#!/usr/bin/env python3
"""Run an ONNX model in ONNX Runtime (CPU) on the samples of an .npz and write inputs and outputs as raw
little-endian files, for tests and benchmarks of pare's interpreter (Sources/PareRuntime) to read back.

    run_onnx.py MODEL INPUTS.npz OUTDIR [--samples N] [--threads N] [--bench REPEATS] [--qdq-accuracy-level N] [--no-optimize]

INPUTS.npz holds keys "NNNN.<input name>" (as written by scripts/onnx_fixtures.py); each is cast to the input
type the model declares. For each of the first N
samples (default: all), OUTDIR gets NNNN.in.<k>.bin for the k-th model input and NNNN.out.<k>.bin for the k-th
output (C order), and OUTDIR/manifest.json describes them:

    {"samples": [{"inputs":  [{"name": ..., "dtype": "float32", "shape": [...], "file": "0000.in.0.bin"}],
                  "outputs": [{"name": ..., "dtype": "float32", "shape": [...], "file": "0000.out.0.bin"}]}],
     "threads": 1, "bench_ms": null}

The session uses --threads intra-op threads (default 1), sequential execution and every graph optimization, with
one exception: ONNX Runtime (1.2x) fuses DequantizeLinear → MatMul into MatMulNBits with
session.qdq_matmulnbits_accuracy_level 4 by default, which quantizes the activations to int8 (≈1 % error against
the float computation on pare's int8 bundles); --qdq-accuracy-level (default 0 here: float activations) sets it,
so that the outputs are the float reference the interpreter is checked against. --no-optimize turns every graph
optimization off, so QDQ models run QuantizeLinear / DequantizeLinear literally instead of fused integer kernels. With --bench R, sample 0 is
run R times after two warm-up runs, and bench_ms holds the per-run wall times in milliseconds.
Exit status: 0 on success, 1 when ONNX Runtime fails, 2 on bad arguments.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import onnxruntime as ort
except ImportError as e:  # pragma: no cover - environment problem
    print(f"run_onnx: cannot import onnxruntime ({e}); run scripts/setup-venv.sh and use .venv/bin/python", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("inputs")
    p.add_argument("outdir")
    p.add_argument("--samples", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--bench", type=int, default=0)
    p.add_argument("--qdq-accuracy-level", type=int, default=0)
    p.add_argument("--no-optimize", action="store_true",
                   help="disable every graph optimization (QuantizeLinear/DequantizeLinear then run literally, not fused into integer kernels)")
    a = p.parse_args()

    data = np.load(a.inputs)
    ids = sorted({k.split(".", 1)[0] for k in data.files})
    if a.samples > 0:
        ids = ids[: a.samples]
    if not ids:
        print(f"run_onnx: {a.inputs} holds no samples", file=sys.stderr)
        return 2
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", str(a.qdq_accuracy_level))
    if a.no_optimize:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - report any load failure
        print(f"run_onnx: ONNX Runtime cannot load {a.model}: {e}", file=sys.stderr)
        return 1
    in_names = [i.name for i in sess.get_inputs()]
    # Inputs are cast to the type the model declares (a float16-compute bundle takes float16 inputs).
    np_types = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
                "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(int8)": np.int8, "tensor(bool)": np.bool_}
    in_types = {i.name: np_types.get(i.type) for i in sess.get_inputs()}
    out_names = [o.name for o in sess.get_outputs()]
    os.makedirs(a.outdir, exist_ok=True)

    def write(prefix, k, name, arr):
        arr = np.ascontiguousarray(arr)
        f = f"{prefix}.{k}.bin"
        with open(os.path.join(a.outdir, f), "wb") as fh:
            fh.write(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
        return {"name": name, "dtype": str(arr.dtype), "shape": list(arr.shape), "file": f}

    samples = []
    feeds0 = None
    for sid in ids:
        feeds = {n: data[f"{sid}.{n}"].astype(in_types[n]) if in_types[n] else data[f"{sid}.{n}"] for n in in_names}
        feeds0 = feeds0 or feeds
        try:
            outs = sess.run(out_names, feeds)
        except Exception as e:  # noqa: BLE001
            print(f"run_onnx: ONNX Runtime fails on sample {sid}: {e}", file=sys.stderr)
            return 1
        samples.append({
            "inputs": [write(f"{sid}.in", k, n, feeds[n]) for k, n in enumerate(in_names)],
            "outputs": [write(f"{sid}.out", k, n, o) for k, (n, o) in enumerate(zip(out_names, outs))],
        })
    bench = None
    if a.bench > 0:
        for _ in range(2):
            sess.run(out_names, feeds0)
        bench = []
        for _ in range(a.bench):
            t = time.perf_counter()
            sess.run(out_names, feeds0)
            bench.append((time.perf_counter() - t) * 1000.0)
    with open(os.path.join(a.outdir, "manifest.json"), "w") as fh:
        json.dump({"samples": samples, "threads": a.threads, "bench_ms": bench}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
