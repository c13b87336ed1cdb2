#!/usr/bin/env python3
"""Dequantize a pare bundle's model.safetensors into an all-F32 safetensors file.

Usage: dequantize_bundle.py BUNDLE_MODEL.safetensors OUT.safetensors

Follows docs/bundle-format.md ("pare-bundle/1"):
  * __metadata__["pare.quantization"] maps each quantized weight W to
    {"dtype": int8|uint8|int4|uint4, "granularity": per-tensor|per-channel|per-group, "group": G,
     "symmetric": bool, "shape": S, "rows": r, "cols": c, "scale": "W.scale", "zero_point": "W.zero_point"|null,
     "fit": "mse" (optional)}
  * W holds I8/U8 values with shape S, or for int4/uint4 U8 with shape [r, ceil(c/2)]: element j of a row in
    byte j//2, even j in the low nibble; int4 nibbles are two's complement.
  * W.scale is F32 with shape [1], [r] or [r, ceil(c/G)]; W.zero_point (optional) has the same shape,
    I8 for int8/int4 and U8 for uint8/uint4 — or F32 (fractional zero points) when "fit" is "mse" and
    "symmetric" is false.
  * x = (q - zp) * scale, computed in float32 (zp = 0 without a zero-point tensor).
Every other tensor is converted to F32 (F16 and BF16 upcast exactly). The helper tensors (scales, zero
points) are not written. Exit status 0 on success; 1 with a message naming the file and tensor otherwise.
"""
import json
import sys

import numpy as np
import safetensors
from safetensors import safe_open
from safetensors.numpy import save_file

FORMAT = "pare-bundle/1"
QUANT_TYPES = {
    # dtype: (stored safetensors dtype, zero-point dtype, low, high, packed 4-bit)
    "int8": ("I8", "I8", -128, 127, False),
    "uint8": ("U8", "U8", 0, 255, False),
    "int4": ("U8", "I8", -8, 7, True),
    "uint4": ("U8", "U8", 0, 15, True),
}


class BundleError(Exception):
    pass


def unpack_nibbles(packed: np.ndarray, rows: int, cols: int, signed: bool) -> np.ndarray:
    """[rows, ceil(cols/2)] bytes → [rows, cols] int32; element j in byte j//2, even j in the low nibble."""
    low = (packed & 0x0F).astype(np.int32)
    high = (packed >> 4).astype(np.int32)
    q = np.empty((rows, packed.shape[1] * 2), dtype=np.int32)
    q[:, 0::2] = low
    q[:, 1::2] = high
    q = q[:, :cols]
    if signed:
        q = np.where(q >= 8, q - 16, q)
    return q


