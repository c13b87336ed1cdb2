import Foundation
import Testing
import PareFormats
import PareKernels
@testable import PareRuntime

/// Calibration statistics: the histograms of the graph inputs hold exactly the data's values, those of the graph
/// outputs agree with ONNX Runtime's outputs, and the result does not depend on how samples are grouped.
@Suite(.serialized) struct CalibratorTests {
    @Test(arguments: ["cnn", "transformer", "constants"])
    func inputsAndOutputsMatchTheDataAndONNXRuntime(fixture: String) throws {
        let dir = try Support.fixtures(opset: 17)
        let model = "\(dir)/\(fixture).onnx", inputs = "\(dir)/\(fixture).inputs.npz"
        let interpreter = try Interpreter(path: model)
        let data = try DataSet(path: inputs)
        let stats = try Calibrator.collect(interpreter, data: data)
        #expect(stats.samples == data.sampleCount)
        // Graph inputs that are float: exact min / max / count of the data.
        for input in data.inputs where input.dtype.isFloatingPoint {
            let all = try (0..<data.sampleCount).flatMap { try data.floatSample($0)[input.name]! }
            let h = try #require(stats.histograms[input.name])
            #expect(h.count == UInt64(all.count))
            #expect(h.min == all.min() && h.max == all.max())
        }
        // Graph outputs: min / max over all samples agree with ONNX Runtime's outputs (interpreter ≤ 1e-4 relative).
        let ort = try Support.ort(model: model, inputs: inputs, samples: data.sampleCount)
        for name in interpreter.outputNames {
            let values = ort.flatMap { $0.outputs[name]!.floats! }
            let h = try #require(stats.histograms[name])
            let scale = Double(values.map { abs($0) }.max()!)
            #expect(abs(Double(h.min!) - Double(values.min()!)) <= 1e-4 * scale, "\(fixture) \(name) min")
            #expect(abs(Double(h.max!) - Double(values.max()!)) <= 1e-4 * scale, "\(fixture) \(name) max")
            #expect(h.count == UInt64(values.count))
        }
        // Every float value of the graph has statistics (inputs, intermediates, outputs).
        #expect(stats.histograms.count > interpreter.outputNames.count + 3)
    }

    /// Collecting a seeded subset in one go equals collecting its samples one by one and merging, bit for bit.
    @Test(arguments: [1, 3, 5] as [UInt64])
    func groupingDoesNotMatter(seed: UInt64) throws {
        let dir = try Support.fixtures(opset: 17)
        let interpreter = try Interpreter(path: "\(dir)/transformer.onnx")
        let data = try DataSet(path: "\(dir)/transformer.inputs.npz")
        let selection = DataSetSelection(samples: 5, seed: seed)
        let whole = try Calibrator.collect(interpreter, data: data, selection: selection)
        var merged = CalibrationStatistics()
        for i in try selection.indices(count: data.sampleCount).reversed() {
            let one = try Calibrator.collect(interpreter, data: data, selection: DataSetSelection(samples: 1, seed: 0),
                                             onlySample: i)
            merged.merge(one)
        }
        #expect(merged.samples == 5 && whole.samples == 5)
        #expect(merged.histograms == whole.histograms)
    }

    /// Data that does not fit the model: every problem is reported at once, before anything runs.
    @Test func mismatchedDataIsRejectedUpFront() throws {
        let dir = try Support.fixtures(opset: 17)
        let interpreter = try Interpreter(path: "\(dir)/cnn.onnx")
        let bad = NSTemporaryDirectory() + "pare-calib-bad-\(UUID().uuidString).npz"
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let (status, _, err) = try Support.python(["-c", """
        import numpy as np
        np.savez("\(bad)", **{"0000.input": np.zeros((1, 3, 16, 16), np.float32), "0000.extra": np.zeros(2, np.int64)})
        """])
        #expect(status == 0, "\(err)")
        let data = try DataSet(path: bad)
        let problems = Calibrator.problems(data, for: interpreter)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.contains("input 'input' has shape [1, 3, 16, 16] in the data but the model expects [1, 3, 32, 32]") })
        #expect(problems.contains { $0.contains("'extra' is not an input of the model") })
        #expect(throws: RuntimeError.self) { try Calibrator.collect(interpreter, data: data) }
    }
}
