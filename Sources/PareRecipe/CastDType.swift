/// The 16-bit float type a `cast` pass stores weights in.
public enum CastDType: String, Sendable, Hashable, Codable, CaseIterable {
    /// IEEE 754 binary16 (round to nearest even).
    case fp16
    /// bfloat16: the top 16 bits of binary32 (round to nearest even).
    case bf16
}
