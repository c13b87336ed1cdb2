import Foundation
import Testing
import PareRuntime

/// Small one-op models built with onnx.helper for attribute combinations the fixtures do not reach, run by the
/// interpreter and by ONNX Runtime on seeded N(0, 1) float inputs: max relative error ≤ 1e-4.
@Suite(.serialized) struct OpZooTests {
    /// Python that defines `node` (one onnx NodeProto reading x0, x1, … and writing y), `shapes` (the float
    /// inputs' shapes), optionally `inits` (name → numpy array initializers) and `opset`.
    static let cases: [(String, String)] = [
        ("resize-linear-half-pixel", "node = h.make_node('Resize', ['x0', '', 'scales'], ['y'], mode='linear'); shapes = [[1, 2, 5, 7]]; inits = {'scales': np.array([1, 1, 2.5, 1.5], np.float32)}"),
        ("resize-linear-align-corners", "node = h.make_node('Resize', ['x0', '', '', 'sizes'], ['y'], mode='linear', coordinate_transformation_mode='align_corners'); shapes = [[1, 2, 5, 7]]; inits = {'sizes': np.array([1, 2, 9, 4], np.int64)}"),
        ("resize-nearest-pytorch", "node = h.make_node('Resize', ['x0', '', 'scales'], ['y'], mode='nearest', coordinate_transformation_mode='asymmetric', nearest_mode='floor'); shapes = [[1, 3, 4, 4]]; inits = {'scales': np.array([1, 1, 2, 2], np.float32)}"),
        ("resize-nearest-half-pixel", "node = h.make_node('Resize', ['x0', '', '', 'sizes'], ['y'], mode='nearest'); shapes = [[1, 1, 5, 6]]; inits = {'sizes': np.array([1, 1, 7, 3], np.int64)}"),
        ("conv-transpose-pads-groups", "node = h.make_node('ConvTranspose', ['x0', 'w'], ['y'], strides=[2, 2], pads=[1, 0, 1, 1], output_padding=[1, 0], group=2, dilations=[1, 2]); shapes = [[1, 4, 5, 6]]; inits = {'w': rng.standard_normal((4, 3, 3, 3)).astype(np.float32)}"),
        ("conv-1d-stride-dilation", "node = h.make_node('Conv', ['x0', 'w', 'b'], ['y'], strides=[2], pads=[2, 1], dilations=[2]); shapes = [[2, 3, 17]]; inits = {'w': rng.standard_normal((5, 3, 3)).astype(np.float32), 'b': rng.standard_normal(5).astype(np.float32)}"),
        ("conv-depthwise-same-lower", "node = h.make_node('Conv', ['x0', 'w'], ['y'], group=4, auto_pad='SAME_LOWER', strides=[2, 2]); shapes = [[1, 4, 9, 8]]; inits = {'w': rng.standard_normal((4, 1, 3, 3)).astype(np.float32)}"),
        ("avgpool-ceil-pads", "node = h.make_node('AveragePool', ['x0'], ['y'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1); shapes = [[1, 2, 8, 9]]"),
        ("avgpool-count-include-pad", "node = h.make_node('AveragePool', ['x0'], ['y'], kernel_shape=[3, 2], strides=[1, 2], pads=[1, 1, 1, 0], count_include_pad=1); shapes = [[1, 2, 6, 7]]"),
        ("maxpool-dilated", "node = h.make_node('MaxPool', ['x0'], ['y'], kernel_shape=[2, 2], dilations=[2, 2], pads=[1, 1, 1, 1]); shapes = [[1, 2, 7, 7]]"),
        ("maxpool-strided-inside", "node = h.make_node('MaxPool', ['x0'], ['y'], kernel_shape=[3, 2], strides=[2, 3], dilations=[1, 2]); shapes = [[1, 3, 9, 11]]"),
        ("pad-reflect", "node = h.make_node('Pad', ['x0', 'p'], ['y'], mode='reflect'); shapes = [[2, 5, 6]]; inits = {'p': np.array([0, 2, 3, 0, 1, 4], np.int64)}"),
        ("pad-edge", "node = h.make_node('Pad', ['x0', 'p'], ['y'], mode='edge'); shapes = [[2, 5]]; inits = {'p': np.array([1, 2, 0, 3], np.int64)}"),
        ("softmax-opset11-axis1", "node = h.make_node('Softmax', ['x0'], ['y'], axis=1); shapes = [[2, 3, 4]]; opset = 11"),
        ("logsoftmax-axis0", "node = h.make_node('LogSoftmax', ['x0'], ['y'], axis=0); shapes = [[3, 4]]; opset = 13"),
        ("gelu-tanh", "node = h.make_node('Gelu', ['x0'], ['y'], approximate='tanh'); shapes = [[4, 9]]; opset = 20"),
        ("layernorm-axis1", "node = h.make_node('LayerNormalization', ['x0', 's', 'b'], ['y'], axis=1, epsilon=1e-3); shapes = [[2, 3, 4]]; inits = {'s': rng.standard_normal((3, 4)).astype(np.float32), 'b': rng.standard_normal((3, 4)).astype(np.float32)}"),
        ("instancenorm", "node = h.make_node('InstanceNormalization', ['x0', 's', 'b'], ['y']); shapes = [[2, 3, 4, 5]]; inits = {'s': rng.standard_normal(3).astype(np.float32), 'b': rng.standard_normal(3).astype(np.float32)}"),
        ("reduce-sum-square-keep0", "node = h.make_node('ReduceSumSquare', ['x0', 'a'], ['y'], keepdims=0); shapes = [[3, 4, 5]]; inits = {'a': np.array([0, 2], np.int64)}; opset = 18"),
        ("gemm-transB-beta", "node = h.make_node('Gemm', ['x0', 'w', 'c'], ['y'], transB=1, alpha=0.5, beta=2.0); shapes = [[3, 6]]; inits = {'w': rng.standard_normal((4, 6)).astype(np.float32), 'c': rng.standard_normal((1, 4)).astype(np.float32)}"),
        ("matmul-batch-broadcast", "node = h.make_node('MatMul', ['x0', 'x1'], ['y']); shapes = [[2, 1, 3, 4], [3, 4, 5]]"),
        ("prelu-elu-chain", "node = h.make_node('PRelu', ['x0', 's'], ['y']); shapes = [[2, 3, 4]]; inits = {'s': rng.standard_normal((3, 1)).astype(np.float32)}"),
        ("mod-fmod", "node = h.make_node('Mod', ['x0', 'x1'], ['y'], fmod=1); shapes = [[3, 4], [4]]"),
        ("where-less", "node = None; shapes = [[3, 4], [4]]"),
        ("quantize-blocked-int4", "node = h.make_node('QuantizeLinear', ['x0', 's', 'z'], ['q'], axis=1, block_size=4); node2 = h.make_node('DequantizeLinear', ['q', 's', 'z'], ['y'], axis=1, block_size=4); shapes = [[3, 8]]; inits = {'s': np.full((3, 2), 0.25, np.float32), 'z': np.array([[1, -2], [0, 3], [-1, 0]], dtype=np.int8)}; opset = 21; int4 = True"),
        ("dynamic-quantize-matmulinteger", "node = None; shapes = [[3, 8]]; dyn = True"),
    ]

