import Foundation
import Testing
import PareBasics
import PareONNXProto
import PareRuntime
import PareTensor

/// ConvInteger: hand-computed cases, a seeded comparison with a direct (no im2col) evaluation of the formula
/// Σ (x − x_zp)(W − w_zp[m]) over the window, and agreement with ONNX Runtime on one-node models.
@Suite(.serialized) struct ConvIntegerTests {
    typealias M = OneNodeModel

    static func ints(_ v: [Int64], _ shape: [Int], _ dtype: DType) -> Tensor { Tensor(ints: v, shape: shape, dtype: dtype) }

    struct Hand: CustomStringConvertible, Sendable {
        var name: String
        var inputs: [Tensor?]
        var attrs: [(String, [Int])]
        var want: [Int64]
        var shape: [Int]
        var description: String { name }
    }

    static let hand: [Hand] = [
        // x − 1 = [[0,1,2],[3,4,5],[6,7,8]], W = [[1,0],[0,1]]: y[i,j] = x'[i,j] + x'[i+1,j+1].
        Hand(name: "uint8-x-zero-point", inputs: [ints(Array(1...9), [1, 1, 3, 3], .uint8), ints([1, 0, 0, 1], [1, 1, 2, 2], .uint8), ints([1], [], .uint8)],
             attrs: [], want: [4, 6, 10, 12], shape: [1, 1, 2, 2]),
        // x − 10 = [1,2,3,4], W − 4 = 1 everywhere, pads 1: every 3×3 window covers all four cells (padding
        // contributes 0, not (0 − 10)·1).
        Hand(name: "padding-is-the-zero-point", inputs: [ints([11, 12, 13, 14], [1, 1, 2, 2], .uint8), ints([Int64](repeating: 5, count: 9), [1, 1, 3, 3], .uint8),
                                                        ints([10], [], .uint8), ints([4], [], .uint8)],
             attrs: [("pads", [1, 1, 1, 1])], want: [10, 10, 10, 10], shape: [1, 1, 2, 2]),
        // Depthwise, stride 2, per-channel w_zp [1, −1], x_zp −2: channel 0 x' = x + 2 at the corners 2, 4, 8, 10
        // times W' = 3 − 1; channel 1 x' = 1, −1, −5, −7 times W' = −3 + 1.
        Hand(name: "int8-per-channel-strided-groups",
             inputs: [ints(Array(0...8) + (1...9).map { -$0 }, [1, 2, 3, 3], .int8), ints([3, -3], [2, 1, 1, 1], .int8), ints([-2], [], .int8), ints([1, -1], [2], .int8)],
             attrs: [("group", [2]), ("strides", [2, 2])], want: [4, 8, 16, 20, -2, 2, 10, 14], shape: [1, 2, 2, 2]),
        // 1-D, no zero points: [1,2,3,4,5] * [1,−1] (valid) = −1 each.
        Hand(name: "1d-no-zero-points", inputs: [ints([1, 2, 3, 4, 5], [1, 1, 5], .uint8), ints([1, -1], [1, 1, 2], .int8)],
             attrs: [], want: [-1, -1, -1, -1], shape: [1, 1, 4]),
    ]

    static func attributes(_ a: [(String, [Int])]) -> [Onnx_AttributeProto] {
        a.map { $0.0 == "group" ? M.attr("group", $0.1[0]) : M.attr($0.0, $0.1) }
    }

    @Test(arguments: hand)
    func handComputed(_ h: Hand) throws {
        let y = try M.run("ConvInteger", h.inputs, Self.attributes(h.attrs))[0]
        #expect(y.dtype == .int32 && y.shape == h.shape)
        #expect(y.ints == h.want)
    }

