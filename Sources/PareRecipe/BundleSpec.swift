import PareBasics

/// The `bundle:` section of a recipe: how each target's deployment bundle is written.
public struct BundleSpec: Sendable, Hashable {
    /// `bundle.format` (default `auto`: the same format as the model).
    public var format: ModelFormatChoice
    /// `bundle.tar` (default false): also write a deterministic `.tar` of the bundle folder.
    public var tar: Bool
    /// `bundle.external_data` (default `auto`): whether ONNX bundles keep their weights in `model.onnx.data`.
    public var externalData: ExternalDataMode
    /// Where `bundle.format` is written, else where the `bundle:` mapping is; nil when the recipe has no `bundle`.
    public var location: SourceLocation?
    /// Where `bundle.external_data` is written; nil when the recipe does not set it.
    public var externalDataLocation: SourceLocation?

    /// A bundle spec; defaults are those of a recipe without `bundle:`.
    public init(format: ModelFormatChoice = .auto, tar: Bool = false, externalData: ExternalDataMode = .default,
                location: SourceLocation? = nil, externalDataLocation: SourceLocation? = nil) {
        self.format = format
        self.tar = tar
        self.externalData = externalData
        self.location = location
        self.externalDataLocation = externalDataLocation
    }

    /// The concrete bundle format for a model: `format` unless it is `auto`, then the model's resolved format.
    public func resolvedFormat(model: ModelSpec) -> ModelFormatChoice? {
        format != .auto ? format : model.resolvedFormat
    }

    /// The error of a recipe that sets `external_data: always` when its bundles are `bundleFormat` (not ONNX),
    /// or nil when the combination is fine.
    public func externalDataProblem(bundleFormat: ModelFormatChoice) -> String? {
        guard externalData == .always, bundleFormat != .onnx, bundleFormat != .auto else { return nil }
        let how = format == .auto ? "bundle.format is auto, so bundles take the model's format, \(bundleFormat.rawValue)" : "bundle.format is \(bundleFormat.rawValue)"
        return "external_data applies to ONNX bundles, but \(how); remove external_data (or set it to auto), or build from an ONNX model"
    }
}
