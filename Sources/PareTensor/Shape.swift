/// A tensor shape: the extent of each dimension, outermost first.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public init(from decoder: Decoder) throws { dims = try decoder.singleValueContainer().decode([Int].self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(dims)
    }

    public var rank: Int { dims.count }

    /// Number of elements, or nil if a dimension is negative or the product overflows `Int`.
    public var elementCount: Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (r, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = r
        }
        return n
    }

    /// The matrix view used by weight kernels: rows = first dimension (output channels),
    /// columns = product of the rest. A 1-D tensor is one row; a scalar is 1×1.
    public var matrix: (rows: Int, cols: Int) {
        guard let first = dims.first else { return (1, 1) }
        let n = elementCount ?? 0
        return first == 0 ? (0, 0) : (first, n / first)
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
