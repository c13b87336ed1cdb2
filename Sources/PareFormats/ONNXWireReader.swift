/// A cursor over the fields of one protobuf message inside a buffer (the memory-mapped model, or a
/// serialized skeleton). Every length is checked against the end of the enclosing message before it is used,
/// with overflow-safe arithmetic, so corrupt input gives an `ONNXWireError`, never a read out of bounds.
///
/// Group wire types (3, 4) are rejected: ONNX does not use them.
struct ONNXWireReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int

    /// Reads the fields in `range` of `bytes`; `range` must lie inside `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> ONNXWireField? {
        guard position < end else { return nil }
        let start = position
        let tag = try readVarint()
        let number = tag >> 3
        let wireType = Int(tag & 7)
        guard number >= 1, number < (1 << 29) else {
            throw ONNXWireError(offset: start, message: "field number \(number) is invalid (a protobuf field number is 1 ... 536870911)")
        }
        let valueStart: Int
        var value: UInt64 = 0
        switch wireType {
        case ONNXWireType.varint:
            valueStart = position
            value = try readVarint()
        case ONNXWireType.fixed64:
            valueStart = position
            try skip(8, what: "fixed64 value of field \(number)")
        case ONNXWireType.fixed32:
            valueStart = position
            try skip(4, what: "fixed32 value of field \(number)")
        case ONNXWireType.lengthDelimited:
            let lengthAt = position
            let length = try readVarint()
            valueStart = position
            guard length <= UInt64(end - position) else {
                throw ONNXWireError(offset: lengthAt, message: "field \(number) claims \(length) bytes but only \(end - position) remain in the enclosing message")
            }
            position += Int(length)
        case 3, 4:
            throw ONNXWireError(offset: start, message: "field \(number) uses the \(ONNXWireType.name(wireType)) wire type, which ONNX never uses")
        default:
            throw ONNXWireError(offset: start, message: "field \(number) has invalid wire type \(wireType)")
        }
        return ONNXWireField(number: Int(number), wireType: wireType, start: start, valueStart: valueStart, end: position, varint: value)
    }

    /// Reads a base-128 varint of at most 10 bytes that fits in 64 bits.
    mutating func readVarint() throws -> UInt64 {
        let (v, n) = try ONNXWireReader.varint(in: bytes, at: position, end: end)
        position += n
        return v
    }

    private mutating func skip(_ n: Int, what: String) throws {
        guard end - position >= n else {
            throw ONNXWireError(offset: position, message: "the \(what) needs \(n) bytes but only \(end - position) remain in the enclosing message")
        }
        position += n
    }

    /// Decodes the varint at `offset` (not reading at or past `end`): its value and byte length.
    static func varint(in bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) throws -> (UInt64, Int) {
        var value: UInt64 = 0
        var i = 0
        while true {
            guard offset + i < end else {
                throw ONNXWireError(offset: offset, message: "a varint is cut off by the end of the enclosing message")
            }
            let b = bytes[offset + i]
            if i == 9 {
                guard b <= 1 else {
                    throw ONNXWireError(offset: offset, message: "a varint is longer than 10 bytes or overflows 64 bits")
                }
            }
            value |= UInt64(b & 0x7F) << UInt64(7 * i)
            i += 1
            if b & 0x80 == 0 { return (value, i) }
        }
    }

    /// Counts the varints packed in `range`, checking that each is well formed.
    static func countVarints(in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> Int {
        var n = 0
        var p = range.lowerBound
        while p < range.upperBound {
            let (_, len) = try varint(in: bytes, at: p, end: range.upperBound)
            p += len
            n += 1
        }
        return n
    }

    /// The UTF-8 text of a length-delimited field (invalid sequences replaced, for names in messages).
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
