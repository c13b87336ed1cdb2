import PareBasics

/// The `bundle:` section of a recipe: how each target's deployment bundle is written.
public struct BundleSpec: Sendable, Hashable {
    /// `bundle.format` (default `auto`: the same format as the model).
    public var format: ModelFormatChoice
    /// `bundle.tar` (default false): also write a deterministic `.tar` of the bundle folder.
    public var tar: Bool
    /// Where `bundle.format` is written, else where the `bundle:` mapping is; nil when the recipe has no `bundle`.
    public var location: SourceLocation?

    /// A bundle spec; defaults are those of a recipe without `bundle:`.
    public init(format: ModelFormatChoice = .auto, tar: Bool = false, location: SourceLocation? = nil) {
        self.format = format
        self.tar = tar
        self.location = location
    }

    /// The concrete bundle format for a model: `format` unless it is `auto`, then the model's resolved format.
    public func resolvedFormat(model: ModelSpec) -> ModelFormatChoice? {
        format != .auto ? format : model.resolvedFormat
    }
}
