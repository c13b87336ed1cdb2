/// The container format of a model file, as written in `model.format` and `bundle.format`.
public enum ModelFormatChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// Decide from the file: for `model.format`, by the file extension; for `bundle.format`, the model's format.
    case auto
    case safetensors
    case onnx
    case gguf

    /// The format a file extension names (`.safetensors`, `.onnx`, `.gguf`, case-insensitive), or nil.
    public static func fromExtension(of path: String) -> ModelFormatChoice? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "safetensors": return .safetensors
        case "onnx": return .onnx
        case "gguf": return .gguf
        default: return nil
        }
    }
}
