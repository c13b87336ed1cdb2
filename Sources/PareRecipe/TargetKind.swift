/// The kind of processor a target profile describes.
public enum TargetKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Neural processing unit (fixed-function or tensor accelerator).
    case npu
    /// Digital signal processor.
    case dsp
    case cpu
    case gpu
}
