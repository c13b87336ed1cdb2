import PareBasics

/// Which tensors of a model a pass works on (the `include`, `exclude`, `min_elements`, `keep_1d` keys).
public struct TensorSelection: Sendable, Hashable, Codable {
    /// Name globs; a tensor must match at least one. Default `["*"]`.
    public var include: [Glob]
    /// Name globs; a tensor matching any is not selected. Default `[]`.
    public var exclude: [Glob]
    /// Tensors with fewer elements are not selected. Default 1.
    public var minElements: Int
    /// Default true: tensors of rank ≤ 1 (biases, norm weights, scalars) are left alone. False selects them too.
    public var keep1D: Bool

    enum CodingKeys: String, CodingKey {
        case include, exclude
        case minElements = "min_elements"
        case keep1D = "keep_1d"
    }

    /// A selection; the defaults select every float tensor of rank ≥ 2.
    public init(include: [Glob] = [Glob("*")], exclude: [Glob] = [], minElements: Int = 1, keep1D: Bool = true) {
        self.include = include
        self.exclude = exclude
        self.minElements = minElements
        self.keep1D = keep1D
    }

    /// Whether a float tensor with this name and shape dims is selected: its name matches an `include` glob and no
    /// `exclude` glob, it has at least `minElements` elements (the product of `dims`; 1 for a scalar), and its
    /// rank is ≥ 2 unless `keep1D` is false. Whether the tensor is float is the caller's business.
    public func selects(name: String, dims: [Int]) -> Bool {
        if keep1D && dims.count <= 1 { return false }
        var elements = 1
        for d in dims {
            let (p, overflow) = elements.multipliedReportingOverflow(by: max(d, 0))
            elements = overflow ? Int.max : p
        }
        if elements < minElements { return false }
        guard include.contains(where: { $0.matches(name) }) else { return false }
        return !exclude.contains { $0.matches(name) }
    }
}
