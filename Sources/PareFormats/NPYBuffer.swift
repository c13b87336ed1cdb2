/// Bytes that stay valid while this object lives: either a view into memory that another object owns (a
/// memory-mapped file, kept alive by `owner`) or an allocation of its own, freed on deinit.
///
/// Used for the members of `.npz` archives (a STORED member is a view into the archive's mapping, a DEFLATED
/// one an inflated allocation) and for the arrays read from them.
public final class NPYBuffer: @unchecked Sendable {
    /// The bytes. Never written through after construction.
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?
    private let allocation: UnsafeMutableRawPointer?

    /// A view of `bytes`, kept valid by holding `owner`.
    init(view bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
        self.allocation = nil
    }

    /// Allocates `count` bytes (16-byte aligned) and lets `fill` write them; the buffer then owns them.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        let m = UnsafeMutableRawBufferPointer(start: base, count: count)
        do { try fill(m) } catch {
            base.deallocate()
            throw error
        }
        self.bytes = UnsafeRawBufferPointer(m)
        self.owner = nil
        self.allocation = base
    }

    /// A copy of `bytes` in memory of its own.
    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { if bytes.count > 0 { $0.copyMemory(from: bytes) } }
    }

    deinit { allocation?.deallocate() }

    /// The number of bytes.
    public var count: Int { bytes.count }

    /// Calls `body` with the bytes (or the sub-range `range`), keeping them alive for the call.
    public func withBytes<R>(_ range: Range<Int>? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            guard let range else { return try body(bytes) }
            return try body(UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
    }
}
