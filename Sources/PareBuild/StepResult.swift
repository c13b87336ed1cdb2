import ParePasses

/// The outcome of one step of a build.
public struct StepResult: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable { case executed, cached }
    public var id: String
    /// The pass name, or `import` / `bundle`.
    public var pass: String
    /// The target when the step belongs to one target; null when several targets share it (see `targets`).
    public var target: String?
    public var targets: [String]
    public var status: Status
    public var tensorsComputed: Int
    public var tensorsReused: Int
    public var seconds: Double
    /// Model passes (fold, lowrank, structured prune, distill, gptq, mixed-precision): what the pass did.
    public var report: PassReport? = nil

    enum CodingKeys: String, CodingKey {
        case id, pass, target, targets, status, seconds, report
        case tensorsComputed = "tensors_computed"
        case tensorsReused = "tensors_reused"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(pass, forKey: .pass)
        if let target { try c.encode(target, forKey: .target) } else { try c.encodeNil(forKey: .target) }
        try c.encode(targets, forKey: .targets)
        try c.encode(status, forKey: .status)
        try c.encode(tensorsComputed, forKey: .tensorsComputed)
        try c.encode(tensorsReused, forKey: .tensorsReused)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encodeIfPresent(report, forKey: .report)
    }
}

/// A bundle a build produced.
public struct BundleResult: Sendable, Codable, Hashable {
    public var target: String
    /// The bundle folder, `<dist>/<recipe>/<target>`.
    public var path: String
    /// SHA-256 of the bundle's deterministic archive `<dist>/<recipe>/<target>.tar`, whether or not it is
    /// written: the digest to compare across machines.
    public var sha256: String
    /// Size of that archive in bytes, whether or not it is written.
    public var bytes: Int
    /// The archive's path when it was written (`bundle.tar: true`), else nil (`null` in JSON).
    public var tar: String?
    /// The evaluate step's report when the recipe evaluates (metrics, gates; `passed` false means the bundle is in
    /// the `<target>.gate-failed` folder).
    public var evaluation: EvaluationReport?

    public init(target: String, path: String, sha256: String, bytes: Int, tar: String?) {
        self.target = target
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
        self.tar = tar
    }

    enum CodingKeys: String, CodingKey { case target, path, sha256, bytes, tar, evaluation }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(path, forKey: .path)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(bytes, forKey: .bytes)
        if let tar { try c.encode(tar, forKey: .tar) } else { try c.encodeNil(forKey: .tar) }
        try c.encodeIfPresent(evaluation, forKey: .evaluation)
    }
}

/// The result of `pare build`, printed by `--json`.
public struct BuildReport: Sendable, Codable {
    public var recipe: String
    public var executed: Int
    public var cached: Int
    public var steps: [StepResult]
    public var bundles: [BundleResult]

    /// Bundles whose gates failed.
    public var gateFailures: [BundleResult] { bundles.filter { $0.evaluation?.passed == false } }
}
