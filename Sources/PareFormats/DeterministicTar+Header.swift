extension DeterministicTar {
    /// The 512-byte ustar header of one member (POSIX.1-1988 layout, "ustar\0" magic, version "00").
    static func header(name: String, size: Int, isDirectory: Bool, mtime: Int, path: String) throws -> [UInt8] {
        let (prefix, base) = try splitName(name, path: path)
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (i, b) in bytes.enumerated() { h[offset + i] = b }
        }
        /// `value` as zero-padded octal filling `width − 1` digits, then NUL.
        func octal(_ value: Int, at offset: Int, width: Int) {
            var digits = Array(String(value, radix: 8).utf8)
            digits = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
            put(digits + [0], at: offset)
        }
        put(base, at: 0)                                        // name[100]
        octal(isDirectory ? 0o755 : 0o644, at: 100, width: 8)   // mode
        octal(0, at: 108, width: 8)                             // uid
        octal(0, at: 116, width: 8)                             // gid
        octal(size, at: 124, width: 12)                         // size
        octal(mtime, at: 136, width: 12)                        // mtime
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148)  // chksum, blank while summing
        h[156] = UInt8(ascii: isDirectory ? "5" : "0")          // typeflag
        put(Array("ustar".utf8) + [0], at: 257)                 // magic
        put(Array("00".utf8), at: 263)                          // version
        put(Array("root".utf8), at: 265)                        // uname
        put(Array("root".utf8), at: 297)                        // gname
        octal(0, at: 329, width: 8)                             // devmajor
        octal(0, at: 337, width: 8)                             // devminor
        put(prefix, at: 345)                                    // prefix[155]
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)                           // 6 digits + NUL, the 8th byte stays a space
        return h
    }

    /// Splits a name into ustar (prefix, name): names up to 100 bytes go whole into the name field; longer
    /// ones are cut at a '/' so that the prefix has at most 155 bytes and the rest at most 100.
    static func splitName(_ name: String, path: String) throws -> (prefix: [UInt8], name: [UInt8]) {
        let u = Array(name.utf8)
        if u.count <= 100 { return ([], u) }
        guard u.count <= 255 else {
            throw FormatError(file: path, message: "entry '\(name)': name is \(u.count) bytes, over ustar's 255-byte limit; use shorter names")
        }
        // The last '/' (excluding a folder's trailing one) that leaves ≤ 155 bytes before it and ≤ 100 after.
        let searchEnd = u.last == UInt8(ascii: "/") ? u.count - 1 : u.count
        for i in stride(from: min(155, searchEnd - 1), through: 1, by: -1) where u[i] == UInt8(ascii: "/") {
            let rest = u.count - i - 1
            if rest > 100 { break }
            return (Array(u[0..<i]), Array(u[(i + 1)...]))
        }
        throw FormatError(file: path, message: "entry '\(name)': name is \(u.count) bytes and cannot be split at a '/' into ustar's 155-byte prefix and 100-byte name; shorten its folder names")
    }
}
