/// Weight pruning kernels: unstructured magnitude pruning (per tensor or global across tensors) and N:M
/// structured sparsity.
///
/// Magnitudes are compared as the IEEE bit patterns of |x| (sign bit cleared), which order exactly like |x| for
/// every non-NaN value; -0.0 and 0.0 are the same magnitude and both count as zero; a NaN compares above +Inf
/// (so it is pruned last and kept first — callers reject non-finite weights before pruning). Pruned elements
/// become +0.0; kept elements are copied bit for bit.
public enum Pruning {
    /// The global-pruning decision for one tensor: elements with |x| < threshold are pruned, plus the first
    /// `ties` elements (in index order) with |x| == threshold. `threshold` is never negative.
    public struct GlobalPlan: Sendable, Hashable, Codable {
        public var threshold: Float
        public var ties: Int

        public init(threshold: Float, ties: Int) {
            self.threshold = threshold
            self.ties = ties
        }
    }

    /// Zeroes exactly k = floor(sparsity·n) elements with the smallest |x| (ties: lower index pruned first).
    /// Returns the pruned copy. Scalar reference: sorts all indices by (|x|, index). `sparsity` ∈ [0, 1].
    public static func magnitudeReference(_ x: UnsafeBufferPointer<Float>, sparsity: Double) -> [Float] {
        let k = pruneCount(x.count, sparsity: sparsity, function: "Pruning.magnitudeReference")
        let order = x.indices.sorted { a, b in
            let ka = FloatKeys.magnitude(x[a]), kb = FloatKeys.magnitude(x[b])
            return ka != kb ? ka < kb : a < b
        }
        var out = Array(x)
        for i in order.prefix(k) { out[i] = 0 }
        return out
    }

    /// Same result as ``magnitudeReference(_:sparsity:)`` bit for bit, in O(n): a two-pass radix select on the
    /// magnitude bits finds the k-th smallest magnitude, then one pass zeroes everything below it and the first
    /// ties at it. Parallel over `threads` ranges; the result does not depend on `threads`.
    public static func magnitude(_ x: UnsafeBufferPointer<Float>, sparsity: Double, threads: Int) -> [Float] {
        let plan = globalPlans([x], sparsity: sparsity, threads: threads)[0]
        return apply(x, plan: plan, threads: threads)
    }

    /// Number of elements equal to zero (-0.0 and 0.0 both count).
    public static func zeroCount(_ x: UnsafeBufferPointer<Float>) -> Int {
        guard let p = x.baseAddress else { return 0 }
        var count = 0
        for i in 0..<x.count {
            count &+= FloatKeys.magnitude(p[i]) == 0 ? 1 : 0
        }
        return count
    }

    /// k = floor(sparsity · n), checking that sparsity ∈ [0, 1].
    static func pruneCount(_ n: Int, sparsity: Double, function: StaticString) -> Int {
        precondition(sparsity >= 0 && sparsity <= 1, "\(function): sparsity \(sparsity) is not in [0, 1]")
        return Swift.min(n, Int(sparsity * Double(n)))
    }
}
