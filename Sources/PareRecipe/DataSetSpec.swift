import PareBasics

/// `data.calibration` / `data.evaluation`: a data set file (.npz or .safetensors, keys `NNNN.<input>`) and the
/// deterministic subset to use.
public struct DataSetSpec: Sendable, Hashable {
    /// Resolved path (relative to the folder of the file that wrote it).
    public var path: String
    /// As written.
    public var givenPath: String
    /// `samples` (default all).
    public var samples: Int?
    /// `seed` of the subset selection (default 0).
    public var seed: UInt64
    /// `labels`: the per-sample key holding labels (default `__label__`).
    public var labels: String
    /// Where `path` is written.
    public var location: SourceLocation

    public init(path: String, givenPath: String, samples: Int? = nil, seed: UInt64 = 0, labels: String = "__label__",
                location: SourceLocation) {
        self.path = path
        self.givenPath = givenPath
        self.samples = samples
        self.seed = seed
        self.labels = labels
        self.location = location
    }
}
