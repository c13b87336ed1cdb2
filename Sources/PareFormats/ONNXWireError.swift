/// A problem in the protobuf wire format: where (absolute byte offset) and what.
struct ONNXWireError: Error {
    var offset: Int
    var message: String
}
