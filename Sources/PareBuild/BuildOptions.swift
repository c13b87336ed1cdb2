import Foundation
import PareBasics
import PareFormats

/// Settings of one build. Defaults are documented on each field.
public struct BuildOptions: Sendable {
    /// Steps (and tensors within a step, and the kernels of a whole-model pass) run in parallel on this many
    /// workers; outputs do not depend on it. Default: the number of cores.
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The cache folder. Default: `$PARE_CACHE` or `cache`.
    public var cacheRoot: String = Cache.defaultRoot()
    /// Where bundles go: `<dist>/<recipe>/<target>/`. Default: `dist`.
    public var distRoot: String = "dist"
    /// Mixed into every key; changing it invalidates the cache. Default: `$PARE_CACHE_SALT` or "".
    public var salt: String = ProcessInfo.processInfo.environment["PARE_CACHE_SALT"] ?? ""
    /// The modification time written into archives: `$SOURCE_DATE_EPOCH`, else 0.
    public var archiveMTime: Int = DeterministicTar.defaultMTime(environment: ProcessInfo.processInfo.environment)

    public init() {}
}

/// The version written into manifests and mixed into bundle keys.
public let pareVersion = "0.1.0"
