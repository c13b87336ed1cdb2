import PareBasics
import PareFormats
import ParePasses

/// What the action cache holds for one step: its key components (for `explain`) and its outputs.
public struct ActionRecord: Sendable, Codable {
    public var components: ActionKeyComponents
    /// The model artifact produced (import and pass steps).
    public var artifact: Digest?
    /// Bundle steps: the files of the bundle and the archive.
    public var bundle: BundleRecord?
    public var tensorsComputed: Int
    public var tensorsReused: Int
    /// Calibrate steps: the statistics blob; evaluate steps: the evaluation report blob.
    public var output: Digest? = nil
}

/// The files a bundle step produced.
public struct BundleRecord: Sendable, Codable, Hashable {
    public struct File: Sendable, Codable, Hashable {
        public var name: String
        public var sha256: Digest
        public var bytes: Int
    }
    public var files: [File]
    public var tar: File
}

/// What the tensor cache holds for one tensor of a per-tensor pass.
struct TensorActionRecord: Codable {
    var output: TensorRecord
}

/// The components of a tensor-level key: the pass, its parameters for this tensor, and the input tensor.
struct TensorKeyComponents: Codable {
    var pass: String
    var passVersion: Int
    var kernelVersion: Int
    var parameters: TensorParameters
    var input: TensorRecord
    var salt: String
}
