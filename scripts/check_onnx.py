#!/usr/bin/env python3
"""Compare a compressed ONNX model (candidate) with its float original (reference) in ONNX Runtime.

    check_onnx.py --reference FLOAT.onnx --candidate OTHER.onnx [--inputs X.npz | --seed N --samples K] [--json]

Checks the candidate with onnx.checker.check_model(full_check=True), runs both models on the same inputs in
onnxruntime (CPUExecutionProvider, 1 thread, sequential: deterministic) and prints one JSON object
(pretty-printed; with --json on one line) with sorted keys:

    {"checker": true, "loads": true, "samples": 8,
     "outputs": {"logits": {"cosine_mean": .., "cosine_min": .., "max_abs": .., "sqnr_db": .., "top1_agreement": ..,
                            "nonfinite": 0}},
     "top1_agreement": .., "reference_bytes": .., "candidate_bytes": .., "ops": {"MatMul": 9, ...}}

Metrics (float64): per sample s and output, cosine_s = <r_s, c_s> / (|r_s| |c_s|) over the flattened output
(1 when both are zero, 0 when one is); cosine_mean / cosine_min over samples; max_abs = max |r - c|;
sqnr_db = 10 log10(sum r^2 / sum (r - c)^2) over all samples (null when r == c exactly or r is all zero);
top1_agreement = fraction of positions (all axes but the last, all samples) where argmax over the last axis
agrees; the top-level top1_agreement is that of the first output (null when its last axis has size 1).
`nonfinite` counts NaN/Inf values in the candidate's output (metrics that become NaN are printed as null).
`*_bytes` include external data files. `ops` counts the candidate's nodes by op_type ("domain:op_type" outside
the default domain).
With --inputs, keys NNNN.__label__ (as in scripts/onnx_fixtures.py's <name>.eval.npz) are labels, not inputs: they
are not fed, and "labels": {"reference_accuracy": .., "candidate_accuracy": ..} is added - the fraction of label
entries equal to the argmax over the last axis of the first output (labels flattened against all its other axes).

Inputs: --inputs X.npz with keys "NNNN.<input name>" (as scripts/onnx_fixtures.py writes them), or random ones
from numpy.random.default_rng(--seed): floats ~N(0,1), integer inputs uniform in [0, vocab) where vocab is the
first dimension of the table a Gather indexes with that input; symbolic dimensions become 1. When a float input
of the candidate has another precision than the reference's (e.g. float16), the values are cast to it.

Exit status: 0 when the comparison ran (whatever the metrics), 1 when the candidate fails the checker, fails to
load or run, or its outputs do not match the reference's names and shapes (the error goes to stderr; the JSON is
still printed when possible), 2 for bad arguments, a reference that does not run, or unusable inputs.
"""
import argparse
import json
import math
import os
import sys
from collections import Counter

import numpy as np

PROG = "check_onnx"


class UsageError(Exception):
    """Bad arguments, reference model or inputs (exit status 2)."""


def fail(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr)


def model_bytes(path: str, onnx) -> int:
    """Size of the .onnx file plus every distinct external data file its tensors reference."""
    total = os.path.getsize(path)
    m = onnx.load(path, load_external_data=False)
    seen = set()
    for t in _all_tensors(m.graph):
        if t.data_location == onnx.TensorProto.EXTERNAL:
            loc = next((e.value for e in t.external_data if e.key == "location"), None)
            if loc and loc not in seen:
                seen.add(loc)
                f = os.path.join(os.path.dirname(os.path.abspath(path)), loc)
                if os.path.exists(f):
                    total += os.path.getsize(f)
    return total


def _all_tensors(graph):
    yield from graph.initializer
    for n in graph.node:
        for a in n.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("g"):
                yield from _all_tensors(a.g)
            for g in a.graphs:
                yield from _all_tensors(g)


def op_histogram(graph) -> dict:
    """op_type counts over the graph and its subgraphs (If/Loop/Scan bodies)."""
    c = Counter()

    def walk(g):
        for n in g.node:
            c[n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}"] += 1
            for a in n.attribute:
                if a.HasField("g"):
                    walk(a.g)
                for sub in a.graphs:
                    walk(sub)

    walk(graph)
    return dict(sorted(c.items()))


def session(path: str, ort):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.use_deterministic_compute = True
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


NP_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


LABEL_KEY = "__label__"