    /// Direct evaluation of the formula for 2-D NCHW.
    static func direct(x: [Int64], xs: [Int], w: [Int64], ws: [Int], xzp: Int64, wzp: [Int64], group: Int,
                       strides: [Int], pads: [Int], dilations: [Int]) -> ([Int64], [Int]) {
        let (n, c, ih, iw) = (xs[0], xs[1], xs[2], xs[3]), (m, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        let oh = (ih + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (iw + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
        var y: [Int64] = []
        for b in 0..<n {
            for o in 0..<m {
                let gi = o / (m / group)
                for i in 0..<oh {
                    for j in 0..<ow {
                        var s: Int64 = 0
                        for ci in 0..<cg {
                            for ki in 0..<kh {
                                for kj in 0..<kw {
                                    let yy = i * strides[0] - pads[0] + ki * dilations[0], xx = j * strides[1] - pads[1] + kj * dilations[1]
                                    guard yy >= 0, yy < ih, xx >= 0, xx < iw else { continue }
                                    let xv = x[((b * c + gi * cg + ci) * ih + yy) * iw + xx] - xzp
                                    s += xv * (w[((o * cg + ci) * kh + ki) * kw + kj] - wzp[wzp.count == 1 ? 0 : o])
                                }
                            }
                        }
                        y.append(s)
                    }
                }
            }
        }
        return (y, [n, m, oh, ow])
    }

    /// Seeds 4 and 5 keep the output as wide as the input with stride 1 (the block-copy im2col).
    @Test(arguments: [(1, 1, [1, 1], [1, 1, 1, 1], [1, 1]), (2, 2, [2, 1], [0, 2, 1, 0], [1, 2]), (3, 4, [1, 2], [2, 0, 0, 1], [2, 1]),
                      (4, 1, [1, 1], [1, 0, 1, 1], [1, 1]), (5, 2, [1, 1], [2, 1, 2, 1], [2, 2])])
    func matchesDirectEvaluation(seed: Int, group: Int, strides: [Int], pads: [Int], dilations: [Int]) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let xs = [2, 4, 9, 7], ws = [4, 4 / group, 3, 2]
        let x = (0..<xs.reduce(1, *)).map { _ in Int64.random(in: 0...255, using: &rng) }
        let w = (0..<ws.reduce(1, *)).map { _ in Int64.random(in: -128...127, using: &rng) }
        let xzp = Int64.random(in: 0...255, using: &rng)
        let wzp = (0..<(seed == 1 ? 1 : 4)).map { _ in Int64.random(in: -128...127, using: &rng) }
        let y = try M.run("ConvInteger", [Self.ints(x, xs, .uint8), Self.ints(w, ws, .int8), Self.ints([xzp], [], .uint8), Self.ints(wzp, wzp.count == 1 ? [] : [4], .int8)],
                          [M.attr("group", group), M.attr("strides", strides), M.attr("pads", pads), M.attr("dilations", dilations)])[0]
        let (want, shape) = Self.direct(x: x, xs: xs, w: w, ws: ws, xzp: xzp, wzp: wzp, group: group, strides: strides, pads: pads, dilations: dilations)
        #expect(y.shape == shape)
        #expect(y.ints == want)
    }

    @Test func rejectsFloatInputsAndMismatchedZeroPoints() throws {
        #expect(throws: RuntimeError.self) { try M.run("ConvInteger", [Tensor(floats: [1], shape: [1, 1, 1, 1]), Self.ints([1], [1, 1, 1, 1], .uint8)]) }
        #expect(throws: RuntimeError.self) {
            try M.run("ConvInteger", [Self.ints([1], [1, 1, 1, 1], .uint8), Self.ints([1], [1, 1, 1, 1], .uint8), Self.ints([1], [], .int8)])
        }
        #expect(throws: RuntimeError.self) {
            try M.run("ConvInteger", [Self.ints([1], [1, 1, 1, 1], .uint8), Self.ints([1, 1], [2, 1, 1, 1], .uint8), nil, Self.ints([1, 2, 3], [3], .uint8)])
        }
    }

    /// One ConvInteger node in ONNX Runtime: `w` (and zero points) as initializers, x a uint8 graph input.
    static let ortCases: [(String, String)] = [
        ("uint8-uint8-pads", "x_shape = [1, 3, 8, 8]; w = rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8); zps = [np.array(7, np.uint8), np.array(131, np.uint8)]; attrs = dict(pads=[1, 1, 1, 1])"),
        ("uint8-int8-strided", "x_shape = [2, 4, 9, 7]; w = rng.integers(-128, 128, (6, 2, 3, 2)).astype(np.int8); zps = [np.array(200, np.uint8), np.array(-3, np.int8)]; attrs = dict(group=2, strides=[2, 1], pads=[0, 1, 1, 0])"),
        ("uint8-same-upper-strided", "x_shape = [1, 2, 10, 9]; w = rng.integers(0, 256, (3, 2, 3, 3)).astype(np.uint8); zps = [np.array(128, np.uint8)]; attrs = dict(auto_pad='SAME_UPPER', strides=[2, 2])"),
        // ONNX Runtime takes only a per-tensor w_zero_point; per-channel ones are checked by hand and directly above.
        ("uint8-dilated", "x_shape = [1, 2, 10, 10]; w = rng.integers(0, 256, (4, 2, 3, 3)).astype(np.uint8); zps = [np.array(9, np.uint8), np.array(250, np.uint8)]; attrs = dict(dilations=[2, 2], pads=[2, 1, 0, 2])"),
        ("uint8-no-zero-points", "x_shape = [1, 2, 6, 6]; w = rng.integers(0, 256, (2, 2, 2, 2)).astype(np.uint8); zps = []; attrs = dict(strides=[2, 2])"),
    ]

    static let builder = """
    import sys, numpy as np, onnx
    from onnx import helper as h, numpy_helper as nh, TensorProto as T
    out, code = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(11)
    exec(code)
    names = ['x0', 'w'] + (['xz'] if len(zps) > 0 else []) + (['wz'] if len(zps) > 1 else [])
    inits = [nh.from_array(w, 'w')] + [nh.from_array(z, n) for z, n in zip(zps, ['xz', 'wz'])]
    node = h.make_node('ConvInteger', names, ['y'], **attrs)
    g = h.make_graph([node], 'convinteger', [h.make_tensor_value_info('x0', T.UINT8, x_shape)],
                     [h.make_tensor_value_info('y', T.INT32, None)], initializer=inits)
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 10)]), out + '/model.onnx')
    np.savez(out + '/inputs.npz', **{f'000{i}.x0': rng.integers(0, 256, x_shape).astype(np.uint8) for i in range(2)})
    """

    @Test(arguments: ortCases.map(\.0))
    func agreesWithONNXRuntime(name: String) throws {
        let code = Self.ortCases.first { $0.0 == name }!.1
        let dir = NSTemporaryDirectory() + "pare-runtime-convinteger-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, err) = try Support.python(["-c", Self.builder, dir, code])
        try #require(status == 0, "\(name): building the model failed: \(err)")
        #expect(try Support.compare(model: dir + "/model.onnx", inputs: dir + "/inputs.npz", samples: 2) == 0, "\(name): outputs differ from ORT's")
    }
}
