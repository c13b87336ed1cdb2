import CZlib

extension ZipArchive {
    /// The zlib stream size passed to `inflateInit2_`.
    private static let streamSize = Int32(MemoryLayout<z_stream>.size)
    /// zlib counts in 32 bits: feed and drain at most this much per call.
    private static let chunk = 1 << 30

    /// Inflates raw deflate data (`inflateInit2(-15)`, no zlib or gzip wrapper) from `src` into `out`.
    /// With `whole`, the stream must produce exactly `out.count` bytes and end there: fewer is a truncated or
    /// corrupt member, more is refused (a zip bomb or a wrong declared size). Without it, inflating stops when
    /// `out` is full. Returns the bytes produced.
    /// - Throws: `FormatError` naming `path` and `member`.
    static func inflate(_ src: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, whole: Bool,
                        path: String, member: String) throws -> Int {
        func fail(_ m: String) -> FormatError { error(path, member, m) }
        if !whole && out.count == 0 { return 0 }
        var s = z_stream()
        guard inflateInit2_(&s, -15, zlibVersion(), streamSize) == Z_OK else { throw fail("zlib could not start inflating (out of memory?)") }
        defer { inflateEnd(&s) }
        var dummy: UInt8 = 0
        var inPos = 0, outPos = 0
        var ended = false
        try withUnsafeMutablePointer(to: &dummy) { scratch in
            let inBase = src.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) } ?? scratch
            while !ended {
                let inChunk = min(src.count - inPos, chunk)
                let outRoom = out.count - outPos
                // With the output full, offer one scratch byte: any output there means the member is too long.
                let probing = outRoom == 0
                let outChunk = probing ? 1 : min(outRoom, chunk)
                s.next_in = inBase + inPos
                s.avail_in = UInt32(inChunk)
                s.next_out = probing ? scratch : out.baseAddress!.assumingMemoryBound(to: Bytef.self) + outPos
                s.avail_out = UInt32(outChunk)
                let rc = CZlib.inflate(&s, Z_NO_FLUSH)
                let used = inChunk - Int(s.avail_in), made = outChunk - Int(s.avail_out)
                inPos += used
                if probing {
                    if made > 0 { throw fail("inflates past its declared size of \(out.count) bytes; the member is corrupt or a zip bomb") }
                } else {
                    outPos += made
                }
                switch rc {
                case Z_STREAM_END: ended = true
                case Z_OK: break
                case Z_BUF_ERROR where used == 0 && made == 0:
                    if inPos >= src.count {
                        throw fail("deflate data ends after \(src.count) bytes, inflated \(outPos) of \(out.count); the member is truncated")
                    }
                    throw fail("zlib made no progress inflating; the member is corrupt")
                case Z_BUF_ERROR: break
                case Z_DATA_ERROR:
                    let msg = s.msg.map { String(cString: $0) } ?? "invalid data"
                    throw fail("deflate data is corrupt (zlib: \(msg)) at compressed byte \(inPos); write the file again")
                case Z_MEM_ERROR: throw fail("zlib ran out of memory inflating")
                default: throw fail("zlib error \(rc) inflating; the member is corrupt")
                }
                if !whole && outPos == out.count { return }
                if probing && !ended && used == 0 {
                    throw fail("deflate data ends without its end-of-stream marker after \(out.count) inflated bytes; the member is truncated")
                }
            }
        }
        if whole && outPos != out.count {
            throw fail("inflates to \(outPos) bytes but declares \(out.count); the member is corrupt")
        }
        return outPos
    }

    /// CRC-32 (zlib's, the one zip uses) of `bytes`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        var pos = 0
        while pos < bytes.count {
            let n = min(bytes.count - pos, chunk)
            crc = CZlib.crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + pos, uInt(n))
            pos += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
