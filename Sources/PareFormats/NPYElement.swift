import PareTensor

/// A Swift type that is exactly one of the element types of `NPYArray` (see `NPYArray.elements(as:)`).
public protocol NPYElement {
    /// The array element type this Swift type reads.
    static var npyDType: DType { get }
    /// Reads `count` little-endian elements from `raw` (which may be unaligned).
    static func decode(_ raw: UnsafeRawBufferPointer, count: Int) -> [Self]
}

extension NPYElement where Self: BitwiseCopyable {
    public static func decode(_ raw: UnsafeRawBufferPointer, count: Int) -> [Self] {
        precondition(raw.count >= count * MemoryLayout<Self>.stride, "NPYElement.decode: buffer too short")
        return [Self](unsafeUninitializedCapacity: count) { out, n in
            if count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: count * MemoryLayout<Self>.stride) }
            n = count
        }
    }
}

extension Float: NPYElement { public static var npyDType: DType { .float32 } }
extension Double: NPYElement { public static var npyDType: DType { .float64 } }
extension Int64: NPYElement { public static var npyDType: DType { .int64 } }
extension Int32: NPYElement { public static var npyDType: DType { .int32 } }
extension Int16: NPYElement { public static var npyDType: DType { .int16 } }
extension Int8: NPYElement { public static var npyDType: DType { .int8 } }
extension UInt64: NPYElement { public static var npyDType: DType { .uint64 } }
extension UInt32: NPYElement { public static var npyDType: DType { .uint32 } }
extension UInt16: NPYElement { public static var npyDType: DType { .uint16 } }
extension UInt8: NPYElement { public static var npyDType: DType { .uint8 } }

extension Bool: NPYElement {
    public static var npyDType: DType { .bool }
    /// Any nonzero byte is true (numpy writes 0 and 1).
    public static func decode(_ raw: UnsafeRawBufferPointer, count: Int) -> [Bool] { (0..<count).map { raw[$0] != 0 } }
}
