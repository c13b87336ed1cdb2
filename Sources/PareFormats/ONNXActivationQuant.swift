/// One activation to quantize (a graph input or a node output, float32): QuantizeLinear → DequantizeLinear.
public struct ONNXActivationQuant: Sendable, Hashable, Codable {
    public var name: String
    /// "uint8", "int8", "uint16" or "int16".
    public var dtype: String
    public var scale: Float
    public var zeroPoint: Int32

    public init(name: String, dtype: String, scale: Float, zeroPoint: Int32) {
        self.name = name
        self.dtype = dtype
        self.scale = scale
        self.zeroPoint = zeroPoint
    }
}
