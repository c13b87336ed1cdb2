import Foundation

/// What a pass did, for the build log, the manifest (`passes[].report`) and `--json`: one row per layer it
/// changed or measured, totals, and the throughput of its heavy kernel.
public struct PassReport: Sendable, Hashable, Codable {
    /// The pass name (`fold`, `lowrank`, ...).
    public var pass: String
    /// The pass id in the recipe.
    public var id: String
    /// One row per layer, in graph order.
    public var layers: [LayerChange]
    /// Parameters (weight elements) of the whole model before and after.
    public var parametersBefore: Int
    public var parametersAfter: Int
    /// Floating-point operations of one forward pass on one sample (a multiply-accumulate counts 2) of Conv,
    /// Gemm and MatMul nodes, before and after; nil when the pass does not change them.
    public var flopsBefore: Int?
    public var flopsAfter: Int?
    /// Heavy-kernel work and time (e.g. SVD, k-means, least squares), for throughput.
    public var kernelSeconds: Double?
    public var kernelFLOPs: Double?
    /// Anything else worth reading, one line each.
    public var notes: [String]

    public init(pass: String, id: String, layers: [LayerChange] = [], parametersBefore: Int = 0, parametersAfter: Int = 0,
                flopsBefore: Int? = nil, flopsAfter: Int? = nil, kernelSeconds: Double? = nil, kernelFLOPs: Double? = nil,
                notes: [String] = []) {
        self.pass = pass
        self.id = id
        self.layers = layers
        self.parametersBefore = parametersBefore
        self.parametersAfter = parametersAfter
        self.flopsBefore = flopsBefore
        self.flopsAfter = flopsAfter
        self.kernelSeconds = kernelSeconds
        self.kernelFLOPs = kernelFLOPs
        self.notes = notes
    }

    /// One line for the build log, e.g. "parameters 1.20M → 0.61M (−49.2 %), FLOPs 3.10G → 1.58G (−49.0 %), 12 layers".
    public var summary: String {
        func short(_ v: Int) -> String {
            let d = Double(v)
            if d >= 1e9 { return String(format: "%.2fG", d / 1e9) }
            if d >= 1e6 { return String(format: "%.2fM", d / 1e6) }
            if d >= 1e3 { return String(format: "%.1fk", d / 1e3) }
            return String(v)
        }
        func change(_ a: Int, _ b: Int) -> String {
            guard a > 0, a != b else { return "\(short(a)) → \(short(b))" }
            return "\(short(a)) → \(short(b)) (\(String(format: "%+.1f", 100 * (Double(b) - Double(a)) / Double(a))) %)"
        }
        var parts = ["parameters \(change(parametersBefore, parametersAfter))"]
        if let f0 = flopsBefore, let f1 = flopsAfter { parts.append("FLOPs \(change(f0, f1))") }
        parts.append("\(layers.count) layer\(layers.count == 1 ? "" : "s") changed")
        if let g = kernelGFLOPS { parts.append(String(format: "kernels %.2f GFLOP/s", g)) }
        return parts.joined(separator: ", ")
    }

    /// Kernel throughput in GFLOP/s, when measured.
    public var kernelGFLOPS: Double? {
        guard let s = kernelSeconds, let f = kernelFLOPs, s > 0 else { return nil }
        return f / s / 1e9
    }
}

/// One layer's change in a `PassReport`.
public struct LayerChange: Sendable, Hashable, Codable {
    /// The layer's weight (or node) name.
    public var layer: String
    /// What happened, e.g. "folded bn1 into conv1", "rank 16 of 64", "removed 16 of 64 channels", "int4".
    public var action: String
    /// Weight elements of the layer before and after.
    public var parametersBefore: Int?
    public var parametersAfter: Int?
    /// FLOPs of the layer per sample before and after.
    public var flopsBefore: Int?
    public var flopsAfter: Int?
    /// The layer's output error against its reference, before and after the pass (relative mean squared error
    /// ‖y − ŷ‖² / ‖y‖² unless the pass says otherwise).
    public var errorBefore: Double?
    public var errorAfter: Double?

    public init(layer: String, action: String, parametersBefore: Int? = nil, parametersAfter: Int? = nil,
                flopsBefore: Int? = nil, flopsAfter: Int? = nil, errorBefore: Double? = nil, errorAfter: Double? = nil) {
        self.layer = layer
        self.action = action
        self.parametersBefore = parametersBefore
        self.parametersAfter = parametersAfter
        self.flopsBefore = flopsBefore
        self.flopsAfter = flopsAfter
        self.errorBefore = errorBefore
        self.errorAfter = errorAfter
    }
}
