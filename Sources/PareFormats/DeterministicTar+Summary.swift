import PareBasics

extension DeterministicTar {
    /// The identity of an archive: the SHA-256 and size of its bytes, whether or not it was written.
    public struct Summary: Sendable, Hashable {
        /// SHA-256 of the archive's bytes.
        public var sha256: Digest
        /// Size of the archive in bytes (a multiple of 10240).
        public var bytes: Int

        public init(sha256: Digest, bytes: Int) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }
}
