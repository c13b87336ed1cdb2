import Foundation
import PareONNXProto

/// Small builders and readers over the generated ONNX protobuf types, shared by the encoder, the layout
/// conversions and the opset upgrade. A namespace (not extensions) so that the names cannot collide with
/// other helpers on the same generated types.
enum ONNXEncodeProto {
    // MARK: Element types

    /// ONNX `TensorProto.DataType` codes.
    static let float: Int32 = 1, uint8: Int32 = 2, int8: Int32 = 3, uint16: Int32 = 4, int16: Int32 = 5
    static let int32: Int32 = 6, int64: Int32 = 7, string: Int32 = 8, bool: Int32 = 9, float16: Int32 = 10
    static let double: Int32 = 11, uint32: Int32 = 12, uint64: Int32 = 13, bfloat16: Int32 = 16
    static let uint4: Int32 = 21, int4: Int32 = 22

    static func typeName(_ t: Int32) -> String {
        switch t {
        case float: return "FLOAT"
        case uint8: return "UINT8"
        case int8: return "INT8"
        case uint16: return "UINT16"
        case int16: return "INT16"
        case int32: return "INT32"
        case int64: return "INT64"
        case string: return "STRING"
        case bool: return "BOOL"
        case float16: return "FLOAT16"
        case double: return "DOUBLE"
        case uint32: return "UINT32"
        case uint64: return "UINT64"
        case bfloat16: return "BFLOAT16"
        case uint4: return "UINT4"
        case int4: return "INT4"
        default: return "data type \(t)"
        }
    }

    static func isFloatingPoint(_ t: Int32) -> Bool { t == float || t == float16 || t == double || t == bfloat16 }

    // MARK: Tensors

    /// A tensor whose payload is `raw` (little-endian bytes, 4-bit types already packed).
    static func tensor(_ name: String = "", type: Int32, dims: [Int], raw: [UInt8]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        if !name.isEmpty { t.name = name }
        t.dataType = type
        t.dims = dims.map(Int64.init)
        t.rawData = Data(raw)
        return t
    }

    static func floats(_ name: String = "", dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values { appendLE(v.bitPattern, to: &raw) }
        return tensor(name, type: float, dims: dims, raw: raw)
    }

    /// A FLOAT16 (or BFLOAT16) tensor from bit patterns.
    static func halves(_ name: String = "", type: Int32 = float16, dims: [Int], _ bits: [UInt16]) -> Onnx_TensorProto {
        var raw = [UInt8]()
        raw.reserveCapacity(bits.count * 2)
        for v in bits { appendLE(v, to: &raw) }
        return tensor(name, type: type, dims: dims, raw: raw)
    }

    /// Floats stored as `type`: FLOAT, or FLOAT16 (round to nearest even).
    static func floats(_ name: String = "", type: Int32, dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        type == float16 ? halves(name, dims: dims, values.map(ONNXEncodeHalf.fromFloat)) : floats(name, dims: dims, values)
    }

