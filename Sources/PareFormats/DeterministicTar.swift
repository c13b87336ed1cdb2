import PareBasics

/// Deterministic ustar archive: entries sorted by name, parent folders emitted as directory entries, uid/gid 0,
/// uname/gname "root", mode 0644 files / 0755 folders, the given mtime everywhere, padded to 10240-byte records.
/// Names longer than 100 bytes use the ustar prefix field; longer than 255 → error. Sizes of 8 GiB or more → error.
///
/// The same entries and mtime give byte-identical archives on every machine, whatever the source files'
/// owners, permissions and times. `write(to:entries:mtime:)` writes the archive; `digest(of:mtime:path:)`
/// computes the SHA-256 and size of exactly those bytes without writing them. Both stream the same bytes from
/// one generator (`stream`), so they cannot disagree.
public enum DeterministicTar {
    /// Where an entry's bytes come from.
    public enum Source: Sendable {
        case bytes([UInt8])
        /// A file copied in chunks (never loaded whole).
        case file(path: String)
    }

    /// One file of the archive. `name` is a relative path with `/` separators, such as `kbd/model.onnx`;
    /// its parent folders are added as directory entries.
    public struct Entry: Sendable {
        public var name: String
        public var source: Source
        public init(name: String, source: Source) {
            self.name = name
            self.source = source
        }
    }

    /// Largest value of an 11-digit octal ustar field (size, mtime): 8^11 − 1 = 8 GiB − 1.
    public static let maxOctal11 = (1 << 33) - 1

    /// Writes the archive atomically (temporary file, then rename), streaming file sources in chunks.
    /// - Parameter mtime: seconds since 1970 stored in every entry, 0...8^11−1 (see `defaultMTime`).
    /// - Throws: `FormatError` naming the archive and the entry for invalid names, unreadable sources or sizes
    ///   ustar cannot hold; `AtomicFile.WriteError` when the archive cannot be written.
    public static func write(to path: String, entries: [Entry], mtime: Int) throws {
        let members = try prepare(entries, mtime: mtime, path: path)
        try AtomicFile.write(to: path) { fd in
            _ = try stream(members, mtime: mtime, path: path) { chunk in
                try AtomicFile.writeAll(fd: fd, chunk, path: path)
            }
        }
    }

    /// The SHA-256 and size of the archive `write(to:entries:mtime:)` would write, computed without writing it:
    /// the same bytes are streamed into an incremental SHA-256, file sources in chunks (memory stays bounded).
    /// - Parameter path: the path the archive would have; only used to name it in errors.
    /// - Throws: the `FormatError`s of `write(to:entries:mtime:)` (invalid names, unreadable sources, sizes).
    public static func digest(of entries: [Entry], mtime: Int, path: String) throws -> Summary {
        let members = try prepare(entries, mtime: mtime, path: path)
        var hasher = DigestHasher()
        let bytes = try stream(members, mtime: mtime, path: path) { hasher.update($0) }
        return Summary(sha256: hasher.finalize(), bytes: bytes)
    }

    /// The mtime from `SOURCE_DATE_EPOCH` when it is set to a valid integer in 0...8^11−1, else 0.
    public static func defaultMTime(environment: [String: String]) -> Int {
        guard let s = environment["SOURCE_DATE_EPOCH"], !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let v = Int(s), v <= maxOctal11 else { return 0 }
        return v
    }

    /// Checks the mtime and plans the members (see `plan`).
    private static func prepare(_ entries: [Entry], mtime: Int, path: String) throws -> [Member] {
        guard mtime >= 0, mtime <= maxOctal11 else {
            throw FormatError(file: path, message: "mtime \(mtime) is outside what ustar stores (0...\(maxOctal11)); set SOURCE_DATE_EPOCH to seconds since 1970")
        }
        return try plan(entries, path: path)
    }

    /// 10240 zero bytes: padding and the end of the archive are slices of it.
    private static let zeros = [UInt8](repeating: 0, count: 10240)

    /// The archive's bytes, in order, passed to `sink` in chunks (headers, contents, padding, end); file sources
    /// are read in chunks of `FileReader.chunkSize`. Returns the total number of bytes.
    private static func stream(_ members: [Member], mtime: Int, path: String,
                               to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var total = 0
        func emit(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try sink($0) }
            total += bytes.count
        }
        func emitZeros(_ count: Int) throws {
            var left = count
            while left > 0 {
                let n = min(left, zeros.count)
                try zeros.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                total += n
                left -= n
            }
        }
        for m in members {
            try emit(try header(name: m.name, size: m.size, isDirectory: m.isDirectory, mtime: mtime, path: path))
            switch m.content {
            case .none:
                break
            case .bytes(let b):
                try emit(b)
            case .file(let source):
                let reader = try FileReader(path: source)
                guard reader.size == m.size else {
                    throw FormatError(file: source, message: "changed size (\(m.size) → \(reader.size) bytes) while being archived into \(path); archive it again when nothing writes to it")
                }
                try reader.forEachChunk(offset: 0, count: m.size, destination: path, sink)
                total += m.size
            }
            try emitZeros((512 - m.size % 512) % 512)
        }
        // End of archive: two zero blocks, then zeros up to a whole 10240-byte record.
        var end = 1024
        end += (10240 - (total + end) % 10240) % 10240
        try emitZeros(end)
        return total
    }
}
