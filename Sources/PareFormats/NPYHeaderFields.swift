/// The three fields of a `.npy` header dict, checked for presence, type and range (see `NPYHeader`).
struct NPYHeaderFields {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    init(_ literal: NPYLiteral, file: String, member: String?) throws {
        func fail(_ m: String) -> FormatError { NPYHeader.error(file, member, ".npy header " + m + "; the file is corrupt or not written by numpy.save") }
        guard case .dict(let items) = literal else { throw fail("is \(literal.kind), not a dict") }
        var seen: [String: NPYLiteral] = [:]
        for (k, v) in items {
            guard ["descr", "fortran_order", "shape"].contains(k) else { throw fail("has the unexpected key '\(k)'") }
            guard seen[k] == nil else { throw fail("has the key '\(k)' twice") }
            seen[k] = v
        }
        for k in ["descr", "fortran_order", "shape"] where seen[k] == nil { throw fail("has no '\(k)' key") }
        switch seen["descr"]! {
        case .string(let s): descr = s
        case .list:
            throw NPYHeader.error(file, member, "is a structured array (a record dtype); pare reads plain numeric arrays: save each field as its own array")
        case let v: throw fail("'descr' is \(v.kind), not a dtype string")
        }
        guard case .bool(let f) = seen["fortran_order"]! else { throw fail("'fortran_order' is \(seen["fortran_order"]!.kind), not True or False") }
        fortranOrder = f
        guard case .tuple(let dims) = seen["shape"]! else { throw fail("'shape' is \(seen["shape"]!.kind), not a tuple") }
        guard dims.count <= NPYHeader.maxRank else { throw fail("'shape' has \(dims.count) dimensions, over numpy's limit of \(NPYHeader.maxRank)") }
        shape = try dims.enumerated().map { k, d in
            guard case .int(let n) = d else { throw fail("'shape' dimension \(k) is \(d.kind), not an integer") }
            guard n >= 0 else { throw fail("'shape' dimension \(k) is negative (\(n))") }
            return n
        }
    }
}
