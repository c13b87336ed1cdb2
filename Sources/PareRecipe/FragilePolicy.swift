/// What happens to known-fragile activations (`activations.fragile`): Softmax and LayerNormalization inputs,
/// normalization statistics (squares, their means, square roots) and the model's outputs.
public enum FragilePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Default: 16-bit integers when the target runs them (stays on the accelerator), else float when the target
    /// runs float activations, else the pass's 8-bit type.
    case keep
    /// Quantize them like every other activation.
    case quantize
}
