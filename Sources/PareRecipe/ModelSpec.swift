import PareBasics

/// The `model:` section of a recipe: which model file to compress.
public struct ModelSpec: Sendable, Hashable {
    /// The model path resolved against the folder of the YAML file that wrote it, lexically normalized
    /// (`.` and `..` folded; symbolic links are not followed). Relative when the recipe path was relative.
    public var path: String
    /// The path exactly as written in `model.path`.
    public var givenPath: String
    /// `model.format` (default `auto`).
    public var format: ModelFormatChoice
    /// Where `model.path` is written.
    public var location: SourceLocation

    /// A model spec; `path` should already be resolved (see `path`).
    public init(path: String, givenPath: String, format: ModelFormatChoice, location: SourceLocation) {
        self.path = path
        self.givenPath = givenPath
        self.format = format
        self.location = location
    }

    /// The concrete format: `format` when it is not `auto`, else the one the file extension names, else nil
    /// (the model reader then has to sniff the file).
    public var resolvedFormat: ModelFormatChoice? {
        format != .auto ? format : ModelFormatChoice.fromExtension(of: path)
    }
}