    static func int64s(_ name: String = "", dims: [Int], _ values: [Int64]) -> Onnx_TensorProto {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 8)
        for v in values { appendLE(UInt64(bitPattern: v), to: &raw) }
        return tensor(name, type: int64, dims: dims, raw: raw)
    }

    /// A scalar (0-d) of a floating-point `type` (FLOAT, FLOAT16, DOUBLE, BFLOAT16) holding `value`.
    static func floatScalar(_ name: String = "", type: Int32, _ value: Double) -> Onnx_TensorProto {
        switch type {
        case float16: return halves(name, dims: [], [ONNXEncodeHalf.fromFloat(Float(value))])
        case bfloat16: return halves(name, type: type, dims: [], [ONNXEncodeHalf.bfloat16FromFloat(Float(value))])
        case double:
            var raw = [UInt8]()
            appendLE(value.bitPattern, to: &raw)
            return tensor(name, type: type, dims: [], raw: raw)
        default: return floats(name, dims: [], [Float(value)])
        }
    }

    static func shape(_ t: Onnx_TensorProto) -> [Int] { t.dims.map { Int($0) } }

    static func elementCount(_ t: Onnx_TensorProto) -> Int { t.dims.reduce(1) { $0 * Int($1) } }

    /// True when the payload lives in an external file (only the reference is in the model).
    static func isExternal(_ t: Onnx_TensorProto) -> Bool { t.hasDataLocation && t.dataLocation == .external }

    /// The values of an integer tensor (INT64, INT32, INT16, INT8, UINT8, ...), from raw_data or the typed
    /// fields; nil for other types, external data or inconsistent payloads.
    static func integerValues(_ t: Onnx_TensorProto) -> [Int64]? {
        if isExternal(t) { return nil }
        let n = elementCount(t)
        if t.hasRawData {
            let raw = [UInt8](t.rawData)
            switch t.dataType {
            case int64:
                guard raw.count == n * 8 else { return nil }
                return (0..<n).map { Int64(bitPattern: readLE(raw, $0 * 8, UInt64.self)) }
            case int32:
                guard raw.count == n * 4 else { return nil }
                return (0..<n).map { Int64(Int32(bitPattern: readLE(raw, $0 * 4, UInt32.self))) }
            case int16:
                guard raw.count == n * 2 else { return nil }
                return (0..<n).map { Int64(Int16(bitPattern: readLE(raw, $0 * 2, UInt16.self))) }
            case uint16:
                guard raw.count == n * 2 else { return nil }
                return (0..<n).map { Int64(readLE(raw, $0 * 2, UInt16.self)) }
            case int8:
                guard raw.count == n else { return nil }
                return raw.map { Int64(Int8(bitPattern: $0)) }
            case uint8, bool:
                guard raw.count == n else { return nil }
                return raw.map { Int64($0) }
            default: return nil
            }
        }
        switch t.dataType {
        case int64: return t.int64Data.count == n ? t.int64Data : nil
        case int32, int16, int8, uint16, uint8, bool: return t.int32Data.count == n ? t.int32Data.map(Int64.init) : nil
        default: return nil
        }
    }

    /// The values of a FLOAT, DOUBLE, FLOAT16 or BFLOAT16 tensor as Float; nil for other types, external data
    /// or inconsistent payloads.
    static func floatValues(_ t: Onnx_TensorProto) -> [Float]? {
        if isExternal(t) { return nil }
        let n = elementCount(t)
        if t.hasRawData {
            let raw = [UInt8](t.rawData)
            switch t.dataType {
            case float:
                guard raw.count == n * 4 else { return nil }
                return (0..<n).map { Float(bitPattern: readLE(raw, $0 * 4, UInt32.self)) }
            case double:
                guard raw.count == n * 8 else { return nil }
                return (0..<n).map { Float(Double(bitPattern: readLE(raw, $0 * 8, UInt64.self))) }
            case float16:
                guard raw.count == n * 2 else { return nil }
                return (0..<n).map { ONNXEncodeHalf.toFloat(readLE(raw, $0 * 2, UInt16.self)) }
            case bfloat16:
                guard raw.count == n * 2 else { return nil }
                return (0..<n).map { Float(bitPattern: UInt32(readLE(raw, $0 * 2, UInt16.self)) << 16) }
            default: return nil
            }
        }
        switch t.dataType {
        case float: return t.floatData.count == n ? t.floatData : nil
        case double: return t.doubleData.count == n ? t.doubleData.map { Float($0) } : nil
        case float16: return t.int32Data.count == n ? t.int32Data.map { ONNXEncodeHalf.toFloat(UInt16(truncatingIfNeeded: $0)) } : nil
        case bfloat16:
            return t.int32Data.count == n ? t.int32Data.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) } : nil
        default: return nil
        }
    }

    // MARK: Attributes

    static func intAttr(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(v)
        return a
    }

    static func intsAttr(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = v.map(Int64.init)
        return a
    }

    static func stringAttr(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(v.utf8)
        return a
    }

    static func tensorAttr(_ name: String, _ t: Onnx_TensorProto) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .tensor
        a.t = t
        return a
    }

    // MARK: Nodes

    static func node(_ opType: String, _ inputs: [String], _ outputs: [String], name: String,
                     domain: String? = nil, attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = opType
        n.input = inputs
        n.output = outputs
        if !name.isEmpty { n.name = name }
        if let domain { n.domain = domain }
        n.attribute = attributes
        return n
    }

    /// A `Constant` node whose `value` attribute holds `tensor` (its name cleared), with output `output`.
    static func constantNode(_ tensor: Onnx_TensorProto, output: String, name: String) -> Onnx_NodeProto {
        var t = tensor
        t.clearName()
        return node("Constant", [], [output], name: name, attributes: [tensorAttr("value", t)])
    }

    /// True for the standard ONNX domain ("" or "ai.onnx").
    static func isStandard(_ n: Onnx_NodeProto) -> Bool { n.domain.isEmpty || n.domain == "ai.onnx" }

    static func attr(_ n: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? { n.attribute.first { $0.name == name } }

    static func int(_ n: Onnx_NodeProto, _ name: String) -> Int? { attr(n, name).map { Int($0.i) } }

    static func ints(_ n: Onnx_NodeProto, _ name: String) -> [Int]? { attr(n, name).map { $0.ints.map { Int($0) } } }

    static func float(_ n: Onnx_NodeProto, _ name: String) -> Float? { attr(n, name).map { $0.f } }

    static func floats(_ n: Onnx_NodeProto, _ name: String) -> [Float]? { attr(n, name).map { $0.floats } }

    static func string(_ n: Onnx_NodeProto, _ name: String) -> String? {
        attr(n, name).map { String(decoding: $0.s, as: UTF8.self) }
    }

    static func removeAttr(_ n: inout Onnx_NodeProto, _ name: String) { n.attribute.removeAll { $0.name == name } }

    static func setAttr(_ n: inout Onnx_NodeProto, _ a: Onnx_AttributeProto) {
        if let i = n.attribute.firstIndex(where: { $0.name == a.name }) { n.attribute[i] = a } else { n.attribute.append(a) }
    }

    /// `node 'NAME' (OP)`, or `OP node #INDEX` when the node has no name, for messages.
    static func label(_ n: Onnx_NodeProto, index: Int) -> String {
        n.hasName && !n.name.isEmpty ? "node '\(n.name)' (\(n.opType))" : "\(n.opType) node #\(index)"
    }

    /// The `value` tensor of a standard-domain Constant node, when it has one.
    static func constantValue(_ n: Onnx_NodeProto) -> Onnx_TensorProto? {
        guard n.opType == "Constant", isStandard(n), let a = attr(n, "value"), a.hasT else { return nil }
        return a.t
    }

    // MARK: Models

    /// The version of the default (ai.onnx) opset import, or nil when the model imports none.
    static func defaultOpset(_ m: Onnx_ModelProto) -> Int? {
        m.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) }
    }

    /// Sets (or adds) the opset import of `domain` ("" for ai.onnx).
    static func setOpset(_ m: inout Onnx_ModelProto, domain: String, version: Int) {
        let match: (Onnx_OperatorSetIdProto) -> Bool = { o in
            domain.isEmpty ? (o.domain.isEmpty || o.domain == "ai.onnx") : o.domain == domain
        }
        if let i = m.opsetImport.firstIndex(where: match) {
            m.opsetImport[i].version = Int64(version)
        } else {
            var o = Onnx_OperatorSetIdProto()
            o.domain = domain
            o.version = Int64(version)
            m.opsetImport.append(o)
        }
    }

    // MARK: Bytes

    @inline(__always)
    static func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        var x = v.littleEndian
        withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    static func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
        var v: T = 0
        for k in 0..<(T.bitWidth / 8) { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
        return v
    }
}
