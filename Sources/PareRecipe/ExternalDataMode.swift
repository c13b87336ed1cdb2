/// `bundle.external_data`: where an ONNX bundle keeps its weights.
public enum ExternalDataMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The default: weights stay inside `model.onnx` unless the model would not fit in one protobuf file
    /// (2 GiB, with a 64 MiB margin); then they go to the sidecar `model.onnx.data`.
    case auto
    /// Weights of at least 1 KiB always go to the sidecar `model.onnx.data` (4096-byte aligned, so runtimes can
    /// memory-map each tensor), whatever the model's size.
    case always

    /// The default of a recipe without `bundle.external_data`.
    public static let `default` = ExternalDataMode.auto
}
