/// A problem with a model or archive file: what is wrong, where, and what to do about it.
///
/// The description reads `FILE: tensor 'NAME': MESSAGE` (or `FILE: MESSAGE` when no tensor is involved), e.g.
/// `models/x.safetensors: tensor 'fc.weight': data_offsets [0, 4096] end past the data section (1024 bytes);
/// the file is truncated or corrupt — re-export it`.
public struct FormatError: Error, Sendable, CustomStringConvertible, Hashable {
    /// The file the problem is in (as the caller named it).
    public var file: String
    /// The tensor concerned, when there is one.
    public var tensor: String?
    /// What is wrong and what to do.
    public var message: String

    public init(file: String, tensor: String? = nil, message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        if let tensor { return "\(file): tensor '\(tensor)': \(message)" }
        return "\(file): \(message)"
    }
}
