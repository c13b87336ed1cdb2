/// The op kernels, grouped by family in `Ops+*.swift`; `registry` maps an op key to its kernel: the op type for
/// the default domain (ai.onnx), `domain:op` otherwise (e.g. `com.microsoft:MatMulNBits`).
enum Ops {
    static let registry: [String: Kernel] = {
        var all: [String: Kernel] = [:]
        for family in [unaryKernels, binaryKernels, logicKernels, shapeKernels, indexingKernels, reduceKernels,
                       normalizationKernels, matMulKernels, convKernels, poolKernels, resizeKernels, quantizationKernels,
                       convIntegerKernels] {
            all.merge(family) { a, _ in a }
        }
        return all
    }()

    /// The registry key of an op.
    static func key(op: String, domain: String) -> String {
        domain.isEmpty || domain == "ai.onnx" ? op : "\(domain):\(op)"
    }
}
