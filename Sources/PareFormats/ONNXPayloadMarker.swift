import PareONNXProto

/// The marker that stands for a payload in a skeleton model.
///
/// A stripped `TensorProto` keeps its name, dims, data_type and other fields but none of its data (no
/// raw_data, typed data fields or external_data), and its `doc_string` (field 12) reads
///
///     pare-payload:<key>
///
/// followed, when the original tensor had a doc_string, by a line break and that doc_string (the writer puts it
/// back). In `<key>`, `%` is written `%25` and a line break `%0A`, so any key round-trips.
/// `ONNXWriter.write` replaces each marked tensor's marker by the payload registered under its key.
public enum ONNXPayloadMarker {
    public static let prefix = "pare-payload:"

    /// The doc_string that marks a tensor whose payload is registered under `key`, keeping `docString`.
    public static func docString(key: String, original docString: String = "") -> String {
        var escaped = ""
        for c in key.unicodeScalars {
            switch c {
            case "%": escaped += "%25"
            case "\n": escaped += "%0A"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return prefix + escaped + (docString.isEmpty ? "" : "\n" + docString)
    }

    /// The key and the original doc_string of a marker doc_string, or nil when `docString` is not a marker.
    public static func parse(_ docString: String) -> (key: String, docString: String)? {
        guard docString.hasPrefix(prefix) else { return nil }
        let rest = docString.dropFirst(prefix.count)
        let keyPart: Substring, doc: Substring
        if let nl = rest.firstIndex(of: "\n") {
            keyPart = rest[..<nl]
            doc = rest[rest.index(after: nl)...]
        } else {
            keyPart = rest
            doc = ""
        }
        var key = ""
        var s = keyPart.unicodeScalars[...]
        while let c = s.first {
            if c == "%", s.count >= 3 {
                let code = String(String.UnicodeScalarView(s.dropFirst().prefix(2)))
                if code == "25" || code == "0A" || code == "0a" {
                    key += code == "25" ? "%" : "\n"
                    s = s.dropFirst(3)
                    continue
                }
            }
            key.unicodeScalars.append(c)
            s = s.dropFirst()
        }
        return (key, String(doc))
    }

    /// Turns `tensor` into a stripped tensor whose payload is registered under `key`: removes raw_data, the
    /// typed data fields and external data, and sets the marker (keeping the doc_string). Use it to replace the
    /// data of a tensor that the reader left inline, or to add a new tensor whose payload is streamed.
    public static func mark(_ tensor: inout Onnx_TensorProto, key: String) {
        let original = parse(tensor.docString)?.docString ?? tensor.docString
        tensor.clearRawData()
        tensor.floatData = []
        tensor.int32Data = []
        tensor.int64Data = []
        tensor.doubleData = []
        tensor.uint64Data = []
        tensor.externalData = []
        tensor.clearDataLocation()
        tensor.docString = docString(key: key, original: original)
    }

    /// The payload key of a marked tensor, or nil.
    public static func key(of tensor: Onnx_TensorProto) -> String? {
        parse(tensor.docString)?.key
    }
}