    static let builder = """
    import sys, numpy as np, onnx
    from onnx import helper as h, numpy_helper as nh, TensorProto as T
    out, code = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(5)
    inits, opset, node2, int4, dyn = {}, 17, None, False, False
    exec(code)
    nodes = [node] if node is not None else []
    outputs = ['y']
    if node2 is not None: nodes.append(node2)
    if node is None and not dyn:
        nodes = [h.make_node('Less', ['x0', 'x1'], ['c']), h.make_node('Where', ['c', 'x0', 'x1'], ['y'])]
    if dyn:
        inits = {'w': rng.integers(0, 255, (8, 5)).astype(np.uint8), 'wz': np.array(128, np.uint8)}
        nodes = [h.make_node('DynamicQuantizeLinear', ['x0'], ['q', 's', 'z']),
                 h.make_node('MatMulInteger', ['q', 'w', 'z', 'wz'], ['y32']),
                 h.make_node('Cast', ['y32'], ['yf'], to=1), h.make_node('Mul', ['yf', 's'], ['y'])]
    tensors = []
    for k, v in inits.items():
        if int4 and v.dtype == np.int8:
            tensors.append(h.make_tensor(k, T.INT4, v.shape, v.flatten().tolist()))
        else:
            tensors.append(nh.from_array(v, k))
    ins = [h.make_tensor_value_info(f'x{i}', T.FLOAT, s) for i, s in enumerate(shapes)]
    g = h.make_graph(nodes, 'zoo', ins, [h.make_tensor_value_info('y', T.FLOAT, None)], initializer=tensors)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    onnx.save(m, out + '/model.onnx')
    np.savez(out + '/inputs.npz', **{f'0000.x{i}': rng.standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)})
    """

    @Test(arguments: cases.map(\.0))
    func agreesWithONNXRuntime(name: String) throws {
        let code = Self.cases.first { $0.0 == name }!.1
        let dir = NSTemporaryDirectory() + "pare-runtime-zoo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, err) = try Support.python(["-c", Self.builder, dir, code])
        try #require(status == 0, "\(name): building the model failed: \(err)")
        let e = try Support.compare(model: dir + "/model.onnx", inputs: dir + "/inputs.npz", samples: 1)
        #expect(e <= 1e-4, "\(name): max relative error \(e)")
    }
}
