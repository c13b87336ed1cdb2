import Foundation
import Testing
import PareRuntime

typealias M = OneNodeModel

func f(_ v: [Float], _ shape: [Int]) -> Tensor { Tensor(floats: v, shape: shape) }
func i64(_ v: [Int64], _ shape: [Int]) -> Tensor { Tensor(ints: v, shape: shape) }

func close(_ a: Tensor, _ b: [Float], tol: Float = 1e-6) -> Bool {
    guard let v = a.floats, v.count == b.count else { return false }
    return zip(v, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
}

/// Hand-computed cases for individual ops.
struct OpTests {
    @Test(arguments: [
        // (a shape, b shape, expected) for Add of a = 0..<n and b = 10·(0..<m); the result is [2, 3]
        ([2, 3], [3], [0, 11, 22, 3, 14, 25]),
        ([2, 1], [1, 3], [0, 10, 20, 1, 11, 21]),
        ([3], [2, 1], [0, 1, 2, 10, 11, 12]),
        ([2, 3], [], [0, 1, 2, 3, 4, 5]),
        ([1, 3], [2, 1], [0, 1, 2, 10, 11, 12]),
    ] as [([Int], [Int], [Float])])
    func addBroadcasts(a: [Int], b: [Int], want: [Float]) throws {
        let na = a.reduce(1, *), nb = b.reduce(1, *)
        let y = try M.run("Add", [f((0..<na).map(Float.init), a), f((0..<nb).map { Float($0 * 10) }, b)])[0]
        #expect(y.shape == [2, 3])
        #expect(y.floats == want, "\(a) + \(b) = \(y.floats ?? [])")
    }

    @Test func incompatibleShapesNameTheNode() throws {
        do {
            _ = try M.run("Mul", [f([1, 2, 3], [3]), f([1, 2], [2])])
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.node == "n0" && e.op == "Mul")
            #expect(e.description.contains("[3]") && e.description.contains("[2]"))
        }
    }

    @Test func whereBroadcastsThreeWays() throws {
        let y = try M.run("Where", [Tensor(ints: [1, 0], shape: [2, 1], dtype: .bool), f([1, 2, 3], [3]), f([-1], [])])[0]
        #expect(y.shape == [2, 3] && y.floats == [1, 2, 3, -1, -1, -1])
    }

    @Test func convPaddingAndStride() throws {
        let x = f((1...9).map(Float.init), [1, 1, 3, 3])
        let w = f([1, 1, 1, 1], [1, 1, 2, 2])
        let y = try M.run("Conv", [x, w], [M.attr("pads", [1, 1, 1, 1]), M.attr("strides", [2, 2])])[0]
        #expect(y.shape == [1, 1, 2, 2] && y.floats == [1, 5, 11, 28])
    }

    @Test func convGroupsAndBias() throws {
        let x = f([1, 1, 1, 1, 2, 2, 2, 2], [1, 2, 2, 2])
        let y = try M.run("Conv", [x, f([3, 5], [2, 1, 1, 1]), f([0.5, -1], [2])], [M.attr("group", 2)])[0]
        #expect(y.shape == [1, 2, 2, 2] && y.floats == [3.5, 3.5, 3.5, 3.5, 9, 9, 9, 9])
    }

    @Test func pointwiseConvRunsWithoutIm2col() throws {
        // 1×1, stride 1, no padding: y[m] = Σ_c W[m, c] · x[c].
        let x = f([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2])
        let y = try M.run("Conv", [x, f([1, 0, 0, 1, 1, -1], [3, 2, 1, 1])])[0]
        #expect(y.shape == [1, 3, 2, 2] && y.floats == [1, 2, 3, 4, 10, 20, 30, 40, -9, -18, -27, -36])
    }

    @Test func convDilationAndSameUpper() throws {
        // 1-D: x = 1..5, kernel [1, 1] dilated by 2, SAME_UPPER: out[i] = x[i − 1] + x[i + 1] (zero outside).
        let y = try M.run("Conv", [f([1, 2, 3, 4, 5], [1, 1, 5]), f([1, 1], [1, 1, 2])],
                          [M.attr("dilations", [2]), M.attr("auto_pad", "SAME_UPPER")])[0]
        #expect(y.shape == [1, 1, 5] && y.floats == [2, 4, 6, 8, 4])
    }

    @Test func convTransposeStride2() throws {
        // x [1,1,2,2] = 1..4, W ones 2x2, stride 2: each input spreads over its own 2x2 block.
        let y = try M.run("ConvTranspose", [f([1, 2, 3, 4], [1, 1, 2, 2]), f([1, 1, 1, 1], [1, 1, 2, 2])], [M.attr("strides", [2, 2])])[0]
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.floats == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    @Test(arguments: [
        // (opset, axis, expected) for x = [[0, ln 3], [0, 0]]
        (13, 1, [0.25, 0.75, 0.5, 0.5]),
        (13, 0, [0.5, 0.75, 0.5, 0.25]),
        (13, -1, [0.25, 0.75, 0.5, 0.5]),
        (11, 0, [1.0 / 6, 0.5, 1.0 / 6, 1.0 / 6]),   // before opset 13: flattened from axis 0
    ] as [(Int, Int, [Float])])
    func softmaxAxis(opset: Int, axis: Int, want: [Float]) throws {
        let y = try M.run("Softmax", [f([0, log(3), 0, 0], [2, 2])], opset: opset, [M.attr("axis", axis)])[0]
        #expect(close(y, want), "\(y.floats ?? [])")
    }

    @Test func gatherNegativeIndices() throws {
        let data = f([1, 2, 3, 4, 5, 6], [3, 2])
        let rows = try M.run("Gather", [data, i64([-1, 0], [2])])[0]
        #expect(rows.shape == [2, 2] && rows.floats == [5, 6, 1, 2])
        let cols = try M.run("Gather", [data, i64([-1], [1, 1])], [M.attr("axis", 1)])[0]
        #expect(cols.shape == [3, 1, 1] && cols.floats == [2, 4, 6])
        #expect(throws: RuntimeError.self) { try M.run("Gather", [data, i64([3], [1])]) }
    }

    @Test func sliceSteps() throws {
        let x = f((0..<10).map(Float.init), [10])
        #expect(try M.run("Slice", [x, i64([8], [1]), i64([1], [1]), nil, i64([-3], [1])])[0].floats == [8, 5, 2])
        #expect(try M.run("Slice", [x, i64([1], [1]), i64([1000], [1]), nil, i64([4], [1])])[0].floats == [1, 5, 9])
        #expect(try M.run("Slice", [x, i64([-2], [1]), i64([Int64.min], [1]), nil, i64([-1], [1])])[0].floats == [8, 7, 6, 5, 4, 3, 2, 1, 0])
        let m = f((0..<12).map(Float.init), [3, 4])
        let y = try M.run("Slice", [m, i64([-1], [1]), i64([-1000], [1]), i64([1], [1]), i64([-2], [1])])[0]
        #expect(y.shape == [3, 2] && y.floats == [3, 1, 7, 5, 11, 9])
    }

    @Test func dequantizeLinearBlocked() throws {
        let x = Tensor(ints: [1, 2, 3, 4, -1, -2, -3, -4], shape: [2, 4], dtype: .int8)
        let scale = f([1, 10, 0.5, 2], [2, 2])
        let zp = Tensor(ints: [0, 1, 1, 0], shape: [2, 2], dtype: .int8)
        let y = try M.run("DequantizeLinear", [x, scale, zp], opset: 21, [M.attr("axis", 1), M.attr("block_size", 2)])[0]
        #expect(y.floats == [1, 2, 20, 30, -1, -1.5, -6, -8])
    }

    @Test func dequantizeLinearPerAxisInt4() throws {
        let x = Tensor(ints: [-8, 7, 1, -1], shape: [2, 2], dtype: .int4)
        let y = try M.run("DequantizeLinear", [x, f([0.5, 2], [2]), Tensor(ints: [0, 1], shape: [2], dtype: .int4)], opset: 21, [M.attr("axis", 0)])[0]
        #expect(y.floats == [-4, 3.5, 0, -4])
    }

    @Test func quantizeLinearRoundsHalfToEvenAndSaturates() throws {
        let x = f([0.5, 1.5, 2.5, -0.5, 300, -300], [6])
        let u = try M.run("QuantizeLinear", [x, f([1], []), Tensor(ints: [0], shape: [], dtype: .uint8)])[0]
        #expect(u.dtype == .uint8 && u.ints == [0, 2, 2, 0, 255, 0])
        let s = try M.run("QuantizeLinear", [x, f([1], []), Tensor(ints: [0], shape: [], dtype: .int8)])[0]
        #expect(s.dtype == .int8 && s.ints == [0, 2, 2, 0, 127, -128])
    }

    @Test func dynamicQuantizeLinear() throws {
        let r = try M.run("DynamicQuantizeLinear", [f([-1, 0, 1.55], [3])], outputs: 3)
        #expect(r[0].ints == [0, 100, 255])
        #expect(abs(r[1].floats![0] - 0.01) < 1e-7)
        #expect(r[2].ints == [100])
    }

    @Test func matMulInteger() throws {
        let a = Tensor(ints: [1, 2, 3, 4], shape: [2, 2], dtype: .uint8), b = Tensor(ints: [1, 0, 0, 1], shape: [2, 2], dtype: .uint8)
        let y = try M.run("MatMulInteger", [a, b, Tensor(ints: [1], shape: [], dtype: .uint8)])[0]
        #expect(y.dtype == .int32 && y.ints == [0, 1, 2, 3])
    }

    @Test(arguments: [
        // (zero points, expected A·W for A = ones, codes 1, 2, 3, 4, scale 0.5)
        (nil, -11),                                                    // default zero point 8
        (Tensor(ints: [0x01], shape: [1], dtype: .uint8), 3),          // packed uint8: zp 1
        (Tensor(floats: [2], shape: [1]), 1),                          // float zero point
    ] as [(Tensor?, Float)])
    func matMulNBits(zp: Tensor?, want: Float) throws {
        let b = Tensor(ints: [0x21, 0x43], shape: [1, 1, 2], dtype: .uint8)
        let attrs = [M.attr("K", 4), M.attr("N", 1), M.attr("bits", 4), M.attr("block_size", 4)]
        let y = try M.run("MatMulNBits", [f([1, 1, 1, 1], [1, 4]), b, f([0.5], [1]), zp], domain: "com.microsoft", attrs)[0]
        #expect(y.shape == [1, 1] && y.floats == [want])
    }

    @Test func matMulBatchBroadcastAndVectors() throws {
        // [2,1,2,2] x [3,2,1]-like batch broadcast: A batch 2, B batch 1 → one product per A batch.
        let a = f([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2]), b = f([1, 2, 3, 4], [1, 2, 2])
        let y = try M.run("MatMul", [a, b])[0]
        #expect(y.shape == [2, 2, 2] && y.floats == [1, 2, 3, 4, 2, 4, 6, 8])
        let v = try M.run("MatMul", [f([1, 1], [2]), f([1, 2, 3, 4], [2, 2])])[0]
        #expect(v.shape == [2] && v.floats == [4, 6])
    }

    @Test func gemmTransposesAndBroadcastsC() throws {
        let y = try M.run("Gemm", [f([1, 2, 3, 4], [2, 2]), f([1, 0, 0, 1], [2, 2]), f([10, 20], [2])],
                          [M.attr("transA", 1), M.attr("alpha", Float(2)), M.attr("beta", Float(0.5))])[0]
        #expect(y.floats == [7, 16, 9, 18])
    }

    @Test func reduceMeanAxesAttributeAndInput() throws {
        let x = f([1, 2, 3, 4, 5, 6], [2, 3])
        let a = try M.run("ReduceMean", [x], opset: 13, [M.attr("axes", [-1])])[0]
        #expect(a.shape == [2, 1] && a.floats == [2, 5])
        let b = try M.run("ReduceMean", [x, i64([0], [1])], opset: 18, [M.attr("keepdims", 0)])[0]
        #expect(b.shape == [3] && b.floats == [2.5, 3.5, 4.5])
        let l2 = try M.run("ReduceL2", [f([3, 4], [2])], opset: 18)[0]
        #expect(l2.floats == [5])
    }

    @Test func poolingModes() throws {
        let x = f((1...16).map(Float.init), [1, 1, 4, 4])
        let mp = try M.run("MaxPool", [x], [M.attr("kernel_shape", [3, 3]), M.attr("strides", [2, 2]), M.attr("ceil_mode", 1)])[0]
        #expect(mp.shape == [1, 1, 2, 2] && mp.floats == [11, 12, 15, 16])
        let ap = try M.run("AveragePool", [f([1, 2, 3, 4], [1, 1, 2, 2])], [M.attr("kernel_shape", [2, 2]), M.attr("pads", [1, 1, 1, 1]), M.attr("strides", [2, 2])])[0]
        #expect(ap.floats == [1, 2, 3, 4])
        let inc = try M.run("AveragePool", [f([1, 2, 3, 4], [1, 1, 2, 2])],
                            [M.attr("kernel_shape", [2, 2]), M.attr("pads", [1, 1, 1, 1]), M.attr("strides", [2, 2]), M.attr("count_include_pad", 1)])[0]
        #expect(inc.floats == [0.25, 0.5, 0.75, 1])
    }

    @Test func layerNormalization() throws {
        let y = try M.run("LayerNormalization", [f([1, 3, 2, 2], [2, 2]), f([2, 1], [2]), f([0, 1], [2])])[0]
        #expect(close(y, [-2, 2, 0, 1], tol: 1e-4), "\(y.floats ?? [])")
    }

    @Test func shapeOps() throws {
        let x = f((0..<6).map(Float.init), [1, 2, 3])
        #expect(try M.run("Reshape", [x, i64([0, -1], [2])])[0].shape == [1, 6])
        let t = try M.run("Transpose", [x], [M.attr("perm", [0, 2, 1])])[0]
        #expect(t.shape == [1, 3, 2] && t.floats == [0, 3, 1, 4, 2, 5])
        #expect(try M.run("Unsqueeze", [x, i64([0, -1], [2])])[0].shape == [1, 1, 2, 3, 1])
        #expect(try M.run("Squeeze", [x], opset: 11, [M.attr("axes", [0])])[0].shape == [2, 3])
        let parts = try M.run("Split", [x, i64([1, 2], [2])], outputs: 2, [M.attr("axis", 2)])
        #expect(parts[0].floats == [0, 3] && parts[1].floats == [1, 2, 4, 5])
        let c = try M.run("Concat", [f([1, 2], [1, 2]), f([3], [1, 1])], [M.attr("axis", -1)])[0]
        #expect(c.floats == [1, 2, 3])
        let e = try M.run("Expand", [f([1, 2], [2, 1]), i64([2, 3], [2])])[0]
        #expect(e.floats == [1, 1, 1, 2, 2, 2])
        let s = try M.run("Shape", [x], opset: 15, [M.attr("start", 1)])[0]
        #expect(s.ints == [2, 3])
        let r = try M.run("Range", [i64([5], []), i64([0], []), i64([-2], [])])[0]
        #expect(r.ints == [5, 3, 1])
        let cast = try M.run("Cast", [f([1.7, -1.7, 0.1], [3])], [M.attr("to", 7)])[0]
        #expect(cast.ints == [1, -1, 0])
    }

    @Test func elementwiseActivations() throws {
        let x = f([-3, 0, 3], [3])
        #expect(close(try M.run("HardSwish", [x])[0], [0, 0, 3]))
        #expect(close(try M.run("HardSigmoid", [x])[0], [0, 0.5, 1]))
        #expect(close(try M.run("Clip", [x, f([-1], []), f([2], [])])[0], [-1, 0, 2]))
        #expect(close(try M.run("Gelu", [f([1], [1])], opset: 20)[0], [0.8413447]))
        #expect(close(try M.run("Pow", [x, f([2], [])])[0], [9, 0, 9]))
        #expect(close(try M.run("Sigmoid", [f([0], [1])])[0], [0.5]))
    }
}

/// Resize against hand-computed values.
struct ResizeTests {
    @Test func nearestAsymmetricUpsample() throws {
        let y = try M.run("Resize", [f([1, 2, 3, 4], [1, 1, 2, 2]), nil, f([1, 1, 2, 2], [4])],
                          [M.attr("mode", "nearest"), M.attr("coordinate_transformation_mode", "asymmetric"), M.attr("nearest_mode", "floor")])[0]
        #expect(y.shape == [1, 1, 4, 4] && y.floats == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    @Test func linearHalfPixel() throws {
        let y = try M.run("Resize", [f([0, 1], [1, 1, 1, 2]), nil, nil, i64([1, 1, 1, 4], [4])], [M.attr("mode", "linear")])[0]
        #expect(close(y, [0, 0.25, 0.75, 1]), "\(y.floats ?? [])")
        let a = try M.run("Resize", [f([0, 3], [1, 2]), nil, nil, i64([1, 4], [2])],
                          [M.attr("mode", "linear"), M.attr("coordinate_transformation_mode", "align_corners")])[0]
        #expect(close(a, [0, 1, 2, 3]), "\(a.floats ?? [])")
    }
}
