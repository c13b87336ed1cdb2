/// Encoding helpers for the fields pare writes.
enum ONNXWireEncoder {
    static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func varintSize(_ v: UInt64) -> Int {
        var v = v, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    static func appendTag(_ number: Int, _ wireType: Int, to out: inout [UInt8]) {
        appendVarint(UInt64(number) << 3 | UInt64(wireType), to: &out)
    }

    /// Tag and length prefix of a length-delimited field whose content has `length` bytes.
    static func lengthPrefix(_ number: Int, _ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        appendTag(number, ONNXWireType.lengthDelimited, to: &out)
        appendVarint(UInt64(length), to: &out)
        return out
    }

    /// A complete length-delimited field holding `content`.
    static func appendBytesField(_ number: Int, _ content: [UInt8], to out: inout [UInt8]) {
        out += lengthPrefix(number, content.count)
        out += content
    }

    static func appendStringField(_ number: Int, _ s: String, to out: inout [UInt8]) {
        appendBytesField(number, Array(s.utf8), to: &out)
    }

    static func appendVarintField(_ number: Int, _ v: UInt64, to out: inout [UInt8]) {
        appendTag(number, ONNXWireType.varint, to: &out)
        appendVarint(v, to: &out)
    }
}
