import PareTensor

/// One tensor of a safetensors file: its type, shape and where its bytes are.
public struct SafetensorsTensor: Sendable, Hashable {
    public var name: String
    public var dtype: DType
    public var shape: Shape
    /// Absolute byte offset of the tensor's first byte in the file (data section start + `data_offsets[0]`).
    public var offset: Int
    /// Number of bytes (`data_offsets[1] − data_offsets[0]`, equal to element count × dtype size).
    public var byteCount: Int

    public init(name: String, dtype: DType, shape: Shape, offset: Int, byteCount: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offset = offset
        self.byteCount = byteCount
    }
}
