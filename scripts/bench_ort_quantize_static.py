#!/usr/bin/env python3
"""Baseline for pare's W8A8 benchmark: ONNX Runtime's static (QDQ) quantization as a user targeting an NPU writes it.

    bench_ort_quantize_static.py MODEL.onnx CALIB.npz OUT.onnx [--no-preprocess] [--samples N]

1. onnxruntime.quantization.quant_pre_process(MODEL, <tmp>) - symbolic shape inference, ORT graph optimization
   (e.g. BatchNormalization folded into Conv), ONNX shape inference. ONNX Runtime's quantization docs and
   examples recommend this step before quantize_static ("It is highly recommended to run model optimization in
   pre-processing instead of in quantization", and quantize_static logs "Please consider to run pre-processing
   before quantization" when it was not done). --no-preprocess skips it.
2. onnxruntime.quantization.quantize_static(<pre-processed model>, OUT, reader, quant_format=QuantFormat.QDQ,
   activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
   calibrate_method=CalibrationMethod.MinMax), where reader is a CalibrationDataReader feeding every sample of
   CALIB.npz (keys "NNNN.<input name>", as scripts/onnx_fixtures.py writes <name>.calib.npz; NNNN.__label__ keys
   are ignored) once, in index order (or the first --samples N).

Prints one JSON line on standard output (the quantizer's own messages go to standard error):

    {"preprocess": true, "samples": 64, "seconds": 1.234, "preprocess_seconds": 0.2, "quantize_seconds": 1.03,
     "peak_rss_mb": 212.5, "baseline_rss_mb": 95.1, "bytes_out": 123456}

seconds: wall time of steps 1 + 2 (time.perf_counter; process start-up and imports are not included - time the
whole process with GNU time for that). peak_rss_mb: ru_maxrss of the process after the calls, in MiB;
baseline_rss_mb: the same just before them. bytes_out: OUT plus any external data it uses.
Exit status: 0 on success, 1 when pre-processing or the quantizer fails, 2 for bad arguments or inputs.
"""
import argparse
import contextlib
import json
import os
import sys
import tempfile
import time

import numpy as np


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ort_quantize import load_samples, output_bytes, rss_mb  # noqa: E402  (shared with the weight-only benchmark)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("model")
    ap.add_argument("calib", help="calibration .npz (keys NNNN.<input name>)")
    ap.add_argument("out")
    ap.add_argument("--no-preprocess", action="store_true", help="skip quant_pre_process")
    ap.add_argument("--samples", type=int, help="use only the first N calibration samples (default: all)")
    args = ap.parse_args()
    for p in (args.model, args.calib):
        if not os.path.isfile(p):
            ap.error(f"{p}: no such file")
    if args.samples is not None and args.samples < 1:
        ap.error("--samples must be >= 1")
    try:
        from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                              quant_pre_process, quantize_static)
    except ImportError as e:
        print(f"bench_ort_quantize_static: cannot import onnxruntime.quantization ({e}); run scripts/setup-venv.sh",
              file=sys.stderr)
        return 2
    try:
        samples = load_samples(args.calib)
    except Exception as e:
        print(f"bench_ort_quantize_static: {args.calib}: cannot read the calibration inputs ({e})", file=sys.stderr)
        return 2
    if args.samples is not None:
        samples = samples[:args.samples]

    class NpzReader(CalibrationDataReader):
        """Feeds the samples once each, in index order."""

        def __init__(self, feeds):
            self._it = iter(feeds)

        def get_next(self):
            return next(self._it, None)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    baseline = rss_mb()
    t0 = time.perf_counter()
    pre_seconds = 0.0
    step = "quant_pre_process"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ort-static-") as tmp, contextlib.redirect_stdout(sys.stderr):
            source = args.model
            if not args.no_preprocess:
                source = os.path.join(tmp, "preprocessed.onnx")
                quant_pre_process(args.model, source)
                pre_seconds = time.perf_counter() - t0
            step = "quantize_static"
            quantize_static(source, args.out, NpzReader(samples), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax,
                            calibration_providers=["CPUExecutionProvider"])
    except Exception as e:  # both raise many types; all mean "it failed on this model"
        print(f"bench_ort_quantize_static: {args.model}: {step} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    peak = rss_mb()
    print(json.dumps({"preprocess": not args.no_preprocess, "samples": len(samples), "seconds": round(seconds, 3),
                      "preprocess_seconds": round(pre_seconds, 3), "quantize_seconds": round(seconds - pre_seconds, 3),
                      "peak_rss_mb": round(peak, 1), "baseline_rss_mb": round(baseline, 1),
                      "bytes_out": output_bytes(args.out)}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
