#!/usr/bin/env python3
"""Print what the `safetensors` library reads from a file, one JSON line per tensor (sorted by name):

    {"name": "fc.weight", "dtype": "F32", "shape": [4, 3], "sha256": "<hex digest of the raw tensor bytes>"}

With --metadata, a first line {"__metadata__": {...}} holds the file's metadata ({} when it has none).
Used by pare's tests to prove that Python reads exactly what pare writes. The raw bytes come from the
library's own deserializer (which validates the whole file); for every dtype numpy has, the tensor is also
loaded through safe_open(framework="np") and must have the same bytes and shape.

Usage: check_safetensors.py [--metadata] FILE
Exit status: 0 on success, 1 (with a message on stderr) when the library rejects the file or the views disagree.
"""
import argparse
import hashlib
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--metadata", action="store_true", help="print the metadata first")
    args = ap.parse_args()
    try:
        import numpy as np
        import safetensors
        from safetensors import safe_open
    except ImportError as e:
        print(f"check_safetensors: cannot import numpy/safetensors ({e}); run scripts/setup-venv.sh", file=sys.stderr)
        return 1

    numpy_types = {
        "F64": np.float64, "F32": np.float32, "F16": np.float16,
        "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
        "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
        "BOOL": np.bool_,
    }
    try:
        with open(args.file, "rb") as fh:
            raw = {name: info for name, info in safetensors.deserialize(fh.read())}
        lines = []
        with safe_open(args.file, framework="np") as f:
            metadata = f.metadata() or {}
            keys = sorted(f.keys())
            if keys != sorted(raw):
                raise ValueError(f"safe_open lists {keys} but deserialize lists {sorted(raw)}")
            for name in keys:
                info = raw[name]
                data = bytes(info["data"])
                sl = f.get_slice(name)
                if sl.get_dtype() != info["dtype"] or list(sl.get_shape()) != list(info["shape"]):
                    raise ValueError(f"tensor '{name}': safe_open sees {sl.get_dtype()} {sl.get_shape()}, "
                                     f"deserialize sees {info['dtype']} {info['shape']}")
                if info["dtype"] in numpy_types:
                    arr = f.get_tensor(name)
                    if arr.dtype != np.dtype(numpy_types[info["dtype"]]) or list(arr.shape) != list(info["shape"]):
                        raise ValueError(f"tensor '{name}': numpy sees {arr.dtype} {list(arr.shape)}")
                    if np.ascontiguousarray(arr).tobytes() != data:
                        raise ValueError(f"tensor '{name}': numpy bytes differ from the raw bytes")
                lines.append({"name": name, "dtype": info["dtype"], "shape": list(info["shape"]),
                              "sha256": hashlib.sha256(data).hexdigest()})
    except Exception as e:  # the library raises several types; all mean "cannot read"
        print(f"check_safetensors: {args.file}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if args.metadata:
        print(json.dumps({"__metadata__": metadata}, sort_keys=True))
    for line in lines:
        print(json.dumps(line, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
