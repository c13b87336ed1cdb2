import PareONNXProto
import PareFormats
import PareKernels
import PareTensor

/// Runs a model over a data set and collects ``CalibrationStatistics``: memory is one histogram per float value
/// of the graph (2 × `binCount` counters each), whatever the number of samples.
public enum Calibrator {
    /// Every reason `data` cannot feed `interpreter`'s graph inputs, each naming the data file and the input:
    /// missing or extra inputs, an integer array for a float input or the reverse, a shape that differs from the
    /// model's (a symbolic dimension accepts any size), an empty data set. Empty when it fits.
    public static func problems(_ data: DataSet, for interpreter: Interpreter) -> [String] {
        problems(data, inputNames: interpreter.inputNames, inputTypes: interpreter.inputTypes)
    }

    /// ``problems(_:for:)`` against a model's declared graph inputs, without making an interpreter (plan time).
    public static func problems(_ data: DataSet, model: Onnx_ModelProto) -> [String] {
        let initializers = Set(model.graph.initializer.map(\.name))
        var types: [String: (dtype: DType?, dims: [Int?])] = [:]
        for vi in model.graph.input {
            let tt = vi.type.tensorType
            types[vi.name] = (ONNXDataType.dtype(code: Int(tt.elemType)),
                              tt.hasShape ? tt.shape.dim.map { if case .dimValue(let v)? = $0.value { return Int(v) } else { return nil } } : [])
        }
        return problems(data, inputNames: model.graph.input.map(\.name).filter { !initializers.contains($0) }, inputTypes: types)
    }

    static func problems(_ data: DataSet, inputNames: [String], inputTypes: [String: (dtype: DType?, dims: [Int?])]) -> [String] {
        var out: [String] = []
        if data.sampleCount == 0 { out.append("\(data.path): the data set has no samples; add samples NNNN.<input name>") }
        let given = Dictionary(uniqueKeysWithValues: data.inputs.map { ($0.name, $0) })
        for name in inputNames {
            guard let d = given[name] else {
                out.append("\(data.path): no data for model input '\(name)'; add arrays named NNNN.\(name)")
                continue
            }
            guard let (dtype, dims) = inputTypes[name] else { continue }
            if let dtype, dtype.isFloatingPoint != d.dtype.isFloatingPoint {
                out.append("\(data.path): input '\(name)' is \(d.dtype) in the data but \(dtype) in the model; store it as "
                           + (dtype.isFloatingPoint ? "a float array" : "an integer array"))
            }
            let shape = d.shape.dims
            let fits = dims.isEmpty || (dims.count == shape.count && zip(dims, shape).allSatisfy { $0.0 == nil || $0.0 == $0.1 })
            if !fits {
                out.append("\(data.path): input '\(name)' has shape \(shape) in the data but the model expects "
                           + "[\(dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))]; reshape the samples to it")
            }
        }
        for input in data.inputs where !inputNames.contains(input.name) {
            out.append("\(data.path): '\(input.name)' is not an input of the model (inputs: \(inputNames.joined(separator: ", ")))")
        }
        return out
    }

    /// Runs the selected samples of `data` (in ascending index order) and histograms every float value.
    /// - Throws: `RuntimeError` listing every ``problems(_:for:)`` before anything runs; errors of the data set
    ///   reader or the interpreter (naming the sample) otherwise.
    public static func collect(_ interpreter: Interpreter, data: DataSet, selection: DataSetSelection = .all,
                               binCount: Int = 2048) throws -> CalibrationStatistics {
        try collect(interpreter, data: data, selection: selection, binCount: binCount, onlySample: nil)
    }

    /// ``collect(_:data:selection:binCount:)``, or only sample `onlySample` when given (for tests of grouping).
    static func collect(_ interpreter: Interpreter, data: DataSet, selection: DataSetSelection = .all,
                        binCount: Int = 2048, onlySample: Int?) throws -> CalibrationStatistics {
        let problems = problems(data, for: interpreter)
        guard problems.isEmpty else { throw RuntimeError(problems.joined(separator: "\n")) }
        var stats = CalibrationStatistics()
        for index in try onlySample.map({ [$0] }) ?? selection.indices(count: data.sampleCount) {
            let feeds = try inputs(of: data, sample: index, for: interpreter)
            do {
                _ = try interpreter.run(feeds) { name, tensor in
                    guard let values = tensor.floats else { return }
                    var h = stats.histograms[name] ?? ActivationHistogram(binCount: binCount)
                    values.withUnsafeBufferPointer { h.add($0) }
                    stats.histograms[name] = h
                }
            } catch let e as RuntimeError {
                throw RuntimeError("\(data.path): sample \(index): \(e.message)")
            }
            stats.samples += 1
        }
        return stats
    }

    /// Sample `index` of `data` as interpreter inputs: float arrays as the model's float type, integer arrays as
    /// Int64 values of the model's integer type.
    /// - Throws: `RuntimeError` naming the file, sample, input and element of a NaN or ±∞ value.
    public static func inputs(of data: DataSet, sample index: Int, for interpreter: Interpreter) throws -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        for (name, array) in try data.sample(index) {
            let modelType = interpreter.inputTypes[name]?.dtype
            let shape = array.shape.dims
            if array.dtype.isFloatingPoint {
                let values = array.floats()
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw RuntimeError("\(data.path): sample \(index), input '\(name)' has a non-finite value (\(values[bad])) at element \(bad); remove or fix the sample")
                }
                feeds[name] = Tensor(floats: values, shape: shape, dtype: modelType ?? .float32)
            } else {
                let ints = array.withUnsafeBytes { ONNXIntegerPayload.decode($0, dtype: array.dtype, count: array.elementCount) }
                feeds[name] = Tensor(ints: ints, shape: shape, dtype: modelType ?? .int64)
            }
        }
        return feeds
    }
}
