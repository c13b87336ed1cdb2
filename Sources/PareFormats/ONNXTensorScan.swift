/// The fields of one `TensorProto` on the wire, gathered without copying any payload. Repeated scalar fields
/// may come packed or unpacked, in several pieces; singular fields follow protobuf's "last one wins".
struct ONNXTensorScan {
    /// Every field in file order.
    var fields: [ONNXWireField] = []
    var name: String?
    var dataType: Int?
    /// Dimensions as stored (int64; negative values are kept for the validator to report).
    var dims: [Int64] = []
    /// The last raw_data field (protobuf semantics for a singular field).
    var rawData: ONNXWireField?
    /// Pieces of the typed data fields (float_data, int32_data, int64_data, double_data, uint64_data).
    var typed: [ONNXWireField] = []
    var hasStringData = false
    var hasSegment = false
    /// external_data entries in order (key, value).
    var external: [(key: String, value: String)] = []
    var dataLocation: UInt64?
    var docString: String?

    static let typedFields: Set<Int> = [4, 5, 7, 10, 11]
    /// Fields that hold or locate the payload: removed from a stripped tensor in the skeleton.
    static let payloadFields: Set<Int> = [4, 5, 7, 9, 10, 11, 13]

    /// Scans the content of a `TensorProto` in `range`. On malformed input returns what was read so far
    /// (its `name` helps the error message) together with the error.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (ONNXTensorScan, ONNXWireError?) {
        var s = ONNXTensorScan()
        var r = ONNXWireReader(bytes, range)
        do {
            while let f = try r.next() {
                try ONNXWireSchema.check(f, in: ONNXWireSchema.tensor, message: "TensorProto")
                s.fields.append(f)
                switch f.number {
                case 1:
                    if f.wireType == ONNXWireType.varint {
                        s.dims.append(Int64(bitPattern: f.varint))
                    } else {
                        var p = f.valueStart
                        while p < f.end {
                            let (d, n) = try ONNXWireReader.varint(in: bytes, at: p, end: f.end)
                            s.dims.append(Int64(bitPattern: d))
                            p += n
                        }
                    }
                case 2: s.dataType = Int(truncatingIfNeeded: Int32(truncatingIfNeeded: f.varint))
                case 3: s.hasSegment = true
                case 6: s.hasStringData = true
                case 8: s.name = ONNXWireReader.string(bytes, f.value)
                case 9: s.rawData = f
                case 12: s.docString = ONNXWireReader.string(bytes, f.value)
                case 13: s.external.append(try entry(bytes, f))
                case 14: s.dataLocation = f.varint
                case let n where typedFields.contains(n):
                    try checkTypedPiece(bytes, f)
                    s.typed.append(f)
                default: break
                }
            }
        } catch let e as ONNXWireError {
            return (s, e)
        } catch {
            return (s, ONNXWireError(offset: range.lowerBound, message: "\(error)"))
        }
        return (s, nil)
    }

    /// A `StringStringEntryProto` (key 1, value 2).
    private static func entry(_ bytes: UnsafeRawBufferPointer, _ f: ONNXWireField) throws -> (key: String, value: String) {
        var r = ONNXWireReader(bytes, f.value)
        var key = "", value = ""
        while let e = try r.next() {
            try ONNXWireSchema.check(e, in: ONNXWireSchema.stringStringEntry, message: "an external_data entry")
            if e.number == 1 { key = ONNXWireReader.string(bytes, e.value) }
            if e.number == 2 { value = ONNXWireReader.string(bytes, e.value) }
        }
        return (key, value)
    }

    /// Packed fixed-size pieces must hold whole values; packed varints must be well formed.
    private static func checkTypedPiece(_ bytes: UnsafeRawBufferPointer, _ f: ONNXWireField) throws {
        guard f.wireType == ONNXWireType.lengthDelimited else { return }
        switch f.number {
        case 4, 10:
            let size = f.number == 4 ? 4 : 8
            guard f.value.count % size == 0 else {
                throw ONNXWireError(offset: f.start, message: "packed \(ONNXDataType.typedFieldName(f.number)) holds \(f.value.count) bytes, not a multiple of \(size)")
            }
        default:
            _ = try ONNXWireReader.countVarints(in: bytes, f.value)
        }
    }

    /// Number of values in the typed pieces.
    func typedCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var n = 0
        for f in typed {
            switch (f.number, f.wireType) {
            case (4, ONNXWireType.lengthDelimited): n += f.value.count / 4
            case (10, ONNXWireType.lengthDelimited): n += f.value.count / 8
            case (_, ONNXWireType.lengthDelimited): n += (try? ONNXWireReader.countVarints(in: bytes, f.value)) ?? 0
            default: n += 1
            }
        }
        return n
    }
}
