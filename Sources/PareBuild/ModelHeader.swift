import PareFormats
import PareTensor

/// What planning needs to know about the source model, read without loading its weights: the format and the
/// tensor table (names, dtypes, shapes, sizes).
public struct ModelHeader: Sendable {
    public struct Tensor: Sendable, Hashable {
        public var name: String
        public var dtype: DType
        public var shape: Shape
        public var byteCount: Int
    }
    public var format: ModelFileFormat
    public var tensors: [Tensor]

    init(safetensors h: SafetensorsHeader) {
        format = .safetensors
        tensors = h.tensors.map { Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, byteCount: $0.byteCount) }
    }
}
