/// The resolved configuration of a `cast` pass.
public struct CastConfig: Sendable, Hashable, Codable {
    /// The tensors to cast.
    public var selection: TensorSelection
    /// Required in the recipe.
    public var dtype: CastDType
    /// What the model computes in afterwards; default float32 (weights are cast back on load).
    public var compute: CastCompute

    /// A cast config (selection defaults to every float tensor of rank ≥ 2).
    public init(selection: TensorSelection = TensorSelection(), dtype: CastDType, compute: CastCompute = .float32) {
        self.selection = selection
        self.dtype = dtype
        self.compute = compute
    }
}