def load_inputs(path: str, specs, labels: list = None) -> list:
    """Samples from an .npz with keys NNNN.<input name>; validated against the model's inputs. Keys
    NNNN.__label__ are not inputs: when `labels` is a list, each sample's label (or None) is appended to it."""
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:
        raise UsageError(f"{path}: cannot read the inputs ({type(e).__name__}: {e})")
    samples = {}
    for key in data.files:
        idx, dot, name = key.partition(".")
        if not dot or not idx.isdigit():
            raise UsageError(f"{path}: key {key!r} is not of the form NNNN.<input name>")
        samples.setdefault(int(idx), {})[name] = data[key]
    if not samples:
        raise UsageError(f"{path}: holds no samples")
    out = []
    for idx in sorted(samples):
        label = samples[idx].pop(LABEL_KEY, None)
        if labels is not None:
            labels.append(label)
        feed = {}
        for spec in specs:
            key = f"{idx:04d}.{spec.name}"
            if spec.name not in samples[idx]:
                raise UsageError(f"{path}: sample {idx} has no input {spec.name!r} (expected key {key!r})")
            arr = samples[idx][spec.name]
            want = NP_TYPES.get(spec.type)
            if want is not None and arr.dtype != want:
                raise UsageError(f"{path}: {key!r} is {arr.dtype} but the model's input {spec.name!r} is "
                                 f"{np.dtype(want)}")
            shape = list(spec.shape)
            if len(shape) != arr.ndim or any(isinstance(d, int) and d != a for d, a in zip(shape, arr.shape)):
                raise UsageError(f"{path}: {key!r} has shape {list(arr.shape)} but the model's input "
                                 f"{spec.name!r} has shape {shape}")
            feed[spec.name] = arr
        extra = set(samples[idx]) - {s.name for s in specs}
        if extra:
            raise UsageError(f"{path}: sample {idx} has inputs the model does not take: {sorted(extra)}")
        out.append(feed)
    return out


