/// An op implementation: computes a node's outputs (in output order; trailing optional outputs may be omitted)
/// from its context.
typealias Kernel = (OpContext) throws -> [Tensor]
