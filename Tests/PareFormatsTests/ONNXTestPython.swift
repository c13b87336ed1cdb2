/// The Python side of the ONNX tests (run with the venv's python, which has onnx, onnxruntime and numpy).
///
/// Modes:
/// - `gen KIND SEED DIR`: builds a model with onnx's helper API (seeded numpy data), checks it with
///   `onnx.checker.check_model(full_check=True)`, prints its path, then its index (below) as one JSON line.
///   KIND: `opset21` (initializers in raw_data and typed fields — float_data, int64_data, int32_data,
///   double_data, uint64_data — of every dtype pare reads, float16 / bfloat16 / int4 included, Constant nodes);
///   `opset11` (the same graph at opset 11, without bfloat16 and int4); `external` (opset21 saved with external
///   data, Constant attributes included); `if` (an If node whose branches hold Constant weights); `rawonly`
///   (opset21 with every tensor in raw_data, as `numpy_helper.from_array` writes them).
/// - `index PATH...`: per model, one JSON line: the main graph's initializers then node-attribute tensors as
///   onnx decodes them (`numpy_helper.to_array`), named as pare names them: name, dtype, shape, byte count and
///   sha256 of the raw little-endian bytes (4-bit values packed two per byte, low nibble first).
/// - `check SEED ORIGINAL WRITTEN`: full checker on WRITTEN, both models run in onnxruntime on one seeded
///   input; prints whether the outputs are bit-identical, and both indexes.
/// - `big MEGABYTES DIR`: a MatMul chain with 4 MiB float32 weights, for the memory measurement.
let onnxTestPython = #"""
import sys, json, hashlib, os
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP

