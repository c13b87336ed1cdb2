/// A protobuf wire-format field as it lies in a buffer: its number, wire type and byte ranges.
struct ONNXWireField {
    /// The field number (1 ... 2^29 − 1).
    var number: Int
    /// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    var wireType: Int
    /// Offset of the field's tag (the first byte of the field).
    var start: Int
    /// Offset of the value: the varint, the fixed bytes, or the first content byte after a length prefix.
    var valueStart: Int
    /// Offset just past the field.
    var end: Int
    /// The decoded value of a varint field (0 for the other wire types).
    var varint: UInt64

    /// The bytes of the value (for length-delimited fields: the content without its length prefix).
    var value: Range<Int> { valueStart..<end }
    /// The whole field, tag included.
    var range: Range<Int> { start..<end }
}