class Bundle:
    def __init__(self, path: str):
        self.path = path
        self.handle = safe_open(path, framework="np")
        self.file = self.handle.__enter__()
        self.metadata = self.file.metadata() or {}
        self.names = list(self.file.keys())
        self.dtypes = {n: self.file.get_slice(n).get_dtype() for n in self.names}
        self.shapes = {n: list(self.file.get_slice(n).get_shape()) for n in self.names}
        self._raw = None

    def close(self):
        self.handle.__exit__(None, None, None)

    def fail(self, tensor, message):
        where = f"tensor '{tensor}': " if tensor else ""
        return BundleError(f"{self.path}: {where}{message}")

    def array(self, name: str) -> np.ndarray:
        if name not in self.dtypes:
            raise self.fail(name, "is named in pare.quantization but is not in the file")
        if self.dtypes[name] != "BF16":
            return self.file.get_tensor(name)
        # numpy has no bfloat16: take the raw bytes from the library's deserializer.
        if self._raw is None:
            with open(self.path, "rb") as fh:
                self._raw = {n: info for n, info in safetensors.deserialize(fh.read())}
        bits = np.frombuffer(bytes(self._raw[name]["data"]), dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(self.shapes[name])

    def as_f32(self, name: str) -> np.ndarray:
        return np.asarray(self.array(name)).astype(np.float32)

    def expect(self, name, dtype, shape):
        if self.dtypes.get(name) is None:
            raise self.fail(name, "is missing")
        if self.dtypes[name] != dtype or self.shapes[name] != list(shape):
            raise self.fail(name, f"is {self.dtypes[name]} {self.shapes[name]}, expected {dtype} {list(shape)}")

    def dequantize(self, name: str, info) -> np.ndarray:
        if not isinstance(info, dict):
            raise self.fail(name, "pare.quantization entry is not an object")
        try:
            qtype = info["dtype"]
            granularity = info["granularity"]
            group = int(info.get("group", 0))
            shape = [int(d) for d in info["shape"]]
            rows, cols = int(info["rows"]), int(info["cols"])
            scale_name = info["scale"]
            zp_name = info.get("zero_point")
            fractional = info.get("fit") == "mse" and not info.get("symmetric", True)
        except (KeyError, TypeError, ValueError) as e:
            raise self.fail(name, f"pare.quantization entry lacks or mistypes {e}")
        if qtype not in QUANT_TYPES:
            raise self.fail(name, f"unknown quantized dtype '{qtype}' (expected one of {sorted(QUANT_TYPES)})")
        stored, zp_dtype, lo, hi, packed = QUANT_TYPES[qtype]
        if rows * cols != int(np.prod(shape, dtype=np.int64)) or (shape and rows != shape[0]):
            raise self.fail(name, f"rows {rows} × cols {cols} do not match shape {shape}")
        if granularity == "per-tensor":
            sshape = [1]
        elif granularity == "per-channel":
            sshape = [rows]
        elif granularity == "per-group":
            if group <= 0:
                raise self.fail(name, f"per-group needs a positive group, got {group}")
            sshape = [rows, -(-cols // group)]
        else:
            raise self.fail(name, f"unknown granularity '{granularity}'")

        if packed:
            self.expect(name, "U8", [rows, (cols + 1) // 2])
            q = unpack_nibbles(self.array(name), rows, cols, signed=qtype == "int4")
        else:
            self.expect(name, stored, shape)
            q = self.array(name).astype(np.int32).reshape(rows, cols)

        self.expect(scale_name, "F32", sshape)
        scale = self.array(scale_name).astype(np.float32)
        if zp_name is not None:
            if fractional:
                self.expect(zp_name, "F32", sshape)
                zp = self.array(zp_name).astype(np.float32)
                if zp.size and not np.isfinite(zp).all():
                    raise self.fail(zp_name, "zero points must be finite")
            else:
                self.expect(zp_name, zp_dtype, sshape)
                zp = self.array(zp_name).astype(np.int32)
                if zp.size and (zp.min() < lo or zp.max() > hi):
                    raise self.fail(zp_name, f"zero point outside the {qtype} range [{lo}, {hi}]")
        else:
            zp = np.zeros(sshape, dtype=np.int32)

        if granularity == "per-tensor":
            s, z = scale.reshape(1, 1), zp.reshape(1, 1)
        elif granularity == "per-channel":
            s, z = scale.reshape(rows, 1), zp.reshape(rows, 1)
        else:
            s = np.repeat(scale, group, axis=1)[:, :cols]
            z = np.repeat(zp, group, axis=1)[:, :cols]
        x = (q.astype(np.float32) - z.astype(np.float32)) * s
        return x.astype(np.float32).reshape(shape)


def run(src: str, dst: str) -> None:
    b = Bundle(src)
    try:
        fmt = b.metadata.get("pare.format")
        if fmt != FORMAT:
            raise b.fail(None, f"__metadata__['pare.format'] is {fmt!r}, expected '{FORMAT}'; not a pare bundle model")
        try:
            quant = json.loads(b.metadata.get("pare.quantization", "{}"))
        except json.JSONDecodeError as e:
            raise b.fail(None, f"__metadata__['pare.quantization'] is not JSON: {e}")
        if not isinstance(quant, dict):
            raise b.fail(None, "__metadata__['pare.quantization'] is not a JSON object")
        helpers = set()
        for info in quant.values():
            if isinstance(info, dict):
                helpers.add(info.get("scale"))
                helpers.add(info.get("zero_point"))
        out = {}
        for name in b.names:
            if name in quant:
                out[name] = np.ascontiguousarray(b.dequantize(name, quant[name]))
            elif name not in helpers:
                out[name] = np.ascontiguousarray(b.as_f32(name))
        for name in quant:
            if name not in b.dtypes:
                raise b.fail(name, "is listed in pare.quantization but is not in the file")
        save_file(out, dst)
    finally:
        b.close()


def main(argv) -> int:
    if len(argv) != 2:
        print("usage: dequantize_bundle.py BUNDLE_MODEL.safetensors OUT.safetensors", file=sys.stderr)
        return 2
    try:
        run(argv[0], argv[1])
    except BundleError as e:
        print(f"dequantize_bundle: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # the safetensors library raises its own error types for unreadable files
        print(f"dequantize_bundle: {argv[0]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
