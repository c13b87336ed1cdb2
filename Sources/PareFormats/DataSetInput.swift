import PareTensor

/// One input of a data set (or its label): the name after `NNNN.` in the keys, and the element type and
/// shape every sample's array for it has.
public struct DataSetInput: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var dtype: DType
    public var shape: Shape

    public init(name: String, dtype: DType, shape: Shape) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    public var description: String { "\(name): \(dtype) \(shape)" }
}
