import Foundation
import Testing
import PareBasics
@testable import PareRuntime

/// The load-time rewrites (`InterpreterRewrites`): Conv + BatchNormalization folded into one Conv, Conv + Relu /
/// Clip fused. Each model is built with onnx.helper (seeded weights as initializers, BN statistics with γ, β, μ
/// and σ² far from 1 / 0 so a wrong fold shows) and run three ways: rewritten (`run`), as written
/// (`run(_:observe:)`, which never rewrites) and by ONNX Runtime. Max relative error ≤ 1e-5 between the two
/// interpreter runs (the fold rounds W·s once instead of rounding conv and BN separately) and ≤ 1e-4 against ORT.
@Suite(.serialized) struct RewriteTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// Python: `conv` (attribute dict), `bias` (bool), `act` ('none', 'relu', 'clip'), `shape` (input),
        /// `cout`, `k` (kernel), `extra_reader` (the Conv output is also a graph output: no fold), `seed`.
        var code: String
        /// Nodes the rewritten plan runs.
        var steps: Int
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "conv-bn-relu", code: "conv = dict(pads=[1, 1, 1, 1]); bias = True; act = 'relu'; shape = [1, 3, 8, 8]; cout = 6; k = 3; seed = 1", steps: 1),
        Case(name: "conv-nobias-bn-clip6", code: "conv = dict(pads=[1, 1, 1, 1]); bias = False; act = 'clip'; shape = [1, 4, 7, 9]; cout = 5; k = 3; seed = 2", steps: 1),
        Case(name: "conv-bn-strided-groups", code: "conv = dict(strides=[2, 2], group=2, pads=[0, 1, 1, 0]); bias = True; act = 'none'; shape = [2, 4, 9, 8]; cout = 6; k = 3; seed = 3", steps: 2),
        Case(name: "conv1x1-bn-relu", code: "conv = dict(); bias = True; act = 'relu'; shape = [1, 8, 5, 5]; cout = 4; k = 1; seed = 4", steps: 1),
        Case(name: "conv-1d-bn-clip", code: "conv = dict(pads=[2, 2], dilations=[2]); bias = True; act = 'clip'; shape = [1, 3, 20]; cout = 4; k = 3; seed = 5", steps: 1),
        Case(name: "conv-output-read-twice", code: "conv = dict(pads=[1, 1, 1, 1]); bias = True; act = 'relu'; shape = [1, 3, 6, 6]; cout = 4; k = 3; seed = 6; extra_reader = True", steps: 3),
    ]

    static let builder = """
    import sys, numpy as np, onnx
    from onnx import helper as h, numpy_helper as nh, TensorProto as T
    out, code = sys.argv[1], sys.argv[2]
    extra_reader = False
    exec(code)
    rng = np.random.default_rng(seed)
    cin, r = shape[1], len(shape) - 2
    group = conv.get('group', 1)
    inits = {'w': (rng.standard_normal([cout, cin // group] + [k] * r) * 0.5).astype(np.float32),
             'gamma': rng.uniform(0.5, 2.0, cout).astype(np.float32), 'beta': rng.standard_normal(cout).astype(np.float32),
             'mean': rng.standard_normal(cout).astype(np.float32), 'var': rng.uniform(0.2, 3.0, cout).astype(np.float32),
             'lo': np.array(0.0, np.float32), 'hi': np.array(6.0, np.float32)}
    if bias: inits['b'] = rng.standard_normal(cout).astype(np.float32)
    nodes = [h.make_node('Conv', ['x0', 'w'] + (['b'] if bias else []), ['c'], name='conv', kernel_shape=[k] * r, **conv),
             h.make_node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['n'], name='bn', epsilon=1e-3)]
    if act == 'relu': nodes.append(h.make_node('Relu', ['n'], ['y'], name='act'))
    elif act == 'clip': nodes.append(h.make_node('Clip', ['n', 'lo', 'hi'], ['y'], name='act'))
    else: nodes.append(h.make_node('Identity', ['n'], ['y'], name='act'))
    outs = [h.make_tensor_value_info('y', T.FLOAT, None)]
    if extra_reader: outs.append(h.make_tensor_value_info('c', T.FLOAT, None))
    g = h.make_graph(nodes, 'rewrite', [h.make_tensor_value_info('x0', T.FLOAT, shape)], outs,
                     initializer=[nh.from_array(v, n) for n, v in inits.items()])
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 17)]), out + '/model.onnx')
    np.savez(out + '/inputs.npz', **{f'000{i}.x0': (rng.standard_normal(shape) * 2).astype(np.float32) for i in range(2)})
    """

    @Test(arguments: cases)
    func rewrittenAgreesWithWrittenAndORT(_ c: Case) throws {
        let dir = NSTemporaryDirectory() + "pare-runtime-rewrite-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, err) = try Support.python(["-c", Self.builder, dir, c.code])
        try #require(status == 0, "\(c.name): building the model failed: \(err)")
        let interp = try Interpreter(path: dir + "/model.onnx")
        #expect(interp.exactPlan.steps.count == 3)
        #expect(interp.plan.steps.count == c.steps, "\(c.name): \(interp.plan.steps.map(\.label))")
        for s in try Support.ort(model: dir + "/model.onnx", inputs: dir + "/inputs.npz", samples: 2) {
            let rewritten = try interp.run(s.inputs)
            let written = try interp.run(s.inputs) { _, _ in }
            for (name, want) in s.outputs {
                let a = try #require(rewritten[name]?.floats), b = try #require(written[name]?.floats)
                #expect(Support.maxRelativeError(a, b) <= 1e-5, "\(c.name) \(name): rewritten vs as written")
                #expect(Support.maxRelativeError(a, want.asFloats) <= 1e-4, "\(c.name) \(name): rewritten vs ORT")
                #expect(Support.maxRelativeError(b, want.asFloats) <= 1e-4, "\(c.name) \(name): as written vs ORT")
            }
        }
    }

    /// The fold's constants, by hand: W' = W·γ/√(σ²+ε), B' = (B − μ)·γ/√(σ²+ε) + β per output channel.
    @Test(arguments: [Float(1e-5), 0.5])
    func foldedConstantsAreTheFormula(eps: Float) throws {
        var m = OneNodeModel()
        m.inputs = [("x", Tensor(floats: [1, 2, 3, 4], shape: [1, 1, 2, 2]))]
        m.nodes = [OneNodeModel.node("Conv", ["x", "w", "b"], ["c"], name: "conv"),
                   OneNodeModel.node("BatchNormalization", ["c", "g", "be", "mu", "v"], ["y"], name: "bn", [OneNodeModel.attr("epsilon", eps)])]
        m.outputs = ["y"]
        let w: [Float] = [1, -2, 0.5, 3], gamma: [Float] = [2, 0.5], beta: [Float] = [1, -1], mu: [Float] = [3, -4], v: [Float] = [4, 0.25], b: [Float] = [1, 2]
        let consts: [(String, Tensor)] = [("w", Tensor(floats: w, shape: [2, 1, 1, 2])), ("b", Tensor(floats: b, shape: [2])),
                                          ("g", Tensor(floats: gamma, shape: [2])), ("be", Tensor(floats: beta, shape: [2])),
                                          ("mu", Tensor(floats: mu, shape: [2])), ("v", Tensor(floats: v, shape: [2]))]
        var rewrites = InterpreterRewrites(nodes: m.nodes.enumerated().map { InterpreterPlan.Node(node: $0.element, label: $0.element.name, opset: 17, kernel: Ops.registry[$0.element.opType], tensorAttributes: [:]) },
                                           constants: Dictionary(uniqueKeysWithValues: consts), graphInputs: ["x"], graphOutputs: ["y"])
        let changed = rewrites.apply()
        #expect(changed)
        #expect(rewrites.nodes.count == 1 && rewrites.nodes[0].label == "conv + bn" && rewrites.nodes[0].node.output == ["y"])
        let wf = try #require(rewrites.constants[rewrites.nodes[0].node.input[1]]?.floats)
        let bf = try #require(rewrites.constants[rewrites.nodes[0].node.input[2]]?.floats)
        for k in 0..<2 {
            let s = Double(gamma[k]) / (Double(v[k]) + Double(eps)).squareRoot()
            #expect(bf[k] == Float((Double(b[k]) - Double(mu[k])) * s + Double(beta[k])))
            for j in 0..<2 { #expect(wf[k * 2 + j] == Float(Double(w[k * 2 + j]) * s)) }
        }
        // e.g. ε = 0.5, channel 0: s = 2/√4.5, B' = (1 − 3)·s + 1.
        if eps == 0.5 { #expect(abs(Double(bf[0]) - (-2 * 2 / 4.5.squareRoot() + 1)) < 1e-6) }
    }

    /// A constant that is also a graph input can be overridden at run time: nothing reading it is folded.
    @Test func overridableConstantsAreNotFolded() throws {
        let conv = OneNodeModel.node("Conv", ["x", "w"], ["c"], name: "conv")
        let relu = OneNodeModel.node("Relu", ["c"], ["y"], name: "relu")
        let nodes = [conv, relu].map { InterpreterPlan.Node(node: $0, label: $0.name, opset: 17, kernel: Ops.registry[$0.opType], tensorAttributes: [:]) }
        let consts = ["w": Tensor(floats: [1], shape: [1, 1, 1, 1])]
        var r1 = InterpreterRewrites(nodes: nodes, constants: consts, graphInputs: ["x", "w"], graphOutputs: ["y"])
        let changed1 = r1.apply()
        #expect(!changed1 && r1.nodes.count == 2)
        var r2 = InterpreterRewrites(nodes: nodes, constants: consts, graphInputs: ["x"], graphOutputs: ["y"])
        let changed2 = r2.apply()
        #expect(changed2 && r2.nodes.count == 1 && r2.nodes[0].label == "conv + relu")
    }

    /// Fused Relu / Clip compute what the separate op computes, bit for bit (the same float operations).
    @Test(arguments: [0, 1, 2])
    func fusedActivationIsExact(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let x = (0..<(2 * 3 * 6 * 5)).map { _ in Float.random(in: -3...3, using: &rng) }
        let w = (0..<(4 * 3 * 9)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<4).map { _ in Float.random(in: -1...1, using: &rng) }
        let clip = ConvActivation.clip(lo: -0.5, hi: 1.25)
        for act in [ConvActivation.none, .relu, clip] {
            let ctx = OpContext(node: OneNodeModel.node("Conv", ["x", "w", "b"], ["y"], [OneNodeModel.attr("pads", [1, 0, 1, 2])]), label: "c", opset: 17,
                                inputs: [Tensor(floats: x, shape: [2, 3, 6, 5]), Tensor(floats: w, shape: [4, 3, 3, 3]), Tensor(floats: b, shape: [4])], tensorAttributes: [:])
            let fused = try #require(try Ops.conv(ctx, activation: act)[0].floats)
            let plain = try #require(try Ops.conv(ctx)[0].floats)
            let want: [Float]
            switch act {
            case .none: want = plain
            case .relu: want = plain.map { $0 > 0 ? $0 : 0 }
            case .clip(let lo, let hi): want = plain.map { $0 < lo ? lo : ($0 > hi ? hi : $0) }
            }
            #expect(fused == want, "\(act)")
            #expect(act == .none || want != plain)
        }
    }

    /// MatMul + constant Add: one sgemm onto the bias (bias first or second, 2-D and 3-D A), and the fallback to
    /// MatMul then Add when the bias is not one row (a full [rows, N] constant) or B has a batch.
    static let matMulCases: [(String, String)] = [
        ("bias-second-3d", "a = [1, 5, 8]; b = [8, 6]; bias = [6]; first = False"),
        ("bias-first-2d", "a = [4, 8]; b = [8, 3]; bias = [1, 3]; first = True"),
        ("full-bias-fallback", "a = [4, 8]; b = [8, 3]; bias = [4, 3]; first = False"),
        ("batched-b-fallback", "a = [2, 4, 8]; b = [2, 8, 3]; bias = [3]; first = False"),
    ]

    static let matMulBuilder = """
    import sys, numpy as np, onnx
    from onnx import helper as h, numpy_helper as nh, TensorProto as T
    out, code = sys.argv[1], sys.argv[2]
    exec(code)
    rng = np.random.default_rng(9)
    inits = [nh.from_array(rng.standard_normal(b).astype(np.float32), 'w'), nh.from_array(rng.standard_normal(bias).astype(np.float32), 'bias')]
    nodes = [h.make_node('MatMul', ['x0', 'w'], ['m'], name='mm'), h.make_node('Add', ['bias', 'm'] if first else ['m', 'bias'], ['y'], name='add')]
    g = h.make_graph(nodes, 'mm', [h.make_tensor_value_info('x0', T.FLOAT, a)], [h.make_tensor_value_info('y', T.FLOAT, None)], initializer=inits)
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 17)]), out + '/model.onnx')
    np.savez(out + '/inputs.npz', **{f'000{i}.x0': rng.standard_normal(a).astype(np.float32) for i in range(2)})
    """

    @Test(arguments: matMulCases.map(\.0))
    func matMulBiasAgrees(name: String) throws {
        let dir = NSTemporaryDirectory() + "pare-runtime-matmul-bias-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, err) = try Support.python(["-c", Self.matMulBuilder, dir, Self.matMulCases.first { $0.0 == name }!.1])
        try #require(status == 0, "\(name): building the model failed: \(err)")
        let interp = try Interpreter(path: dir + "/model.onnx")
        #expect(interp.plan.steps.map(\.label) == ["mm + add"])
        for s in try Support.ort(model: dir + "/model.onnx", inputs: dir + "/inputs.npz", samples: 2) {
            let fused = try #require(try interp.run(s.inputs)["y"]), written = try #require(try interp.run(s.inputs) { _, _ in }["y"])
            #expect(fused.shape == written.shape && fused.shape == s.outputs["y"]!.shape)
            #expect(Support.maxRelativeError(fused.floats!, written.floats!) <= 1e-6, "\(name): fused vs as written")
            #expect(Support.maxRelativeError(fused.floats!, s.outputs["y"]!.asFloats) <= 1e-4, "\(name): fused vs ORT")
        }
    }
}
