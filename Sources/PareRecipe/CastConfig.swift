/// The resolved configuration of a `cast` pass.
public struct CastConfig: Sendable, Hashable, Codable {
    /// The tensors to cast.
    public var selection: TensorSelection
    /// Required in the recipe.
    public var dtype: CastDType

    /// A cast config (selection defaults to every float tensor of rank ≥ 2).
    public init(selection: TensorSelection = TensorSelection(), dtype: CastDType) {
        self.selection = selection
        self.dtype = dtype
    }
}
