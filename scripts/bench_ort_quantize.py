#!/usr/bin/env python3
"""Baseline for pare's benchmarks: quantize a model with onnxruntime's own quantizer, timing it.

    bench_ort_quantize.py MODEL.onnx OUT.onnx [--per-channel] [--reduce-range]
    bench_ort_quantize.py MODEL.onnx OUT.onnx --static [--inputs X.npz] [--per-channel] [--reduce-range]
    bench_ort_quantize.py MODEL.onnx OUT.onnx --int4 [--block-size 32]

Default (dynamic): onnxruntime.quantization.quantize_dynamic(MODEL, OUT, weight_type=QuantType.QInt8,
per_channel=..., reduce_range=...) - int8 weights, activations quantized at run time.
--static: quantize_static(MODEL, OUT, reader, quant_format=QuantFormat.QDQ, activation_type=QInt8,
weight_type=QInt8, calibrate_method=CalibrationMethod.MinMax, per_channel=...), calibrated on every sample of
--inputs (an .npz with keys "NNNN.<input name>"; default: MODEL's sibling <stem>.inputs.npz as written by
scripts/onnx_fixtures.py).
--int4: onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer(MODEL, bits=4, block_size=...,
is_symmetric=False, algo_config=DefaultWeightOnlyQuantConfig(...)) - round to nearest with each block's min/max,
MatMul weights only, as MatMulNBits (its HQQ option needs torch, which the venv does not install).

Prints one JSON line on standard output (the quantizer's own messages go to standard error):

    {"mode": "dynamic", "per_channel": false, "reduce_range": false, "seconds": 1.234, "peak_rss_mb": 812.5,
     "baseline_rss_mb": 95.1, "bytes_out": 23861234}

seconds: wall time of the quantize call only (time.perf_counter). peak_rss_mb: resource.getrusage(RUSAGE_SELF)
.ru_maxrss in MiB after the call (peak of the whole process, so it includes the interpreter and imports, see
baseline_rss_mb: the same peak measured just before the call). bytes_out: OUT plus any external data it uses.
Exit status: 0 on success, 1 when the quantizer fails, 2 for bad arguments or inputs.
"""
import argparse
import contextlib
import json
import os
import resource
import sys
import time

import numpy as np


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_samples(path: str) -> list:
    """The samples of an .npz with keys NNNN.<input name>, as a list of {input name: array} in index order
    (labels, NNNN.__label__, are dropped)."""
    data = np.load(path, allow_pickle=False)
    samples = {}
    for key in data.files:
        idx, dot, name = key.partition(".")
        if not dot or not idx.isdigit():
            raise ValueError(f"key {key!r} is not of the form NNNN.<input name>")
        if name == "__label__":
            continue
        samples.setdefault(int(idx), {})[name] = data[key]
    if not samples:
        raise ValueError("holds no samples")
    return [samples[i] for i in sorted(samples)]


def output_bytes(path: str) -> int:
    import onnx

    total = os.path.getsize(path)
    m = onnx.load(path, load_external_data=False)
    locs = {e.value for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
            for e in t.external_data if e.key == "location"}
    for loc in locs:
        f = os.path.join(os.path.dirname(os.path.abspath(path)), loc)
        if os.path.exists(f):
            total += os.path.getsize(f)
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--per-channel", action="store_true", help="one scale per output channel")
    ap.add_argument("--static", action="store_true", help="quantize_static (QDQ, MinMax) instead of dynamic")
    ap.add_argument("--reduce-range", action="store_true",
                    help="7-bit weights (reduce_range=True), avoids u8s8 saturation on AVX2 machines")
    ap.add_argument("--inputs", help="calibration .npz for --static (default <model stem>.inputs.npz)")
    ap.add_argument("--int4", action="store_true", help="4-bit MatMulNBits weights (MatMulNBitsQuantizer)")
    ap.add_argument("--block-size", type=int, default=32, help="--int4 block size (default 32)")
    args = ap.parse_args()
    if args.int4 and (args.static or args.per_channel or args.reduce_range):
        ap.error("--int4 does not combine with --static, --per-channel or --reduce-range")
    if not os.path.isfile(args.model):
        ap.error(f"{args.model}: no such file")
    if args.inputs and not args.static:
        ap.error("--inputs is only used with --static")
    try:
        from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                              quantize_dynamic, quantize_static)
    except ImportError as e:
        print(f"bench_ort_quantize: cannot import onnxruntime.quantization ({e}); run scripts/setup-venv.sh",
              file=sys.stderr)
        return 2

    reader = None
    if args.static:
        inputs = args.inputs
        if inputs is None:
            stem = args.model[:-5] if args.model.endswith(".onnx") else args.model
            inputs = stem + ".inputs.npz"
            if not os.path.isfile(inputs):
                ap.error(f"--static needs calibration data: pass --inputs X.npz ({inputs} does not exist)")
        try:
            samples = load_samples(inputs)
        except Exception as e:
            print(f"bench_ort_quantize: {inputs}: cannot read the calibration inputs ({e})", file=sys.stderr)
            return 2

        class NpzReader(CalibrationDataReader):
            """Feeds the samples of the .npz once each, in index order."""

            def __init__(self, feeds):
                self._it = iter(feeds)

            def get_next(self):
                return next(self._it, None)

        reader = NpzReader(samples)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    baseline = rss_mb()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for our one JSON line
            if args.int4:
                from onnxruntime.quantization.matmul_nbits_quantizer import (DefaultWeightOnlyQuantConfig,
                                                                               MatMulNBitsQuantizer)
                config = DefaultWeightOnlyQuantConfig(block_size=args.block_size, is_symmetric=False, bits=4)
                q = MatMulNBitsQuantizer(args.model, bits=4, block_size=args.block_size, is_symmetric=False,
                                         algo_config=config)
                q.process()
                q.model.save_model_to_file(args.out, use_external_data_format=False)
            elif args.static:
                quantize_static(args.model, args.out, reader, quant_format=QuantFormat.QDQ,
                                per_channel=args.per_channel, reduce_range=args.reduce_range,
                                activation_type=QuantType.QInt8,
                                weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                                calibration_providers=["CPUExecutionProvider"])
            else:
                quantize_dynamic(args.model, args.out, weight_type=QuantType.QInt8, per_channel=args.per_channel,
                                 reduce_range=args.reduce_range)
    except Exception as e:  # the quantizer raises many types; all mean "it failed on this model"
        what = "MatMulNBitsQuantizer" if args.int4 else "quantize_static" if args.static else "quantize_dynamic"
        print(f"bench_ort_quantize: {args.model}: {what} "
              f"failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    peak = rss_mb()
    print(json.dumps({"mode": "int4" if args.int4 else "static" if args.static else "dynamic", "per_channel": args.per_channel,
                      "reduce_range": args.reduce_range,
                      "seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1),
                      "baseline_rss_mb": round(baseline, 1), "bytes_out": output_bytes(args.out)},
                     sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
