extension ZipArchive {
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50
    /// Deflate cannot compress better than about 1032:1; a larger declared ratio is a lie (or a bomb).
    static let maxDeflateRatio = 1032

    /// Finds and checks the end records, then reads and checks every central directory entry and its local
    /// header (the rules are listed on `ZipArchive`). Returns the entries in central directory order.
    /// - Throws: `FormatError` naming `path` (and the member) for the first problem found.
    static func parseDirectory(_ b: UnsafeRawBufferPointer, path: String, maxMemberSize: Int) throws -> [ZipEntry] {
        func fail(_ m: String, _ member: String? = nil) -> FormatError { error(path, member, m) }
        let size = b.count
        guard size >= 22 else {
            throw fail("is \(size) bytes, too short for a zip archive (an .npz is a zip of .npy files); it is truncated or not an .npz")
        }
        // The end record: the last signature whose comment length reaches exactly to the end of the file.
        var end = -1
        var pos = size - 22
        while pos >= max(0, size - 22 - 0xFFFF) {
            if u32(b, pos) == endSignature && pos + 22 + Int(u16(b, pos + 20)) == size { end = pos; break }
            pos -= 1
        }
        guard end >= 0 else {
            throw fail("has no zip end-of-central-directory record; it is not a zip archive (.npz) or it is truncated")
        }
        var disk = Int(u16(b, end + 4)), cdDisk = Int(u16(b, end + 6))
        var countHere = UInt64(u16(b, end + 8)), count = UInt64(u16(b, end + 10))
        var cdSize = UInt64(u32(b, end + 12)), cdOffset = UInt64(u32(b, end + 16))
        var cdLimit = end
        if end >= 20 && u32(b, end - 20) == zip64LocatorSignature {
            let recordOffset = u64(b, end - 12)
            guard u32(b, end - 16) == 0, u32(b, end - 4) <= 1 else { throw fail("is a multi-disk (spanned) zip archive; pare reads single-file archives") }
            guard end - 20 >= 56, recordOffset <= UInt64(end - 20 - 56) else {
                throw fail("zip64 end record offset \(recordOffset) is past the end of the archive; it is corrupt")
            }
            let r = Int(recordOffset)
            guard u32(b, r) == zip64EndSignature else { throw fail("has no zip64 end record at offset \(r) where its locator points; it is corrupt") }
            disk = Int(u32(b, r + 16)); cdDisk = Int(u32(b, r + 20))
            countHere = u64(b, r + 24); count = u64(b, r + 32)
            cdSize = u64(b, r + 40); cdOffset = u64(b, r + 48)
            cdLimit = r
        } else if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw fail("its end record asks for zip64 values but there is no zip64 locator; it is corrupt")
        }
        guard disk == 0, cdDisk == 0, countHere == count else { throw fail("is a multi-disk (spanned) zip archive; pare reads single-file archives") }
        guard cdOffset <= UInt64(cdLimit), cdSize <= UInt64(cdLimit) - cdOffset else {
            throw fail("central directory (offset \(cdOffset), \(cdSize) bytes) runs past its end record at \(cdLimit); the archive is truncated or corrupt")
        }
        guard count <= cdSize / 46 else {
            throw fail("declares \(count) members but its \(cdSize)-byte central directory can hold at most \(cdSize / 46); it is corrupt")
        }
        let cdStart = Int(cdOffset), cdEnd = Int(cdOffset + cdSize)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(count))
        var names = Set<String>()
        var p = cdStart
        for k in 0..<Int(count) {
            guard p + 46 <= cdEnd, u32(b, p) == centralSignature else {
                throw fail("central directory entry \(k) at offset \(p) is missing or damaged; the archive is corrupt")
            }
            let nameLength = Int(u16(b, p + 28)), extraLength = Int(u16(b, p + 30)), commentLength = Int(u16(b, p + 32))
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= cdEnd else { throw fail("central directory entry \(k) runs past the central directory; the archive is corrupt") }
            let name = try validName(UnsafeRawBufferPointer(rebasing: b[p + 46..<p + 46 + nameLength]), entry: k, path: path)
            guard names.insert(name).inserted else { throw fail("appears twice in the archive; it is corrupt or was appended to — write it again", name) }
            let flags = u16(b, p + 8), method = Int(u16(b, p + 10))
            guard flags & 0x41 == 0 else { throw fail("is encrypted; pare reads unencrypted archives (write it with numpy.savez)", name) }
            guard method == ZipEntry.stored || method == ZipEntry.deflated else {
                throw fail("is compressed with zip method \(method); pare reads STORED (0) and DEFLATED (8) members: write it with numpy.savez or numpy.savez_compressed", name)
            }
            var uncompressed = UInt64(u32(b, p + 24)), compressed = UInt64(u32(b, p + 20)), local = UInt64(u32(b, p + 42))
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                let extra = UnsafeRawBufferPointer(rebasing: b[p + 46 + nameLength..<p + 46 + nameLength + extraLength])
                guard let z = zip64Fields(extra, uncompressed: uncompressed == 0xFFFF_FFFF, compressed: compressed == 0xFFFF_FFFF, local: local == 0xFFFF_FFFF) else {
                    throw fail("needs zip64 sizes but its zip64 extra field is missing or too short; the archive is corrupt", name)
                }
                (uncompressed, compressed, local) = (z.0 ?? uncompressed, z.1 ?? compressed, z.2 ?? local)
            }
            guard local < UInt64(cdStart), compressed <= UInt64(cdStart), uncompressed <= UInt64(Int.max) else {
                throw fail("offset \(local) or size \(compressed) lies past the central directory at \(cdStart); the archive is truncated or corrupt", name)
            }
            if method == ZipEntry.stored && compressed != uncompressed {
                throw fail("is STORED but its sizes differ (\(compressed) stored, \(uncompressed) declared); the archive is corrupt", name)
            }
            if method == ZipEntry.deflated {
                guard uncompressed <= UInt64(maxMemberSize) else {
                    throw fail("inflates to \(uncompressed) bytes, over the \(maxMemberSize)-byte limit per member; split the data set into smaller files", name)
                }
                guard uncompressed <= compressed * UInt64(maxDeflateRatio) + 1024 else {
                    throw fail("declares \(uncompressed) inflated bytes from \(compressed) compressed, more than deflate can produce; it is corrupt or a zip bomb", name)
                }
            }
            let dataOffset = try localDataOffset(b, at: Int(local), name: name, nameBytes: nameLength, method: method, limit: cdStart, path: path)
            guard dataOffset <= cdStart, Int(compressed) <= cdStart - dataOffset else {
                throw fail("data (\(compressed) bytes from offset \(dataOffset)) runs into the central directory at \(cdStart); the archive is truncated or corrupt", name)
            }
            entries.append(ZipEntry(name: name, method: method, crc32: u32(b, p + 16), compressedSize: Int(compressed),
                                    uncompressedSize: Int(uncompressed), localHeaderOffset: Int(local), dataOffset: dataOffset))
            p = next
        }
        guard p == cdEnd else { throw fail("central directory has \(cdEnd - p) bytes after its \(count) declared entries; the archive is corrupt") }
        let byOffset = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, c) in zip(byOffset, byOffset.dropFirst()) where a.dataRange.upperBound > c.localHeaderOffset {
            throw fail("overlaps member '\(a.name)' (bytes \(a.localHeaderOffset)..<\(a.dataRange.upperBound)); the archive is corrupt or crafted", c.name)
        }
        return entries
    }

    /// Checks the local header at `offset` against its central entry and returns where its data starts.
    private static func localDataOffset(_ b: UnsafeRawBufferPointer, at offset: Int, name: String, nameBytes: Int, method: Int,
                                        limit: Int, path: String) throws -> Int {
        func fail(_ m: String) -> FormatError { error(path, name, m) }
        guard offset <= limit - 30, u32(b, offset) == localSignature else {
            throw fail("has no local header at offset \(offset); the archive is corrupt")
        }
        let n = Int(u16(b, offset + 26)), e = Int(u16(b, offset + 28))
        let data = offset + 30 + n + e
        guard data <= limit else { throw fail("local header at offset \(offset) runs into the central directory; the archive is corrupt") }
        guard n == nameBytes, Array(b[offset + 30..<offset + 30 + n]) == Array(name.utf8) else {
            throw fail("local header at offset \(offset) names a different member; the archive is corrupt")
        }
        guard Int(u16(b, offset + 8)) == method else { throw fail("local header and central directory disagree on the compression method; the archive is corrupt") }
        return data
    }

    /// The zip64 extra field (id 1): the 64-bit values for the fields that hold 0xFFFFFFFF, in the order
    /// uncompressed size, compressed size, local header offset. Nil when absent or too short.
    private static func zip64Fields(_ extra: UnsafeRawBufferPointer, uncompressed: Bool, compressed: Bool, local: Bool) -> (UInt64?, UInt64?, UInt64?)? {
        var q = 0
        while q + 4 <= extra.count {
            let id = u16(extra, q), len = Int(u16(extra, q + 2))
            guard q + 4 + len <= extra.count else { return nil }
            if id == 1 {
                var r = q + 4
                func take(_ wanted: Bool) -> UInt64?? {
                    guard wanted else { return .some(nil) }
                    guard r + 8 <= q + 4 + len else { return nil }
                    defer { r += 8 }
                    return .some(u64(extra, r))
                }
                guard let u = take(uncompressed), let c = take(compressed), let l = take(local) else { return nil }
                return (u, c, l)
            }
            q += 4 + len
        }
        return nil
    }

    /// A member name: valid UTF-8, a relative path with no empty, `.` or `..` component, no backslash and no
    /// control character.
    private static func validName(_ raw: UnsafeRawBufferPointer, entry: Int, path: String) throws -> String {
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw error(path, nil, "central directory entry \(entry) has a name that is not valid UTF-8; the archive is corrupt")
        }
        let bad = name.isEmpty || name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }
            || name.hasPrefix("/") || name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
        guard !bad else {
            throw error(path, nil, "central directory entry \(entry) has the unsafe or invalid name '\(name.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())'; members must be plain relative names")
        }
        return name
    }

    static func u16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    static func u64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
}
