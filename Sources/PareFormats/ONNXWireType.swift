/// Protobuf wire-type numbers and their names for messages.
enum ONNXWireType {
    static let varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5

    static func name(_ t: Int) -> String {
        switch t {
        case 0: return "varint"
        case 1: return "fixed64"
        case 2: return "length-delimited"
        case 3: return "start-group"
        case 4: return "end-group"
        case 5: return "fixed32"
        default: return "invalid (\(t))"
        }
    }
}