def generate(kind, seed, out):
    rng = np.random.default_rng(seed)
    opset = 11 if kind == "opset11" else 21
    all_raw = kind == "rawonly"
    inits, nodes = [], []

    def f32(*s): return rng.standard_normal(s).astype(np.float32)
    def raw(name, a): inits.append(numpy_helper.from_array(a, name)); return name
    def typed(name, dt, a):
        if all_raw: return raw(name, a)
        inits.append(helper.make_tensor(name, dt, a.shape, a.flatten().tolist())); return name
    def raw_bytes(name, dt, dims, b): inits.append(helper.make_tensor(name, dt, dims, b, raw=True)); return name
    def const(out_name, t, name=None): nodes.append(helper.make_node("Constant", [], [out_name], name=name, value=t)); return out_name
    def node(op, ins, outs, **kw): nodes.append(helper.make_node(op, ins, outs, **kw)); return outs[0]

    X = helper.make_tensor_value_info("X", TP.FLOAT, [2, 16])
    inputs = [X]
    if kind == "if":
        s0 = raw("s0", f32(16))
        xa = node("Mul", ["X", s0], ["xa"])
        wt = numpy_helper.from_array(f32(16, 64), "wt")
        we = helper.make_tensor("we", TP.FLOAT, [16, 64], f32(16, 64).flatten().tolist())
        then_g = helper.make_graph([helper.make_node("Constant", [], ["wt_out"], value=wt), helper.make_node("MatMul", ["xa", "wt_out"], ["yt"])],
                                   "then", [], [helper.make_tensor_value_info("yt", TP.FLOAT, [2, 64])])
        else_g = helper.make_graph([helper.make_node("Constant", [], ["we_out"], value=we), helper.make_node("MatMul", ["xa", "we_out"], ["ye"])],
                                   "else", [], [helper.make_tensor_value_info("ye", TP.FLOAT, [2, 64])])
        inputs.append(helper.make_tensor_value_info("cond", TP.BOOL, []))
        node("If", ["cond"], ["Y0"], then_branch=then_g, else_branch=else_g, name="branch")
        b = raw("b_out", f32(64))
        node("Add", ["Y0", b], ["Y"])
        outputs = [helper.make_tensor_value_info("Y", TP.FLOAT, [2, 64])]
    else:
        w1 = typed("W1", TP.FLOAT, f32(16, 64))                 # float_data, 4 KiB: stripped
        b1 = raw("b1", f32(64))                                 # raw, 256 B: inline
        h = node("Relu", [node("Add", [node("MatMul", ["X", w1], ["mm1"]), b1], ["a1"])], ["h"])
        w2 = raw("W2", f32(64, 32).astype(np.float16))          # float16 raw, 4 KiB
        y = node("MatMul", [h, node("Cast", [w2], ["w2f"], to=TP.FLOAT)], ["y"])
        c1 = const("c1", helper.make_tensor("c1v", TP.FLOAT, [32], f32(32).tolist()) if not all_raw else numpy_helper.from_array(f32(32), "c1v"))
        w3 = const("W3", numpy_helper.from_array(f32(32, 32), "w3v"), name="const_w3")   # Constant, 4 KiB raw
        y2 = node("MatMul", [node("Add", [y, c1], ["y1"]), w3], ["y2"])
        idx = typed("idx", TP.INT64, rng.integers(0, 32, size=200).astype(np.int64))       # int64_data, 1600 B
        g = node("Gather", [y2, idx], ["g"], axis=1)            # [2, 200]
        q = raw("q", rng.integers(-128, 128, size=(2, 200)).astype(np.int8))
        qs = raw("q_scale", np.array(0.05, dtype=np.float32))
        qz = raw("q_zero", np.array(3, dtype=np.int8))
        g = node("Add", [g, node("DequantizeLinear", [q, qs, qz], ["dq"])], ["g2"])
        mask = raw("mask", rng.integers(0, 2, size=(2, 200)).astype(bool))
        zero = typed("zero", TP.FLOAT, np.array([0.0], dtype=np.float32))
        g = node("Where", [mask, g, zero], ["g3"])
        if opset >= 21:
            bf = rng.integers(0, 1 << 16, size=200).astype(np.uint16) & 0xBF7F   # finite bfloat16 patterns
            raw_bytes("bf", TP.BFLOAT16, [200], bf.tobytes())
            g = node("Add", [g, node("Cast", ["bf"], ["bff"], to=TP.FLOAT)], ["g4"])
            q4 = rng.integers(0, 256, size=100).astype(np.uint8)
            raw_bytes("q4", TP.INT4, [200], q4.tobytes())
            s4 = raw("q4_scale", np.array(0.25, dtype=np.float32))
            g = node("Add", [g, node("DequantizeLinear", ["q4", s4], ["dq4"])], ["g5"])
            # Unused tensors of the remaining types, in typed fields and raw_data.
            typed("x_f64", TP.DOUBLE, rng.standard_normal(150))
            typed("x_u64", TP.UINT64, rng.integers(0, 1 << 63, size=140, dtype=np.uint64))
            typed("x_u32", TP.UINT32, rng.integers(0, 1 << 32, size=300, dtype=np.uint64).astype(np.uint32))
            typed("x_i16", TP.INT16, rng.integers(-32768, 32768, size=600).astype(np.int16))
            typed("x_u8", TP.UINT8, rng.integers(0, 256, size=1100).astype(np.uint8))
            typed("x_i32", TP.INT32, rng.integers(-2**31, 2**31, size=(10, 30)).astype(np.int32))
            raw("x_u16", rng.integers(0, 65536, size=(20, 30)).astype(np.uint16))
            if not all_raw:
                inits.append(helper.make_tensor("x_f16", TP.FLOAT16, [600], f32(600).astype(np.float16)))
                inits.append(helper.make_tensor("x_bf16", TP.BFLOAT16, [3, 200], f32(600)))
                inits.append(helper.make_tensor("x_i4", TP.INT4, [2047], rng.integers(-8, 8, size=2047)))
                inits.append(helper.make_tensor("x_u4", TP.UINT4, [2, 3], rng.integers(0, 16, size=6)))
                inits.append(helper.make_tensor("x_bool", TP.BOOL, [1030], rng.integers(0, 2, size=1030).astype(bool)))
            inits.append(helper.make_tensor("x_empty", TP.FLOAT, [0, 4], []))
        shape = typed("shape", TP.INT64, np.array([4, 100], dtype=np.int64))
        node("Reshape", [g, shape], ["Y"])
        outputs = [helper.make_tensor_value_info("Y", TP.FLOAT, [4, 100])]

    graph = helper.make_graph(nodes, "g_" + kind, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="pare-test")
    model.ir_version = 6 if opset == 11 else 10
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    if kind == "external":
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=1024, convert_attribute=True)
    else:
        onnx.save_model(model, path)
    onnx.checker.check_model(path, full_check=True)
    return path


DTYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool", 10: "float16",
          11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16", 21: "uint4", 22: "int4"}

def payload(t, base):
    a = numpy_helper.to_array(t, base)
    if t.data_type in (TP.INT4, TP.UINT4):
        v = a.astype(np.int8).flatten().astype(np.uint8) & 0x0F
        if v.size % 2: v = np.append(v, np.uint8(0))
        return (v[0::2] | (v[1::2] << 4)).astype(np.uint8).tobytes()
    if t.data_type in (TP.FLOAT16, TP.BFLOAT16): a = a.view(np.uint16)
    if t.data_type == TP.BOOL: a = a.astype(np.uint8)
    return np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()

def index(path):
    """The weight tensors of the main graph as onnx decodes them, named as pare names them."""
    m = onnx.load(path)
    base = os.path.dirname(path)
    def entry(name, t):
        b = payload(t, base)
        return {"name": name, "dtype": DTYPES[t.data_type], "shape": list(t.dims), "bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
    out = [entry(t.name, t) for t in m.graph.initializer]
    for i, n in enumerate(m.graph.node):
        label = n.name or f"node{i}"
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                constant = n.op_type == "Constant" and n.domain in ("", "ai.onnx") and a.name == "value"
                out.append(entry((n.output[0] if n.output and n.output[0] else f"{label}/value") if constant else f"{label}/{a.name}", a.t))
            elif a.type == onnx.AttributeProto.TENSORS:
                out.extend(entry(f"{label}/{a.name}[{k}]", t) for k, t in enumerate(a.tensors))
    return out

def run(seed, paths):
    """Runs each model in onnxruntime on the same seeded input; returns the outputs' bytes per model."""
    import onnxruntime as ort
    results = []
    for p in paths:
        rng = np.random.default_rng(seed)
        so = ort.SessionOptions(); so.log_severity_level = 3
        s = ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
        feeds = {i.name: (np.array(True) if i.name == "cond" else rng.standard_normal((2, 16)).astype(np.float32)) for i in s.get_inputs()}
        results.append([np.ascontiguousarray(o) for o in s.run(None, feeds)])
    return results

def big(megabytes, out):
    """A chain of MatMuls with 4 MiB float32 weights, about `megabytes` in all."""
    rng = np.random.default_rng(7)
    n = max(1, megabytes // 4)
    inits = [numpy_helper.from_array(rng.standard_normal((1024, 1024), dtype=np.float32), f"w{i}") for i in range(n)]
    nodes = [helper.make_node("MatMul", ["X" if i == 0 else f"h{i}", f"w{i}"], [f"h{i + 1}"]) for i in range(n)]
    g = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("X", TP.FLOAT, [1, 1024])],
                          [helper.make_tensor_value_info(f"h{n}", TP.FLOAT, [1, 1024])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "big.onnx")
    onnx.save_model(m, path)
    return path

mode = sys.argv[1]
if mode == "gen":       # gen KIND SEED DIR -> path, then the index as JSON
    path = generate(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    print(path)
    print(json.dumps(index(path)))
elif mode == "index":   # index PATH... -> one JSON index per line
    for p in sys.argv[2:]:
        print(json.dumps(index(p)))
elif mode == "check":   # check SEED ORIGINAL WRITTEN -> full check of WRITTEN, ORT outputs compared, both indexes
    seed, original, written = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    onnx.checker.check_model(written, full_check=True)
    a, b = run(seed, [original, written])
    same = len(a) == len(b) and all(x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in zip(a, b))
    print(json.dumps({"identical": same, "finite": all(bool(np.isfinite(x).all()) for x in b),
                      "original": index(original), "written": index(written)}))
elif mode == "big":     # big MEGABYTES DIR -> path
    print(big(int(sys.argv[2]), sys.argv[3]))
else:
    sys.exit("unknown mode " + mode)
"""#
