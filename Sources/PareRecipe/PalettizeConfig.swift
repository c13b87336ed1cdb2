/// The resolved configuration of a `palettize` pass (weight sharing): each selected weight is replaced by
/// `2^bits` shared values (a look-up table, found by k-means) and one index per weight.
public struct PalettizeConfig: Sendable, Hashable, Codable {
    /// The tensors to palettize.
    public var selection: TensorSelection
    /// Index bits n, 1...8: 2^n table entries. Default 4.
    public var bits: Int
    /// `group_channels`: output channels that share one table; 0 (the default) is one table per tensor.
    public var groupChannels: Int
    /// k-means (Lloyd) iterations after the k-means++ start. Default 30.
    public var iterations: Int
    /// Seed of the k-means++ start. Default 0.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case selection, bits, iterations, seed
        case groupChannels = "group_channels"
    }

    /// A palettize config; defaults are those of a bare `- palettize` pass.
    public init(selection: TensorSelection = TensorSelection(), bits: Int = 4, groupChannels: Int = 0, iterations: Int = 30, seed: UInt64 = 0) {
        self.selection = selection
        self.bits = bits
        self.groupChannels = groupChannels
        self.iterations = iterations
        self.seed = seed
    }

    /// Table entries: 2^bits.
    public var clusters: Int { 1 << bits }
}