def gather_vocab(model, input_name: str):
    """First dimension of an initializer (or Constant) that a Gather indexes with `input_name`, else None."""
    tables = {t.name: list(t.dims) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    tables[n.output[0]] = list(a.t.dims)
    for n in model.graph.node:
        if n.op_type == "Gather" and len(n.input) > 1 and n.input[1] == input_name and n.input[0] in tables:
            axis = next((a.i for a in n.attribute if a.name == "axis"), 0)
            dims = tables[n.input[0]]
            return dims[axis] if dims else None
    return None


def random_inputs(model, specs, seed: int, count: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        feed = {}
        for spec in specs:
            shape = [d if isinstance(d, int) and d > 0 else 1 for d in spec.shape]
            dtype = NP_TYPES.get(spec.type)
            if dtype is None:
                raise UsageError(f"input {spec.name!r} has type {spec.type}; pass --inputs")
            if np.issubdtype(dtype, np.floating):
                feed[spec.name] = rng.standard_normal(shape).astype(dtype)
            elif dtype == np.bool_:
                feed[spec.name] = rng.integers(0, 2, size=shape).astype(np.bool_)
            else:
                vocab = gather_vocab(model, spec.name)
                if vocab is None:
                    raise UsageError(f"integer input {spec.name!r} does not index a Gather table, so its range is "
                                     f"unknown; pass --inputs X.npz")
                feed[spec.name] = rng.integers(0, vocab, size=shape).astype(dtype)
        out.append(feed)
    return out


def _num(x):
    """JSON-safe float: NaN/Inf become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def compare(ref: list, cand: list) -> dict:
    """Metrics of one output; ref and cand are lists (one array per sample) of equal shapes."""
    r = np.stack(ref).astype(np.float64).reshape(len(ref), -1)
    c = np.stack(cand).astype(np.float64).reshape(len(cand), -1)
    nonfinite = int((~np.isfinite(c)).sum())
    nr, nc = np.linalg.norm(r, axis=1), np.linalg.norm(c, axis=1)
    dots = (r * c).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where((nr == 0) & (nc == 0), 1.0, np.where((nr == 0) | (nc == 0), 0.0, dots / (nr * nc)))
        cos = np.where(np.isnan(cos), cos, np.clip(cos, -1.0, 1.0))  # rounding can give 1 + 1e-16
        noise = ((r - c) ** 2).sum()
        signal = (r ** 2).sum()
        sqnr = None if noise == 0 or signal == 0 else _num(10 * np.log10(signal / noise))
    out = {"cosine_mean": _num(cos.mean()), "cosine_min": _num(cos.min()), "max_abs": _num(np.abs(r - c).max()),
           "sqnr_db": sqnr, "nonfinite": nonfinite, "top1_agreement": None}
    shape = ref[0].shape
    if len(shape) >= 1 and shape[-1] > 1:
        ra = np.stack(ref).reshape(-1, shape[-1]).argmax(axis=-1)
        ca = np.stack(cand).reshape(-1, shape[-1]).argmax(axis=-1)
        out["top1_agreement"] = float((ra == ca).mean())
    return out


def label_accuracy(outputs: list, labels: list):
    """Fraction of label entries equal to the argmax over the last axis of the output (None when sizes differ)."""
    pred = np.concatenate([o.reshape(-1, o.shape[-1]).argmax(axis=-1) for o in outputs])
    want = np.concatenate([np.asarray(lab).reshape(-1) for lab in labels])
    return float((pred == want).mean()) if pred.shape == want.shape else None


def run(args) -> tuple:
    """Returns (result dict, candidate error or None). Raises UsageError for exit status 2."""
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as e:
        raise UsageError(f"cannot import onnx/onnxruntime ({e}); run scripts/setup-venv.sh and use .venv/bin/python")
    for flag, p in (("--reference", args.reference), ("--candidate", args.candidate)):
        if not os.path.isfile(p):
            raise UsageError(f"{flag} {p}: no such file")

    result = {"checker": False, "loads": False, "samples": 0, "outputs": {}, "top1_agreement": None,
              "reference_bytes": model_bytes(args.reference, onnx), "candidate_bytes": None, "ops": {}}
    try:
        ref_model = onnx.load(args.reference, load_external_data=False)
        ref_sess = session(args.reference, ort)
    except Exception as e:
        raise UsageError(f"{args.reference}: the reference does not load in onnxruntime ({type(e).__name__}: {e})")
    specs = ref_sess.get_inputs()
    labels = []
    if args.inputs:
        feeds = load_inputs(args.inputs, specs, labels)
    else:
        feeds = random_inputs(ref_model, specs, args.seed, args.samples)
    try:
        ref_out = [ref_sess.run(None, f) for f in feeds]
    except Exception as e:
        raise UsageError(f"{args.reference}: the reference fails to run on the inputs ({type(e).__name__}: {e})")
    ref_names = [o.name for o in ref_sess.get_outputs()]

    errors = []
    result["candidate_bytes"] = os.path.getsize(args.candidate)
    try:
        cand_model = onnx.load(args.candidate, load_external_data=False)
        result["ops"] = op_histogram(cand_model.graph)
        result["candidate_bytes"] = model_bytes(args.candidate, onnx)
    except Exception as e:
        return result, f"{args.candidate}: not a readable ONNX model ({type(e).__name__}: {e})"
    try:
        onnx.checker.check_model(args.candidate, full_check=True)
        result["checker"] = True
    except Exception as e:
        errors.append(f"{args.candidate}: onnx.checker rejects it ({type(e).__name__}: {e})")
    try:
        cand_sess = session(args.candidate, ort)
    except Exception as e:
        errors.append(f"{args.candidate}: onnxruntime cannot load it ({type(e).__name__}: {e})")
        return result, "\n".join(errors)
    result["loads"] = True
    cand_names = [o.name for o in cand_sess.get_outputs()]
    missing = [n for n in ref_names if n not in cand_names]
    cand_inputs = sorted(i.name for i in cand_sess.get_inputs())
    if cand_inputs != sorted(s.name for s in specs):
        errors.append(f"{args.candidate}: takes inputs {cand_inputs} but the reference takes "
                      f"{sorted(s.name for s in specs)}")
    elif missing:
        errors.append(f"{args.candidate}: has no output(s) {missing} (it has {cand_names})")
    else:
        # A candidate whose float inputs have another precision (e.g. a float16 deployment model) gets the
        # same values cast to that type.
        casts = {i.name: NP_TYPES[i.type] for i in cand_sess.get_inputs()
                 if i.type in NP_TYPES and np.issubdtype(NP_TYPES[i.type], np.floating)}
        cand_feeds = [{k: (v.astype(casts[k]) if k in casts and np.issubdtype(v.dtype, np.floating) else v)
                       for k, v in f.items()} for f in feeds]
        try:
            cand_out = [cand_sess.run(ref_names, f) for f in cand_feeds]
        except Exception as e:
            errors.append(f"{args.candidate}: onnxruntime fails to run it ({type(e).__name__}: {e})")
            return result, "\n".join(errors)
        result["samples"] = len(feeds)
        for k, name in enumerate(ref_names):
            rs, cs = [o[k] for o in ref_out], [o[k] for o in cand_out]
            if rs[0].shape != cs[0].shape:
                errors.append(f"{args.candidate}: output {name!r} has shape {list(cs[0].shape)}, "
                              f"the reference's has {list(rs[0].shape)}")
                continue
            result["outputs"][name] = compare(rs, cs)
        if ref_names and ref_names[0] in result["outputs"]:
            result["top1_agreement"] = result["outputs"][ref_names[0]]["top1_agreement"]
            if labels and all(lab is not None for lab in labels):
                result["labels"] = {"reference_accuracy": label_accuracy([o[0] for o in ref_out], labels),
                                    "candidate_accuracy": label_accuracy([o[0] for o in cand_out], labels)}
    return result, "\n".join(errors) or None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--reference", required=True, help="the float model")
    ap.add_argument("--candidate", required=True, help="the model to check (quantized, cast, pruned, ...)")
    ap.add_argument("--inputs", help="an .npz with keys NNNN.<input name>")
    ap.add_argument("--seed", type=int, help="seed for random inputs (default 0)")
    ap.add_argument("--samples", type=int, help="number of random samples (default 8)")
    ap.add_argument("--json", action="store_true", help="print the JSON object on one line")
    args = ap.parse_args()
    if args.inputs and (args.seed is not None or args.samples is not None):
        ap.error("--inputs cannot be combined with --seed/--samples")
    args.seed = 0 if args.seed is None else args.seed
    args.samples = 8 if args.samples is None else args.samples
    if args.samples < 1:
        ap.error("--samples must be >= 1")
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    try:
        result, error = run(args)
    except UsageError as e:
        fail(str(e))
        return 2
    print(json.dumps(result, sort_keys=True, indent=None if args.json else 2))
    if error:
        fail(error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
