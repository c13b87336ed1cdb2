/// The resolved configuration of a `fold` pass: graph simplifications that keep what the model computes
/// (up to float rounding). Every switch defaults to true.
public struct FoldConfig: Sendable, Hashable, Codable {
    /// `batchnorm`: fold BatchNormalization into the Conv / Gemm (or MatMul + Add) that feeds it.
    public var batchNorm: Bool
    /// `constants`: evaluate nodes whose inputs are all constants (weight-only subgraphs) and store the results.
    public var constants: Bool
    /// `identities`: remove Identity, inference-mode Dropout and other no-op nodes.
    public var identities: Bool

    enum CodingKeys: String, CodingKey {
        case batchNorm = "batchnorm"
        case constants, identities
    }

    /// A fold config; the defaults fold everything.
    public init(batchNorm: Bool = true, constants: Bool = true, identities: Bool = true) {
        self.batchNorm = batchNorm
        self.constants = constants
        self.identities = identities
    }
}
