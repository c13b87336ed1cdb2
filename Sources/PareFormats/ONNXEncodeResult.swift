import PareONNXProto

/// The encoded model and a human-readable account of what was done.
public struct ONNXEncodeResult: Sendable {
    public var model: Onnx_ModelProto
    /// One line per weight (in name order) saying how it was written, plus opset / IR changes and fallbacks.
    public var report: [String]

    public init(model: Onnx_ModelProto, report: [String]) {
        self.model = model
        self.report = report
    }
}
