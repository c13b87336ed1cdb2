extension DeterministicTar {
    /// One member of the archive as it will be written.
    struct Member {
        enum Content {
            case none
            case bytes([UInt8])
            /// A file, opened again when written (so large bundles do not hold one descriptor per file).
            case file(path: String)
        }
        /// Archive name; folders end with "/".
        var name: String
        var isDirectory: Bool
        var size: Int
        var content: Content
    }

    /// Validates the names, adds the parent folders, opens the file sources and sorts everything by name
    /// (UTF-8 byte order, so a folder "a/" precedes everything inside it).
    static func plan(_ entries: [Entry], path: String) throws -> [Member] {
        func fail(_ name: String, _ message: String) -> FormatError {
            FormatError(file: path, message: "entry '\(name)': \(message)")
        }
        var files: [String: Member] = [:]
        var folders = Set<String>()
        for e in entries {
            let name = e.name
            guard !name.isEmpty else { throw fail(name, "empty name") }
            guard !name.utf8.contains(0) else { throw fail(name, "name contains a NUL byte") }
            guard !name.hasPrefix("/") else { throw fail(name, "absolute name; use a path relative to the archive root") }
            guard !name.hasSuffix("/") else { throw fail(name, "name ends with '/'; give files only, folders are added for them") }
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            for p in parts where p.isEmpty || p == "." || p == ".." {
                throw fail(name, "name has an empty, '.' or '..' component; use a plain relative path")
            }
            guard files[name] == nil else { throw fail(name, "appears twice") }
            var prefix = ""
            for p in parts.dropLast() {
                prefix += p + "/"
                folders.insert(prefix)
            }
            let member: Member
            switch e.source {
            case .bytes(let b):
                member = Member(name: name, isDirectory: false, size: b.count, content: .bytes(b))
            case .file(let source):
                let size = try FileReader(path: source).size
                member = Member(name: name, isDirectory: false, size: size, content: .file(path: source))
            }
            guard member.size <= maxOctal11 else {
                throw fail(name, "size \(member.size) bytes is over ustar's limit of \(maxOctal11) bytes (8 GiB − 1); split the file")
            }
            files[name] = member
        }
        for f in folders {
            let asFile = String(f.dropLast())
            if files[asFile] != nil {
                throw fail(asFile, "is both a file and the folder of other entries; rename one of them")
            }
        }
        var members = Array(files.values)
        members += folders.map { Member(name: $0, isDirectory: true, size: 0, content: .none) }
        members.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for m in members { _ = try splitName(m.name, path: path) }
        return members
    }
}
